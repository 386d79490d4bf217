//! CORS (api.md §1.12) as a browser exercises it: a preflight, then the actual
//! request, from an allowed origin and from another; the error answers (401, 413,
//! 429) carry the CORS headers too, or the browser would hide them from the app.

use poem::http::{HeaderMap, StatusCode};
use serde_json::json;
use tests::{TestDb, dual_test};

use crate::api_client::{register, send, start};

const ALLOWED: &str = "https://app.example.com";
const PROJECTS: &str = "/api/apps/avatar-creator/projects";

fn header<'a>(resp: &'a poem::test::TestResponse, name: &str) -> Option<&'a str> {
    header_in(resp.0.headers(), name)
}

fn header_in<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Whether `Vary` names `Origin`.
fn varies_by_origin(resp: &poem::test::TestResponse) -> bool {
    varies_by_origin_in(resp.0.headers())
}

fn varies_by_origin_in(headers: &HeaderMap) -> bool {
    headers
        .get_all("vary")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| {
            v.split(',')
                .any(|h| h.trim().eq_ignore_ascii_case("origin"))
        })
}

dual_test!(an_allowed_origin_gets_preflight_and_answers_with_cors_headers);
async fn an_allowed_origin_gets_preflight_and_answers_with_cors_headers(db: TestDb) {
    let (cli, _) = start(
        &db,
        &[
            (
                "CORS_ORIGIN",
                "https://app.example.com,http://localhost:5173",
            ),
            ("RATE_LIMITS", "on"),
            ("RATE_LIMIT_AC_PROJECT_CREATE", "1/60s"),
        ],
    )
    .await;
    let (_, token) = register(&cli, "cors@example.com").await;

    let preflight = cli
        .options(PROJECTS)
        .header("Origin", ALLOWED)
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "authorization, content-type",
        )
        .send()
        .await;
    preflight.assert_status(StatusCode::NO_CONTENT);
    assert_eq!(
        header(&preflight, "access-control-allow-origin"),
        Some(ALLOWED)
    );
    let methods = header(&preflight, "access-control-allow-methods")
        .unwrap()
        .to_ascii_uppercase();
    for method in ["GET", "POST", "PUT", "DELETE"] {
        assert!(methods.contains(method), "{methods}");
    }
    let headers = header(&preflight, "access-control-allow-headers")
        .unwrap()
        .to_ascii_lowercase();
    for name in [
        "authorization",
        "content-type",
        "x-request-id",
        "last-event-id",
    ] {
        assert!(headers.contains(name), "{headers}");
    }
    assert!(
        header(&preflight, "access-control-allow-credentials").is_none(),
        "credentials off"
    );
    assert!(varies_by_origin(&preflight));
    assert!(header(&preflight, "x-request-id").is_some());

    let created = cli
        .post(PROJECTS)
        .header("Origin", ALLOWED)
        .header("Authorization", format!("Bearer {token}"))
        .body_json(&json!({ "name": "From the dashboard" }))
        .send()
        .await;
    created.assert_status(StatusCode::CREATED);
    assert_eq!(
        header(&created, "access-control-allow-origin"),
        Some(ALLOWED)
    );
    let exposed = header(&created, "access-control-expose-headers")
        .unwrap()
        .to_ascii_lowercase();
    for name in [
        "x-request-id",
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
        "retry-after",
        "content-disposition",
    ] {
        assert!(exposed.contains(name), "{exposed}");
    }
    assert!(varies_by_origin(&created));

    // Error answers carry the CORS headers too, and their bodies are the documented
    // errors (`send` checks each against its `code`'s variant of the schema).
    let unauthorized = send(cli.get(PROJECTS).header("Origin", ALLOWED)).await;
    assert_eq!(unauthorized.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        unauthorized.error_code(),
        "UNAUTHORIZED",
        "{:?}",
        unauthorized.body
    );
    assert_eq!(
        header_in(&unauthorized.headers, "access-control-allow-origin"),
        Some(ALLOWED)
    );
    let limited = send(
        cli.post(PROJECTS)
            .header("Origin", ALLOWED)
            .header("Authorization", format!("Bearer {token}"))
            .body_json(&json!({ "name": "Second" })),
    )
    .await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.error_code(), "RATE_LIMITED", "{:?}", limited.body);
    assert_eq!(
        header_in(&limited.headers, "access-control-allow-origin"),
        Some(ALLOWED)
    );
    assert!(header_in(&limited.headers, "retry-after").is_some());
    // The 413 of the streaming body cap: code, the cap it went over, and the CORS
    // headers a browser needs to let the app read it.
    let too_large = send(
        cli.post("/api/auth/login")
            .header("Origin", ALLOWED)
            .content_type("application/json")
            .body(vec![b' '; 2 * 1024 * 1024]),
    )
    .await;
    assert_eq!(
        too_large.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{:?}",
        too_large.body
    );
    assert_eq!(
        too_large.error_code(),
        "PAYLOAD_TOO_LARGE",
        "{:?}",
        too_large.body
    );
    assert_eq!(
        too_large.body["error"]["details"]["maxBytes"],
        json!(api::http::body_limit::JSON_MAX_BYTES),
        "{:?}",
        too_large.body
    );
    assert_eq!(
        header_in(&too_large.headers, "access-control-allow-origin"),
        Some(ALLOWED)
    );
    let exposed = header_in(&too_large.headers, "access-control-expose-headers")
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert!(exposed.contains("x-request-id"), "{exposed}");
    assert!(varies_by_origin_in(&too_large.headers));
}

dual_test!(another_origin_gets_no_cors_headers);
async fn another_origin_gets_no_cors_headers(db: TestDb) {
    let (cli, _) = start(&db, &[("CORS_ORIGIN", ALLOWED)]).await;
    let (_, token) = register(&cli, "cors@example.com").await;
    let preflight = cli
        .options(PROJECTS)
        .header("Origin", "https://evil.example.net")
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await;
    assert!(header(&preflight, "access-control-allow-origin").is_none());
    assert_ne!(preflight.0.status(), StatusCode::NO_CONTENT);
    // The request itself is served (a browser will not let the page read it).
    let listed = cli
        .get(PROJECTS)
        .header("Origin", "https://evil.example.net")
        .header("Authorization", format!("Bearer {token}"))
        .send()
        .await;
    listed.assert_status_is_ok();
    assert!(header(&listed, "access-control-allow-origin").is_none());
    assert!(varies_by_origin(&listed));
}

dual_test!(any_origin_by_default);
/// `CORS_ORIGIN=*` (the default) allows any origin, echoing it (credentials are
/// never used).
async fn any_origin_by_default(db: TestDb) {
    let (cli, _) = start(&db, &[]).await;
    let resp = cli
        .get("/api/health")
        .header("Origin", "http://localhost:5173")
        .send()
        .await;
    resp.assert_status_is_ok();
    assert_eq!(
        header(&resp, "access-control-allow-origin"),
        Some("http://localhost:5173")
    );
}
