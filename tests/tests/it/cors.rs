//! CORS (api.md §1.12) as a browser exercises it: a preflight, then the actual
//! request, from an allowed origin and from another; the error answers (401, 413,
//! 429) carry the CORS headers too, or the browser would hide them from the app.

use poem::http::StatusCode;
use serde_json::json;
use tests::dual_test;

use crate::api_client::{register, start};

const ALLOWED: &str = "https://app.example.com";
const PROJECTS: &str = "/api/apps/avatar-creator/projects";

fn header<'a>(resp: &'a poem::test::TestResponse, name: &str) -> Option<&'a str> {
    resp.0.headers().get(name).and_then(|v| v.to_str().ok())
}

/// Whether `Vary` names `Origin`.
fn varies_by_origin(resp: &poem::test::TestResponse) -> bool {
    resp.0
        .headers()
        .get_all("vary")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| {
            v.split(',')
                .any(|h| h.trim().eq_ignore_ascii_case("origin"))
        })
}

dual_test! {
    async fn an_allowed_origin_gets_preflight_and_answers_with_cors_headers(db: TestDb) {
        let (cli, _) = start(&db, &[
            ("CORS_ORIGIN", "https://app.example.com,http://localhost:5173"),
            ("RATE_LIMITS", "on"),
            ("RATE_LIMIT_AC_PROJECT_CREATE", "1/60s"),
        ]).await;
        let (_, token) = register(&cli, "cors@example.com").await;

        let preflight = cli
            .options(PROJECTS)
            .header("Origin", ALLOWED)
            .header("Access-Control-Request-Method", "POST")
            .header("Access-Control-Request-Headers", "authorization, content-type")
            .send()
            .await;
        preflight.assert_status(StatusCode::NO_CONTENT);
        assert_eq!(header(&preflight, "access-control-allow-origin"), Some(ALLOWED));
        let methods = header(&preflight, "access-control-allow-methods").unwrap().to_ascii_uppercase();
        for method in ["GET", "POST", "PUT", "DELETE"] {
            assert!(methods.contains(method), "{methods}");
        }
        let headers = header(&preflight, "access-control-allow-headers").unwrap().to_ascii_lowercase();
        for name in ["authorization", "content-type", "x-request-id", "last-event-id"] {
            assert!(headers.contains(name), "{headers}");
        }
        assert!(header(&preflight, "access-control-allow-credentials").is_none(), "credentials off");
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
        assert_eq!(header(&created, "access-control-allow-origin"), Some(ALLOWED));
        let exposed = header(&created, "access-control-expose-headers").unwrap().to_ascii_lowercase();
        for name in ["x-request-id", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "retry-after", "content-disposition"] {
            assert!(exposed.contains(name), "{exposed}");
        }
        assert!(varies_by_origin(&created));

        // Error answers carry the CORS headers too.
        let unauthorized = cli.get(PROJECTS).header("Origin", ALLOWED).send().await;
        unauthorized.assert_status(StatusCode::UNAUTHORIZED);
        assert_eq!(header(&unauthorized, "access-control-allow-origin"), Some(ALLOWED));
        let limited = cli
            .post(PROJECTS)
            .header("Origin", ALLOWED)
            .header("Authorization", format!("Bearer {token}"))
            .body_json(&json!({ "name": "Second" }))
            .send()
            .await;
        limited.assert_status(StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(header(&limited, "access-control-allow-origin"), Some(ALLOWED));
        assert!(header(&limited, "retry-after").is_some());
        let too_large = cli
            .post("/api/auth/login")
            .header("Origin", ALLOWED)
            .content_type("application/json")
            .body(vec![b' '; 2 * 1024 * 1024])
            .send()
            .await;
        too_large.assert_status(StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(header(&too_large, "access-control-allow-origin"), Some(ALLOWED));
    }

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

    /// `CORS_ORIGIN=*` (the default) allows any origin, echoing it (credentials are
    /// never used).
    async fn any_origin_by_default(db: TestDb) {
        let (cli, _) = start(&db, &[]).await;
        let resp = cli.get("/api/health").header("Origin", "http://localhost:5173").send().await;
        resp.assert_status_is_ok();
        assert_eq!(header(&resp, "access-control-allow-origin"), Some("http://localhost:5173"));
    }
}
