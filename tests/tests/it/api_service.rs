//! The API process as a user meets it: liveness, readiness, Swagger UI and the spec,
//! structured errors, the start-up schema gate, and `openapi.yaml` kept in sync.

use api::{Config, StartupError};
use migration::MigratorTrait;
use poem::http::StatusCode;
use poem::test::TestClient;
use tests::{TestDb, dual_test};

const SECRET: &str = "test-secret-that-is-at-least-32-characters-long";

fn config(db: &TestDb, extra: &[(&str, &str)]) -> Config {
    let mut vars = vec![
        ("DATABASE_URL", db.url.as_str()),
        ("JWT_SECRET", SECRET),
        ("AUTO_MIGRATE", "true"),
    ];
    vars.extend_from_slice(extra);
    Config::from_vars(vars).expect("valid test configuration")
}

async fn client(config: Config) -> TestClient<impl poem::Endpoint> {
    let state = api::prepare(config).await.expect("the API starts");
    TestClient::new(api::routes(state))
}

#[test]
fn openapi_yaml_is_in_sync_with_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi.yaml");
    let checked_in = std::fs::read_to_string(path).expect("openapi.yaml at the repository root");
    assert!(
        checked_in == api::openapi_yaml(),
        "openapi.yaml is out of date: run `cargo run -q -p api -- openapi > openapi.yaml`"
    );
}

/// A JSON endpoint answers 415 to another `Content-Type` or none (api.md §1.3), so
/// every operation with a request body documents 415 (Schemathesis's
/// status_code_conformance found it missing).
#[test]
fn every_operation_with_a_body_documents_415() {
    let spec: serde_json::Value = serde_json::from_str(&api::openapi::openapi_json()).unwrap();
    let mut with_body = 0;
    for (path, operations) in spec["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            if operation.get("requestBody").is_some() {
                with_body += 1;
                assert!(
                    operation["responses"].get("415").is_some(),
                    "{method} {path} has a request body but documents no 415"
                );
            }
        }
    }
    assert!(with_body >= 20, "only {with_body} operations with a body");
}

dual_test!(a_fresh_service_is_live_ready_and_documented);
/// A fresh database is migrated at start-up; liveness, readiness, Swagger UI and
/// the spec answer, and every answer carries a request id.
async fn a_fresh_service_is_live_ready_and_documented(db: TestDb) {
    let cli = client(config(&db, &[])).await;

    for path in ["/health", "/api/health"] {
        let resp = cli.get(path).send().await;
        resp.assert_status_is_ok();
        resp.assert_header_exist("x-request-id");
        let body = resp.json().await;
        let body = body.value().object();
        body.get("status").assert_string("ok");
        body.get("service").assert_string("creator-api");
    }

    let resp = cli.get("/api/health").send().await;
    resp.assert_header("cache-control", "no-cache, no-store, must-revalidate");

    let resp = cli.get("/api/health/ready").send().await;
    resp.assert_status_is_ok();
    let body = resp.json().await;
    let body = body.value().object();
    body.get("status").assert_string("ready");
    let checks = body.get("checks").object();
    checks
        .get("database")
        .object()
        .get("status")
        .assert_string("up");
    checks
        .get("schema")
        .object()
        .get("pendingMigrations")
        .array()
        .assert_len(0);

    let resp = cli.get("/docs").send().await;
    resp.assert_status_is_ok();
    assert!(
        resp.0
            .into_body()
            .into_string()
            .await
            .unwrap()
            .contains("swagger")
    );

    let resp = cli.get("/openapi.json").send().await;
    resp.assert_status_is_ok();
    let spec = resp.json().await;
    spec.value()
        .object()
        .get("paths")
        .object()
        .get("/api/health")
        .object();
}

dual_test!(a_nul_in_a_query_parameter_is_a_400_naming_it_in_the_path_a_404);
/// Unknown paths and wrong methods answer with the one structured error body,
/// echoing a valid incoming request id.
async fn a_nul_in_a_query_parameter_is_a_400_naming_it_in_the_path_a_404(db: TestDb) {
    let (cli, _state) = crate::api_client::start(&db, &[]).await;
    let (_, token) = crate::api_client::register(&cli, "nul@example.com").await;
    // Each reached the database before and failed there (a 500 on PostgreSQL).
    for (uri, field) in [
        ("/api/apps/pose-generator/library?search=a%00b", "search"),
        (
            "/api/apps/avatar-creator/avatars?projectId=%00",
            "projectId",
        ),
        (
            "/api/apps/pose-generator/generations?projectId=%00",
            "projectId",
        ),
    ] {
        let reply = crate::api_client::get_as(&cli, uri, &token).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{uri}: {:?}",
            reply.body
        );
        assert_eq!(reply.body["error"]["code"], "VALIDATION_ERROR", "{uri}");
        assert!(
            reply.body["error"]["details"][field].is_array(),
            "{uri}: {:?}",
            reply.body
        );
    }
    // No id contains a NUL: not found.
    let reply =
        crate::api_client::get_as(&cli, "/api/apps/pose-generator/library/a%00b", &token).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{:?}", reply.body);
}

dual_test!(unknown_routes_and_methods_get_structured_errors);
async fn unknown_routes_and_methods_get_structured_errors(db: TestDb) {
    let cli = client(config(&db, &[])).await;

    let resp = cli
        .get("/api/nothing-here")
        .header("X-Request-Id", "req-42")
        .send()
        .await;
    resp.assert_status(StatusCode::NOT_FOUND);
    resp.assert_header("x-request-id", "req-42");
    let body = resp.json().await;
    let body = body.value().object();
    body.get("success").assert_bool(false);
    body.get("requestId").assert_string("req-42");
    let error = body.get("error").object();
    error.get("code").assert_string("NOT_FOUND");
    error.get("statusCode").assert_i64(404);

    let resp = cli.post("/api/health").send().await;
    resp.assert_status(StatusCode::METHOD_NOT_ALLOWED);
    resp.assert_header("allow", "GET, HEAD");
    let body = resp.json().await;
    body.value()
        .object()
        .get("error")
        .object()
        .get("code")
        .assert_string("METHOD_NOT_ALLOWED");
    let resp = cli
        .patch("/api/apps/avatar-creator/projects/p1")
        .send()
        .await;
    resp.assert_status(StatusCode::METHOD_NOT_ALLOWED);
    resp.assert_header("allow", "GET, HEAD, PUT, DELETE");

    // An invalid incoming id is replaced by a generated one.
    let resp = cli
        .get("/health")
        .header("X-Request-Id", "bad id!")
        .send()
        .await;
    let id = resp
        .0
        .headers()
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert_ne!(id, "bad id!");
    assert_eq!(id.len(), 36, "a UUID: {id}");
}

dual_test!(strict_gate_refuses_to_start_on_pending_migrations);
/// With pending migrations and the default strict gate, the API refuses to start
/// and names every pending migration.
async fn strict_gate_refuses_to_start_on_pending_migrations(db: TestDb) {
    let err = api::prepare(config(&db, &[("AUTO_MIGRATE", "false")]))
        .await
        .err()
        .expect("start-up must be refused");
    assert!(matches!(err, StartupError::SchemaNotReady(_)), "{err}");
    let message = err.to_string();
    for migration in migration::Migrator::migrations() {
        assert!(message.contains(migration.name()), "{message}");
    }
}

dual_test!(a_missing_column_is_named_before_any_user_sees_it);
/// The production incident: a column the entities need was dropped by hand. The
/// API refuses to start and names it; in degraded mode readiness lists it.
async fn a_missing_column_is_named_before_any_user_sees_it(db: TestDb) {
    use migration::sea_orm::ConnectionTrait;
    db.migrate().await;
    let conn = migration::connect_for_migrations(&db.url).await.unwrap();
    conn.execute_unprepared(r#"ALTER TABLE "avatars" DROP COLUMN "personaName""#)
        .await
        .unwrap();
    conn.close().await.unwrap();

    let err = api::prepare(config(&db, &[]))
        .await
        .err()
        .expect("start-up must be refused");
    assert!(
        err.to_string()
            .contains("missing columns: avatars.personaName"),
        "{err}"
    );

    let cli = client(config(&db, &[("SCHEMA_GATE", "degraded")])).await;
    let resp = cli.get("/api/health/ready").send().await;
    resp.assert_status(StatusCode::SERVICE_UNAVAILABLE);
    let body = resp.json().await;
    let schema = body
        .value()
        .object()
        .get("error")
        .object()
        .get("details")
        .object()
        .get("checks")
        .object()
        .get("schema")
        .object();
    schema.get("pendingMigrations").array().assert_len(0);
    schema.get("missingTables").array().assert_len(0);
    schema
        .get("missingColumns")
        .assert_string_array(&["avatars.personaName"]);
}

dual_test!(degraded_gate_serves_health_and_503_elsewhere);
/// In degraded mode only health routes are served; readiness explains why.
async fn degraded_gate_serves_health_and_503_elsewhere(db: TestDb) {
    let cli = client(config(
        &db,
        &[("AUTO_MIGRATE", "false"), ("SCHEMA_GATE", "degraded")],
    ))
    .await;
    cli.get("/api/health").send().await.assert_status_is_ok();

    let resp = cli.get("/api/health/ready").send().await;
    resp.assert_status(StatusCode::SERVICE_UNAVAILABLE);
    let body = resp.json().await;
    let error = body.value().object().get("error").object();
    error.get("code").assert_string("SCHEMA_NOT_READY");
    let pending = error
        .get("details")
        .object()
        .get("checks")
        .object()
        .get("schema")
        .object()
        .get("pendingMigrations");
    pending
        .array()
        .assert_len(migration::Migrator::migrations().len());

    let resp = cli.get("/api/apps/avatar-creator/projects").send().await;
    resp.assert_status(StatusCode::SERVICE_UNAVAILABLE);
    let body = resp.json().await;
    body.value()
        .object()
        .get("error")
        .object()
        .get("code")
        .assert_string("SCHEMA_NOT_READY");
}

dual_test!(the_bound_server_answers_over_http);
/// The real server binds a port and answers over TCP.
async fn the_bound_server_answers_over_http(db: TestDb) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut cfg = config(&db, &[]);
    cfg.port = 0;
    let app = api::build(cfg).await.expect("the server binds");
    let addr = app.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        stopped.await.ok();
    }));

    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /api/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains(r#""status":"ok""#), "{answer}");

    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

dual_test!(schema_report_of_a_clean_database);
/// The schema report of a freshly migrated database: every migration applied by
/// the deploy tool with a matching checksum, nothing pending, no findings.
async fn schema_report_of_a_clean_database(db: TestDb) {
    let cli = client(config(&db, &[])).await;
    let resp = cli.get("/api/health/schema").send().await;
    resp.assert_status_is_ok();
    let body = resp.json().await;
    let body = body.value().object();
    body.get("status").assert_string("ok");
    let migrations = body.get("migrations").object();
    migrations.get("pending").array().assert_len(0);
    migrations.get("unknown").array().assert_len(0);
    let applied = migrations.get("applied").array();
    applied.assert_len(migration::Migrator::migrations().len());
    for m in applied.iter() {
        let m = m.object();
        m.get("checksumOk").assert_bool(true);
        m.get("origin").assert_string("applied");
    }
    body.get("drift")
        .object()
        .get("findings")
        .array()
        .assert_len(0);
    body.get("build")
        .object()
        .get("migrationHead")
        .assert_string("m20261206_000001_session_revocations");
    body.get("database")
        .object()
        .get("migrationHead")
        .assert_string("m20261206_000001_session_revocations");
}

dual_test!(a_database_ahead_of_the_build_is_served);
/// A database that records a migration this build does not know (an older replica
/// during a rolling deploy) is served, and reported as `ahead`.
async fn a_database_ahead_of_the_build_is_served(db: TestDb) {
    use migration::sea_orm::ConnectionTrait;
    db.migrate().await;
    let conn = migration::connect_for_migrations(&db.url).await.unwrap();
    conn.execute_unprepared(r#"INSERT INTO "seaql_migrations" ("version","applied_at") VALUES ('m20991231_000001_from_a_newer_build', 0)"#)
        .await
        .unwrap();
    conn.close().await.unwrap();

    let cli = client(config(&db, &[])).await;
    cli.get("/api/health/ready")
        .send()
        .await
        .assert_status_is_ok();
    let resp = cli.get("/api/health/schema").send().await;
    let body = resp.json().await;
    let body = body.value().object();
    body.get("status").assert_string("ahead");
    body.get("migrations")
        .object()
        .get("unknown")
        .assert_string_array(&["m20991231_000001_from_a_newer_build"]);
}

/// PostgreSQL: a column whose type changed by hand is blocking drift: the API
/// refuses to start and names it; the schema report shows expected and found types.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incompatible_column_type_blocks_start_up() {
    use migration::sea_orm::ConnectionTrait;
    let Some(db) = TestDb::new(tests::Backend::Postgres).await else {
        return;
    };
    db.migrate().await;
    let conn = migration::connect_for_migrations(&db.url).await.unwrap();
    conn.execute_unprepared(r#"ALTER TABLE "avatars" ALTER COLUMN "personaAge" TYPE text"#)
        .await
        .unwrap();
    conn.close().await.unwrap();

    let err = api::prepare(config(&db, &[]))
        .await
        .err()
        .expect("start-up must be refused");
    let message = err.to_string();
    assert!(
        message.contains("type_mismatch avatars.personaAge: expected integer, found text"),
        "{message}"
    );

    let cli = client(config(&db, &[("SCHEMA_GATE", "degraded")])).await;
    let body = cli.get("/api/health/schema").send().await.json().await;
    let body = body.value().object();
    body.get("status").assert_string("drift");
    let findings = body.get("drift").object().get("findings").array();
    let finding = findings.get(0).object();
    finding.get("severity").assert_string("blocking");
    finding.get("kind").assert_string("type_mismatch");
    finding.get("object").assert_string("avatars.personaAge");
    finding.get("expected").assert_string("integer");
    finding.get("actual").assert_string("text");
    finding
        .get("migration")
        .assert_string("m20251014_000001_avatar_creator");
}
