//! `METRICS_ADDR` (README "Running more than one process"): a real `api serve` process
//! answers `GET /metrics` in Prometheus text on its private listener only, counting
//! requests by route template and status as the client sent them; `LOG_FORMAT=json`
//! writes one JSON object per line carrying the request id.

use std::net::SocketAddr;

use serde_json::{Value, json};
use tests::util::TempDir;

use crate::api_processes::{http, spawn};

fn free_addr() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// The value of the sample whose line starts with `series` (name and labels as
/// rendered), `None` when absent.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
}

async fn scrape(addr: SocketAddr) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: m\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).await.unwrap();
    assert!(raw.starts_with("HTTP/1.1 200"), "{raw}");
    raw.split_once("\r\n\r\n").unwrap().1.to_owned()
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_on_the_private_listener() {
    let files = TempDir::new("metrics-").unwrap();
    let db = format!("sqlite://{}/app.db?mode=rwc", files.path().display());
    let metrics_addr = free_addr();
    let metrics = metrics_addr.to_string();
    let vars = [
        ("DATABASE_URL", db.as_str()),
        ("METRICS_ADDR", metrics.as_str()),
        ("LOG_FORMAT", "json"),
    ];
    let api = spawn(&files, &["serve", "--workers", "0"], &vars)
        .ready()
        .await;

    for _ in 0..3 {
        let reply = http(api.addr, "GET", "/api/health", &[], None)
            .await
            .unwrap();
        assert_eq!(reply.status, 200);
    }
    // Two concrete paths, one template (without a token: 401).
    for id in ["missing-one", "missing-two"] {
        let path = format!("/api/apps/pose-generator/library/{id}");
        let reply = http(
            api.addr,
            "GET",
            &path,
            &[("X-Request-Id", "metrics-probe-1")],
            None,
        )
        .await
        .unwrap();
        assert_eq!(reply.status, 401, "{reply:?}");
    }
    let reply = http(
        api.addr,
        "POST",
        "/api/auth/register",
        &[],
        Some(&json!({ "email": "metrics@example.com", "password": crate::api_client::PASSWORD })),
    )
    .await
    .unwrap();
    assert_eq!(reply.status, 201, "{reply:?}");

    // Not on the public port: the router answers 404 like any unknown path.
    let public = http(api.addr, "GET", "/metrics", &[], None).await.unwrap();
    assert_eq!(public.status, 404);

    let text = scrape(metrics_addr).await;
    let count = |series: &str| sample(&text, series);
    assert_eq!(
        count(r#"http_requests_total{method="GET",route="/api/health",status="200"}"#),
        Some(3.0),
        "{text}"
    );
    assert_eq!(
        count(
            r#"http_requests_total{method="GET",route="/api/apps/pose-generator/library/:param0",status="401"}"#
        ),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        count(r#"http_requests_total{method="POST",route="/api/auth/register",status="201"}"#),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        count(r#"http_requests_total{method="GET",route="unmatched",status="404"}"#),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        count(
            r#"http_request_duration_seconds_count{method="GET",route="/api/health",status="200"}"#
        ),
        Some(3.0),
        "{text}"
    );
    // The welcome bonus is not a charge; nothing was charged yet.
    assert_eq!(count("credits_charged_total"), None, "{text}");
    let max = count(r#"db_pool_connections{state="max"}"#).expect("pool gauge");
    assert!(max >= 1.0, "{text}");
    assert_eq!(count("sse_streams_open"), None, "{text}");

    // JSON logs: the request's lines carry its id.
    let log = api.log();
    let lines: Vec<Value> = log
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .collect();
    assert!(!lines.is_empty(), "no JSON log line:\n{log}");
    let probe = lines
        .iter()
        .find(|l| l["span"]["request_id"] == "metrics-probe-1")
        .unwrap_or_else(|| panic!("no log line with the request id:\n{log}"));
    assert_eq!(probe["fields"]["message"], "request finished", "{probe}");
    assert_eq!(probe["fields"]["status"], 401, "{probe}");
}
