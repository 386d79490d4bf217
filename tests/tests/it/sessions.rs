//! Sessions that can end (api.md §1.8, issue 14 item 3): log out, log out everywhere,
//! a password or email change ending the other sessions, and the previous backend's
//! tokens (no session claim) ending with them.

use entity::sessions;
use migration::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use poem::http::StatusCode;
use serde_json::json;
use sha2::Digest;
use tests::{TestDb, dual_test};

use crate::api_client::{
    PASSWORD, SECRET, get_as, now_seconds, register, send, signed_token, start,
};

const PROFILE: &str = "/api/auth/profile";

/// A token as the previous backend signed it: no session claim, issued `age` seconds
/// ago.
fn legacy_token(user_id: &str, age: i64) -> String {
    let iat = now_seconds() - age;
    signed_token(
        &json!({ "alg": "HS256", "typ": "JWT" }),
        &json!({ "userId": user_id, "email": "dewi@example.com", "iat": iat, "exp": iat + 3600 }),
        SECRET,
    )
}

dual_test!(logout_ends_the_presented_session_only);
/// Each login is a session of its own, stored as a row whose `token` is the
/// token's SHA-256 (never the token) and whose `expiresAt` is the token's expiry.
/// Logging out ends only the session presented.
async fn logout_ends_the_presented_session_only(db: TestDb) {
    let (cli, state) = start(&db, &[]).await;
    let (user_id, first) = register(&cli, "dewi@example.com").await;
    let login = || {
        send(
            cli.post("/api/auth/login")
                .body_json(&json!({ "email": "dewi@example.com", "password": PASSWORD })),
        )
    };
    let second = login().await.body["data"]["token"]
        .as_str()
        .unwrap()
        .to_owned();

    let rows = sessions::Entity::find()
        .filter(sessions::Column::UserId.eq(user_id.as_str()))
        .all(&state.db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    let digest = |t: &str| {
        sha2::Sha256::digest(t.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    for token in [&first, &second] {
        let claims = api::auth::jwt::verify(SECRET, token).unwrap();
        let row = rows
            .iter()
            .find(|r| Some(&r.id) == claims.sid.as_ref())
            .expect("the token names its row");
        assert_eq!(row.token, digest(token));
        assert_eq!(row.expires_at.and_utc().timestamp(), claims.exp);
    }

    let out = send(
        cli.post("/api/auth/logout")
            .header("Authorization", format!("Bearer {first}")),
    )
    .await;
    assert_eq!(out.status, StatusCode::OK, "{out:?}");
    assert_eq!(out.body["message"], "Logged out");
    let ended = get_as(&cli, PROFILE, &first).await;
    assert_eq!(ended.status, StatusCode::UNAUTHORIZED);
    assert_eq!(ended.error_message(), "Session ended");
    assert_eq!(ended.headers.get("www-authenticate").unwrap(), "Bearer");
    assert_eq!(
        get_as(&cli, PROFILE, &second).await.status,
        StatusCode::OK,
        "the other session lives on"
    );
    let again = send(
        cli.post("/api/auth/logout")
            .header("Authorization", format!("Bearer {first}")),
    )
    .await;
    assert_eq!(
        again.status,
        StatusCode::UNAUTHORIZED,
        "an ended session cannot log out again"
    );
    // The query-token form of the progress stream is refused the same way.
    let stream = send(cli.get(format!(
        "/api/apps/pose-generator/generations/x/events?access_token={first}"
    )))
    .await;
    assert_eq!(stream.status, StatusCode::UNAUTHORIZED);
}

dual_test!(logout_all_ends_every_session);
/// Log out everywhere: every session of the user ends, the previous backend's
/// tokens too, and the count says how many; a later login works.
async fn logout_all_ends_every_session(db: TestDb) {
    let (cli, _) = start(&db, &[]).await;
    let (user_id, first) = register(&cli, "dewi@example.com").await;
    let login = || {
        send(
            cli.post("/api/auth/login")
                .body_json(&json!({ "email": "dewi@example.com", "password": PASSWORD })),
        )
    };
    let second = login().await.body["data"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let legacy = legacy_token(&user_id, 60);
    assert_eq!(get_as(&cli, PROFILE, &legacy).await.status, StatusCode::OK);
    let (_, other_user) = register(&cli, "rina@example.com").await;

    let out = send(
        cli.post("/api/auth/logout-all")
            .header("Authorization", format!("Bearer {second}")),
    )
    .await;
    assert_eq!(out.status, StatusCode::OK, "{out:?}");
    assert_eq!(out.body["sessionsEnded"], 2);
    for token in [&first, &second, &legacy] {
        let reply = get_as(&cli, PROFILE, token).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        assert_eq!(reply.error_message(), "Session ended");
    }
    assert_eq!(
        get_as(&cli, PROFILE, &other_user).await.status,
        StatusCode::OK,
        "other users unaffected"
    );
    let fresh = login().await.body["data"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(get_as(&cli, PROFILE, &fresh).await.status, StatusCode::OK);
}

dual_test!(legacy_tokens_end_with_a_password_change);
/// The previous backend's tokens keep working until they expire, unless the
/// password changed after they were issued; a token issued after the change works.
async fn legacy_tokens_end_with_a_password_change(db: TestDb) {
    let (cli, _) = start(&db, &[]).await;
    let (user_id, token) = register(&cli, "dewi@example.com").await;
    let before = legacy_token(&user_id, 60);
    assert_eq!(get_as(&cli, PROFILE, &before).await.status, StatusCode::OK);

    let changed = send(
        cli.put(PROFILE)
            .header("Authorization", format!("Bearer {before}"))
            .body_json(&json!({ "currentPassword": PASSWORD, "newPassword": "Another-Horse-43" })),
    )
    .await;
    assert_eq!(changed.status, StatusCode::OK, "{changed:?}");
    let fresh = changed.body["data"]["token"]
        .as_str()
        .expect("a new token for the caller");
    assert_eq!(get_as(&cli, PROFILE, fresh).await.status, StatusCode::OK);
    for old in [&before, &token] {
        let reply = get_as(&cli, PROFILE, old).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        assert_eq!(reply.error_message(), "Session ended");
    }
    // Issued by the previous backend after the change (it still runs during a
    // cut-over): valid.
    let after = signed_token(
        &json!({ "alg": "HS256", "typ": "JWT" }),
        &json!({ "userId": user_id, "email": "dewi@example.com", "iat": now_seconds() + 2, "exp": now_seconds() + 3600 }),
        SECRET,
    );
    assert_eq!(get_as(&cli, PROFILE, &after).await.status, StatusCode::OK);
}
