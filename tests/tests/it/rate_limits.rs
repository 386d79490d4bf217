//! Rate limiting (api.md §1.9): fixed windows with `X-RateLimit-*` headers, 429 with
//! `Retry-After` and the structured body, per user or IP, login counting failures only.

use poem::http::StatusCode;
use serde_json::json;
use tests::{TestDb, dual_test};

use crate::api_client::{self, PASSWORD, Reply, register, send};

const PROJECTS: &str = "/api/apps/avatar-creator/projects";

fn header(reply: &Reply, name: &str) -> String {
    reply
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

dual_test!(a_user_limit_counts_refuses_and_explains);
/// A per-user limit: the window's requests pass with their quota in the headers,
/// the next one is a 429 naming when to retry; other users and unauthenticated
/// requests are not affected by it.
async fn a_user_limit_counts_refuses_and_explains(db: TestDb) {
    let (cli, _) = api_client::start(
        &db,
        &[
            ("RATE_LIMITS", "on"),
            ("RATE_LIMIT_AC_PROJECT_CREATE", "2/60s"),
            ("RATE_LIMIT_AUTH_REGISTER", "100/60s"),
        ],
    )
    .await;
    let (_, alice) = register(&cli, "alice@example.com").await;
    let (_, bob) = register(&cli, "bob@example.com").await;
    let create = |token: &str| {
        cli.post(PROJECTS)
            .header("Authorization", format!("Bearer {token}"))
            .body_json(&json!({ "name": "P" }))
    };
    for remaining in ["1", "0"] {
        let ok = send(create(&alice)).await;
        assert_eq!(ok.status, StatusCode::CREATED);
        assert_eq!(header(&ok, "x-ratelimit-limit"), "2");
        assert_eq!(header(&ok, "x-ratelimit-remaining"), remaining);
        assert!(header(&ok, "x-ratelimit-reset").parse::<u64>().unwrap() > 1_700_000_000);
    }
    let limited = send(create(&alice)).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.error_code(), "RATE_LIMITED");
    let retry: u64 = header(&limited, "retry-after").parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(limited.body["error"]["details"]["retryAfter"], retry);
    assert_eq!(limited.body["error"]["details"]["limit"], 2);
    assert_eq!(limited.body["error"]["details"]["windowSeconds"], 60);
    assert!(limited.body["requestId"].is_string());

    assert_eq!(
        send(create(&bob)).await.status,
        StatusCode::CREATED,
        "per user"
    );
    let anonymous = send(cli.post(PROJECTS).body_json(&json!({ "name": "P" }))).await;
    assert_eq!(
        anonymous.status,
        StatusCode::UNAUTHORIZED,
        "401 comes before 429"
    );
    let listed = send(
        cli.get(PROJECTS)
            .header("Authorization", format!("Bearer {alice}")),
    )
    .await;
    assert_eq!(
        listed.body["projects"].as_array().unwrap().len(),
        2,
        "the refused request created nothing"
    );
}

dual_test!(login_limits_count_failures_only);
/// Login counts failed attempts only, per account and per IP; once a limit is
/// reached even the right password is refused; a success resets the account.
async fn login_limits_count_failures_only(db: TestDb) {
    let (cli, _) = api_client::start(
        &db,
        &[
            ("RATE_LIMITS", "on"),
            ("RATE_LIMIT_AUTH_REGISTER", "100/60s"),
            ("RATE_LIMIT_AUTH_LOGIN_ACCOUNT", "2/60s"),
            ("RATE_LIMIT_AUTH_LOGIN_IP", "4/60s"),
        ],
    )
    .await;
    register(&cli, "dewi@example.com").await;
    register(&cli, "rina@example.com").await;
    let login = |email: &str, password: &str| {
        cli.post("/api/auth/login")
            .body_json(&json!({ "email": email, "password": password }))
    };
    assert_eq!(
        send(login("dewi@example.com", "wrong-password-1"))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let ok = send(login("dewi@example.com", PASSWORD)).await;
    assert_eq!(
        ok.status,
        StatusCode::OK,
        "one failure is below the account limit"
    );
    for _ in 0..2 {
        assert_eq!(
            send(login("dewi@example.com", "wrong-password-1"))
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );
    }
    let locked = send(login("dewi@example.com", PASSWORD)).await;
    assert_eq!(
        locked.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the account limit holds even for the right password"
    );
    assert_eq!(locked.error_code(), "RATE_LIMITED");

    // The IP has seen three failures; one more reaches its limit of four.
    assert_eq!(
        send(login("rina@example.com", "wrong-password-1"))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        send(login("rina@example.com", PASSWORD)).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}

dual_test!(switched_off_limits_never_refuse);
/// With `RATE_LIMITS=off` nothing is limited.
async fn switched_off_limits_never_refuse(db: TestDb) {
    let (cli, _) = api_client::start(
        &db,
        &[
            ("RATE_LIMITS", "off"),
            ("RATE_LIMIT_AC_PROJECT_CREATE", "1/60s"),
        ],
    )
    .await;
    let (_, token) = register(&cli, "free@example.com").await;
    for _ in 0..3 {
        let ok = send(
            cli.post(PROJECTS)
                .header("Authorization", format!("Bearer {token}"))
                .body_json(&json!({ "name": "P" })),
        )
        .await;
        assert_eq!(ok.status, StatusCode::CREATED);
        assert!(ok.headers.get("x-ratelimit-limit").is_none());
    }
}

dual_test!(failed_logins_from_many_addresses_never_lock_the_owner_out);
/// Strangers failing to log in to one account from 50 addresses cannot lock its
/// owner out: the owner's right password from a fresh address succeeds (after at
/// most the capped slowdown), and each stranger's address is limited on its own.
async fn failed_logins_from_many_addresses_never_lock_the_owner_out(db: TestDb) {
    let (cli, _) = api_client::start(
        &db,
        &[
            ("RATE_LIMITS", "on"),
            ("TRUST_PROXY", "1"),
            ("RATE_LIMIT_AUTH_REGISTER", "100/60s"),
        ],
    )
    .await;
    register(&cli, "owner@example.com").await;
    let login = |from: String, password: &'static str| {
        cli.post("/api/auth/login")
            .header("X-Forwarded-For", from)
            .body_json(&json!({ "email": "owner@example.com", "password": password }))
    };
    let attempts: Vec<_> = (0..50)
        .map(|i| send(login(format!("198.51.100.{i}"), "Wrong-Horse-1234")))
        .collect();
    for reply in futures_util::future::join_all(attempts).await {
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    }
    // Slowed by at most `SLOWDOWN_CAP` (unit-tested), never refused.
    let owner = send(login("203.0.113.7".into(), PASSWORD)).await;
    assert_eq!(owner.status, StatusCode::OK, "{:?}", owner.body);
    // The owner's success ends the slowdown.
    let again = send(login("203.0.113.8".into(), PASSWORD)).await;
    assert_eq!(again.status, StatusCode::OK);
}

dual_test!(a_spoofed_forwarded_for_does_not_escape_the_limit);
/// Behind one trusted proxy that appends to `X-Forwarded-For`, a client cannot
/// pick its own key: a spoofed left-hand value neither resets nor escapes its
/// address's limit.
async fn a_spoofed_forwarded_for_does_not_escape_the_limit(db: TestDb) {
    let (cli, _) = api_client::start(
        &db,
        &[
            ("RATE_LIMITS", "on"),
            ("TRUST_PROXY", "1"),
            ("RATE_LIMIT_AUTH_REGISTER", "2/60s"),
        ],
    )
    .await;
    let register_from = |spoof: String, n: usize| {
        cli.post("/api/auth/register")
            // What the client sent, then what our proxy appended.
            .header("X-Forwarded-For", format!("{spoof}, 203.0.113.9"))
            .body_json(&json!({ "email": format!("user{n}@example.com"), "password": PASSWORD }))
    };
    for n in 0..2 {
        assert_eq!(
            send(register_from(format!("10.0.0.{n}"), n)).await.status,
            StatusCode::CREATED
        );
    }
    let third = send(register_from("10.9.9.9".into(), 2)).await;
    assert_eq!(
        third.status,
        StatusCode::TOO_MANY_REQUESTS,
        "a new spoofed value got through"
    );
}
