//! Accounts as a user meets them (api.md §1.8, §4): registering with a welcome bonus,
//! logging in (also with hashes made by the previous backend), the profile, and every
//! way a token is refused.

use entity::{credits, users};
use migration::sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
};
use poem::http::StatusCode;
use serde_json::{Value, json};
use tests::{TestDb, dual_test};

use crate::api_client::{
    PASSWORD, SECRET, get_as, now_seconds, register, send, signed_token, start,
};

dual_test!(registration_grants_a_token_and_the_welcome_bonus);
/// Registering answers 201 with a token that works at once, stores the email
/// lowercased and grants the welcome bonus, visible in balance and history.
async fn registration_grants_a_token_and_the_welcome_bonus(db: TestDb) {
    let (cli, state) = start(&db, &[]).await;
    let reply = send(cli.post("/api/auth/register").body_json(&json!({
        "email": "  Dewi@Example.COM ",
        "password": PASSWORD,
        "name": "  Dewi  ",
        "unknownField": true,
    })))
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
    assert_eq!(reply.body["success"], true);
    assert_eq!(reply.body["message"], "Registration successful");
    let user = &reply.body["data"]["user"];
    assert_eq!(user["email"], "dewi@example.com");
    assert_eq!(user["name"], "Dewi");
    let id = user["id"].as_str().unwrap();
    assert_eq!(id.len(), 25);
    assert!(id.starts_with('c'));
    assert!(user["createdAt"].as_str().unwrap().ends_with('Z'));
    let token = reply.body["data"]["token"].as_str().unwrap();

    let row = users::Entity::find_by_id(id)
        .one(&state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.role, "user");
    assert_eq!(row.account_type, "payg");
    assert_eq!(row.subscription_tier, "free");
    assert!(!row.unlimited_pose_active);
    assert!(row.password.starts_with("$2b$10$"), "{}", row.password);

    let balance = get_as(&cli, "/api/credits/balance", token).await;
    assert_eq!(balance.status, StatusCode::OK);
    assert_eq!(
        balance.body,
        json!({ "success": true, "data": { "balance": 100 } })
    );

    let history = get_as(&cli, "/api/credits/history", token).await;
    assert_eq!(history.status, StatusCode::OK);
    let rows = history.body.as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["amount"], 100);
    assert_eq!(rows[0]["balance"], 100);
    assert_eq!(rows[0]["type"], "bonus");
    assert_eq!(rows[0]["description"], "Welcome bonus - 100 free credits");
    assert_eq!(rows[0]["userId"], id);
    assert_eq!(rows[0]["referenceId"], Value::Null);
    assert_eq!(rows[0]["paymentId"], Value::Null);
}

dual_test!(login_accepts_the_right_password_only);
/// Right password: 200 with the balance. Wrong password and unknown account: the
/// same 401. The email is found whatever its case.
async fn login_accepts_the_right_password_only(db: TestDb) {
    let (cli, _state) = start(&db, &[]).await;
    let (id, _) = register(&cli, "dewi@example.com").await;

    let ok = send(cli.post("/api/auth/login").body_json(&json!({
        "email": "DEWI@example.com", "password": PASSWORD,
    })))
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{ok:?}");
    assert_eq!(ok.body["message"], "Login successful");
    assert_eq!(ok.body["data"]["user"]["id"], id.as_str());
    assert_eq!(ok.body["data"]["user"]["creditBalance"], 100);
    let token = ok.body["data"]["token"].as_str().unwrap();
    assert_eq!(
        get_as(&cli, "/api/auth/profile", token).await.status,
        StatusCode::OK
    );

    for (email, password) in [
        ("dewi@example.com", "Wrong-Horse-42"),
        ("nobody@example.com", PASSWORD),
    ] {
        let reply = send(cli.post("/api/auth/login").body_json(&json!({
            "email": email, "password": password,
        })))
        .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{email}");
        assert_eq!(reply.error_code(), "UNAUTHORIZED");
        assert_eq!(reply.error_message(), "Invalid email or password");
    }

    let invalid = send(cli.post("/api/auth/login").body_json(&json!({
        "email": "not-an-email", "password": "",
    })))
    .await;
    assert_eq!(invalid.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        invalid.body["error"]["details"]["email"],
        json!(["Invalid email address"])
    );
    assert_eq!(
        invalid.body["error"]["details"]["password"],
        json!(["Password is required"])
    );
}

dual_test!(previous_backend_hashes_verify_and_are_upgraded);
/// Accounts of the previous backend: `$2b$` and `$2a$` hashes at cost 10 made by
/// another bcrypt implementation log in, and are re-hashed at a higher
/// `BCRYPT_COST`.
async fn previous_backend_hashes_verify_and_are_upgraded(db: TestDb) {
    let (cli, state) = start(&db, &[("BCRYPT_COST", "11")]).await;
    let legacy = bcrypt::hash("old password", 10).unwrap();
    assert!(legacy.starts_with("$2b$10$"));
    for (id, email, hash) in [
        (
            "clegacyuser00000000000001",
            "Legacy@Example.com",
            legacy.clone(),
        ),
        (
            "clegacyuser00000000000002",
            "legacy2@example.com",
            legacy.replacen("$2b$", "$2a$", 1),
        ),
    ] {
        insert_user(&state.db, id, email, &hash).await;
        let reply = send(cli.post("/api/auth/login").body_json(&json!({
            "email": email, "password": "old password",
        })))
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{email}: {reply:?}");
        assert_eq!(reply.body["data"]["user"]["creditBalance"], 0);
        let stored = users::Entity::find_by_id(id)
            .one(&state.db)
            .await
            .unwrap()
            .unwrap();
        assert!(
            stored.password.starts_with("$2b$11$"),
            "{}",
            stored.password
        );
        assert_eq!(stored.email, email, "login does not rewrite the email");
    }
    // The upgraded hash still verifies.
    let again = send(cli.post("/api/auth/login").body_json(&json!({
        "email": "Legacy@Example.com", "password": "old password",
    })))
    .await;
    assert_eq!(again.status, StatusCode::OK);
}

dual_test!(a_registered_email_cannot_register_again);
/// An email that differs only in case or surrounding space is taken.
async fn a_registered_email_cannot_register_again(db: TestDb) {
    let (cli, _state) = start(&db, &[]).await;
    register(&cli, "Dewi@Example.com").await;
    let reply = send(cli.post("/api/auth/register").body_json(&json!({
        "email": " dewi@example.COM", "password": PASSWORD,
    })))
    .await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{reply:?}");
    assert_eq!(reply.error_code(), "CONFLICT");
    assert_eq!(reply.error_message(), "User with this email already exists");
}

dual_test!(concurrent_registrations_of_one_email_create_one_account);
/// 50 registrations of one email at once: exactly one account (with one bonus row),
/// every other attempt a 409, never a 500.
async fn concurrent_registrations_of_one_email_create_one_account(db: TestDb) {
    let (cli, state) = start(&db, &[]).await;
    let attempts = (0..50).map(|i| {
        let email = if i % 2 == 0 {
            "race@example.com"
        } else {
            "RACE@example.com"
        };
        send(cli.post("/api/auth/register").body_json(&json!({
            "email": email, "password": PASSWORD,
        })))
    });
    let replies = futures_util::future::join_all(attempts).await;
    let created = replies
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .count();
    let conflicts = replies
        .iter()
        .filter(|r| r.status == StatusCode::CONFLICT)
        .count();
    assert_eq!(
        (created, conflicts),
        (1, 49),
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert_eq!(users::Entity::find().count(&state.db).await.unwrap(), 1);
    assert_eq!(credits::Entity::find().count(&state.db).await.unwrap(), 1);
}

dual_test!(invalid_registrations_name_every_failing_field);
/// Every failing field is reported, each rule of the password with its own message.
async fn invalid_registrations_name_every_failing_field(db: TestDb) {
    let (cli, state) = start(&db, &[]).await;
    let reply = send(cli.post("/api/auth/register").body_json(&json!({
        "email": "dewi@", "password": "aaa", "name": "x".repeat(101),
    })))
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{reply:?}");
    assert_eq!(reply.error_code(), "VALIDATION_ERROR");
    assert_eq!(
        reply.error_message(),
        "Invalid email, password and 1 more field(s)"
    );
    let details = &reply.body["error"]["details"];
    assert_eq!(details["email"], json!(["Invalid email address"]));
    assert_eq!(
        details["password"].as_array().unwrap().len(),
        3,
        "{details}"
    );
    assert_eq!(details["name"].as_array().unwrap().len(), 1);

    let common = send(cli.post("/api/auth/register").body_json(&json!({
        "email": "dewi@example.com", "password": "Password1234",
    })))
    .await;
    assert_eq!(common.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        common.body["error"]["details"]["password"],
        json!(["Password is too common"])
    );
    assert_eq!(users::Entity::find().count(&state.db).await.unwrap(), 0);
}

dual_test!(the_profile_can_be_read_and_changed);
/// The profile: read it, rename, clear the name, change the password (current one
/// required and checked), change the email (new token), and the conflicts.
async fn the_profile_can_be_read_and_changed(db: TestDb) {
    let (cli, _state) = start(&db, &[]).await;
    let (id, token) = register(&cli, "dewi@example.com").await;
    register(&cli, "taken@example.com").await;
    let put = |token: &str, body: Value| {
        send(
            cli.put("/api/auth/profile")
                .header("Authorization", format!("Bearer {token}"))
                .body_json(&body),
        )
    };

    let profile = get_as(&cli, "/api/auth/profile", &token).await;
    assert_eq!(profile.status, StatusCode::OK);
    assert_eq!(profile.body["id"], id.as_str());
    assert_eq!(profile.body["email"], "dewi@example.com");
    assert_eq!(profile.body["name"], "Dewi");
    assert_eq!(profile.body["role"], "user");
    assert_eq!(profile.body["creditBalance"], 100);
    assert!(profile.body.get("success").is_none(), "no wrapper");

    let renamed = put(&token, json!({ "name": "  Dewi S. " })).await;
    assert_eq!(renamed.status, StatusCode::OK, "{renamed:?}");
    assert_eq!(renamed.body["message"], "Profile updated successfully");
    assert_eq!(renamed.body["data"]["user"]["name"], "Dewi S.");
    assert_eq!(renamed.body["data"]["user"]["creditBalance"], 100);
    assert!(
        renamed.body["data"].get("token").is_none(),
        "no new token without an email or password change"
    );

    let cleared = put(&token, json!({ "name": null })).await;
    assert_eq!(cleared.body["data"]["user"]["name"], Value::Null);

    let nothing = put(&token, json!({})).await;
    assert_eq!(nothing.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        nothing.body["error"]["details"]["body"],
        json!(["No changes provided"])
    );

    let no_current = put(&token, json!({ "newPassword": "Another-Horse-43" })).await;
    assert_eq!(no_current.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        no_current.body["error"]["details"]["currentPassword"],
        json!(["Current password is required to change password"])
    );
    let wrong_current = put(
        &token,
        json!({
            "currentPassword": "Wrong-Horse-42", "newPassword": "Another-Horse-43",
        }),
    )
    .await;
    assert_eq!(wrong_current.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        wrong_current.body["error"]["details"]["currentPassword"],
        json!(["Current password is incorrect"])
    );
    let changed = put(
        &token,
        json!({
            "currentPassword": PASSWORD, "newPassword": "Another-Horse-43",
        }),
    )
    .await;
    assert_eq!(changed.status, StatusCode::OK, "{changed:?}");
    // The password change ended the token used for it; the caller got a new one.
    let ended = get_as(&cli, "/api/auth/profile", &token).await;
    assert_eq!(ended.status, StatusCode::UNAUTHORIZED);
    assert_eq!(ended.error_message(), "Session ended");
    let token = changed.body["data"]["token"]
        .as_str()
        .expect("a new token")
        .to_owned();
    assert_eq!(
        get_as(&cli, "/api/auth/profile", &token).await.status,
        StatusCode::OK
    );
    let login = send(cli.post("/api/auth/login").body_json(&json!({
        "email": "dewi@example.com", "password": "Another-Horse-43",
    })))
    .await;
    assert_eq!(login.status, StatusCode::OK);

    // Changing the email needs the password too.
    let no_password = put(&token, json!({ "email": "dewi.new@example.com" })).await;
    assert_eq!(no_password.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        no_password.body["error"]["details"]["currentPassword"],
        json!(["Current password is required to change email or password"])
    );
    let conflict = put(
        &token,
        json!({ "email": "TAKEN@example.com", "currentPassword": "Another-Horse-43" }),
    )
    .await;
    assert_eq!(conflict.status, StatusCode::CONFLICT);
    assert_eq!(conflict.error_message(), "Email is already in use");
    // The same email (any case) is no change: no password needed.
    let same = put(
        &token,
        json!({ "email": "dewi@example.com", "name": "Dewi" }),
    )
    .await;
    assert_eq!(same.status, StatusCode::OK, "{same:?}");

    let moved = put(
        &token,
        json!({ "email": " Dewi.New@Example.com ", "currentPassword": "Another-Horse-43" }),
    )
    .await;
    assert_eq!(moved.status, StatusCode::OK, "{moved:?}");
    assert_eq!(moved.body["data"]["user"]["email"], "dewi.new@example.com");
    let new_token = moved.body["data"]["token"].as_str().expect("a new token");
    let profile = get_as(&cli, "/api/auth/profile", new_token).await;
    assert_eq!(profile.body["email"], "dewi.new@example.com");
    assert_eq!(
        get_as(&cli, "/api/auth/profile", &token).await.status,
        StatusCode::UNAUTHORIZED
    );
}

dual_test!(every_authentication_failure_is_a_401);
/// Every way a token can fail is a 401 with `WWW-Authenticate: Bearer` and its own
/// message, on every protected route.
async fn every_authentication_failure_is_a_401(db: TestDb) {
    let (cli, state) = start(&db, &[]).await;
    let (id, token) = register(&cli, "dewi@example.com").await;
    let hs256 = json!({ "alg": "HS256", "typ": "JWT" });
    let claims = |exp: i64| json!({ "userId": id, "email": "dewi@example.com", "iat": now_seconds() - 10, "exp": exp });

    // Flip a character in the middle of the signature (the last one carries
    // padding bits).
    let mut tampered: Vec<char> = token.chars().collect();
    let at = tampered.len() - 10;
    tampered[at] = if tampered[at] == 'A' { 'B' } else { 'A' };
    let tampered: String = tampered.into_iter().collect();
    let alg_none = format!(
        "{}.{}.",
        crate::api_client::b64(json!({ "alg": "none", "typ": "JWT" }).to_string()),
        crate::api_client::b64(claims(now_seconds() + 3600).to_string()),
    );
    let cases = [
        (None, "No token provided"),
        (Some("Basic abc".to_owned()), "No token provided"),
        (Some("Bearer garbage".to_owned()), "Invalid token"),
        (Some(format!("Bearer {tampered}")), "Invalid token"),
        (
            Some(format!(
                "Bearer {}",
                signed_token(
                    &hs256,
                    &claims(now_seconds() + 3600),
                    "another-secret-of-at-least-32-characters"
                )
            )),
            "Invalid token",
        ),
        (Some(format!("Bearer {alg_none}")), "Invalid token"),
        (
            Some(format!(
                "Bearer {}",
                signed_token(&hs256, &json!({ "userId": id }), SECRET)
            )),
            "Invalid token",
        ),
        (
            Some(format!(
                "Bearer {}",
                signed_token(&hs256, &claims(now_seconds() - 120), SECRET)
            )),
            "Token expired",
        ),
    ];
    for path in [
        "/api/auth/profile",
        "/api/credits/balance",
        "/api/credits/history",
    ] {
        for (header, message) in &cases {
            let mut req = cli.get(path);
            if let Some(header) = header {
                req = req.header("Authorization", header.as_str());
            }
            let reply = send(req).await;
            assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{path} {header:?}");
            assert_eq!(reply.error_code(), "UNAUTHORIZED");
            assert_eq!(reply.error_message(), *message, "{path} {header:?}");
            assert_eq!(reply.headers.get("www-authenticate").unwrap(), "Bearer");
        }
    }

    // Every operation the spec marks as needing the bearer token refuses a missing,
    // tampered or expired one, before looking at its parameters or body.
    let spec: Value = serde_json::from_str(&api::openapi::openapi_json()).unwrap();
    let mut protected = 0;
    for (path, operations) in spec["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            if operation
                .get("security")
                .and_then(Value::as_array)
                .is_none_or(|s| s.is_empty())
            {
                continue;
            }
            protected += 1;
            let mut concrete = String::new();
            for segment in path.split('/') {
                if !concrete.is_empty() || !segment.is_empty() {
                    concrete.push('/');
                }
                if segment.starts_with('{') {
                    concrete.push_str("cx000000000000000000000001");
                } else {
                    concrete.push_str(segment);
                }
            }
            for (header, message) in [&cases[0], &cases[3], &cases[7]] {
                let method: poem::http::Method = method.to_uppercase().parse().unwrap();
                let mut req = cli.request(method.clone(), concrete.clone());
                if let Some(header) = header {
                    req = req.header("Authorization", header.as_str());
                }
                let reply = send(req.body_json(&json!({}))).await;
                assert_eq!(
                    reply.status,
                    StatusCode::UNAUTHORIZED,
                    "{method} {concrete} {header:?}"
                );
                assert_eq!(reply.error_message(), *message, "{method} {concrete}");
            }
        }
    }
    assert!(
        protected >= 19,
        "only {protected} protected operations found"
    );

    // Inside the leeway, and the scheme name in any case: accepted.
    let almost = signed_token(&hs256, &claims(now_seconds() - 10), SECRET);
    let reply = send(
        cli.get("/api/auth/profile")
            .header("Authorization", format!("bearer {almost}")),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");

    users::Entity::delete_by_id(id.as_str())
        .exec(&state.db)
        .await
        .unwrap();
    let reply = get_as(&cli, "/api/auth/profile", &token).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.error_message(), "User not found");
    assert_eq!(reply.headers.get("www-authenticate").unwrap(), "Bearer");
}

async fn insert_user(
    db: &migration::sea_orm::DatabaseConnection,
    id: &str,
    email: &str,
    hash: &str,
) {
    let now = chrono::Utc::now().naive_utc();
    users::ActiveModel {
        id: Set(id.to_owned()),
        email: Set(email.to_owned()),
        password: Set(hash.to_owned()),
        name: Set(None),
        role: Set("user".to_owned()),
        storage_quota: Set(1_073_741_824),
        storage_used: Set(0),
        account_type: Set("payg".to_owned()),
        subscription_tier: Set("free".to_owned()),
        user_tags: Set(None),
        unlimited_pose_active: Set(false),
        unlimited_pose_daily_quota: Set(100),
        unlimited_pose_quota_used: Set(0),
        unlimited_pose_quota_reset_at: Set(None),
        unlimited_pose_expires_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
    .unwrap();
    assert!(
        users::Entity::find()
            .filter(users::Column::Email.eq(email))
            .one(db)
            .await
            .unwrap()
            .is_some()
    );
}

dual_test!(the_schema_report_can_require_an_admin);
/// `HEALTH_SCHEMA_REQUIRE_ADMIN=true`: the schema report needs an admin's token
/// (401 without a valid one, 403 for a plain user); by default it is public.
async fn the_schema_report_can_require_an_admin(db: TestDb) {
    let (public, _) = start(&db, &[]).await;
    assert_eq!(
        send(public.get("/api/health/schema")).await.status,
        StatusCode::OK
    );

    let (cli, state) = start(&db, &[("HEALTH_SCHEMA_REQUIRE_ADMIN", "true")]).await;
    let anonymous = send(cli.get("/api/health/schema")).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous.error_message(), "No token provided");
    let bad = get_as(&cli, "/api/health/schema", "garbage").await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);

    let (id, token) = register(&cli, "operator@example.com").await;
    let plain = get_as(&cli, "/api/health/schema", &token).await;
    assert_eq!(plain.status, StatusCode::FORBIDDEN);
    assert_eq!(plain.error_code(), "FORBIDDEN");

    users::ActiveModel {
        id: Set(id),
        role: Set("admin".into()),
        ..Default::default()
    }
    .update(&state.db)
    .await
    .unwrap();
    let admin = get_as(&cli, "/api/health/schema", &token).await;
    assert_eq!(admin.status, StatusCode::OK, "{:?}", admin.body);
    assert!(admin.body["status"].is_string());
}
