//! The configuration rules, variable by variable.
use super::*;

const SECRET: &str = "0123456789abcdef0123456789abcdef";

fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    Config::from_vars(vars.iter().copied())
}

fn problem(vars: &[(&str, &str)]) -> String {
    config(vars).expect_err("should be rejected").to_string()
}

#[test]
fn defaults_serve_the_embedded_database() {
    let c = config(&[]).unwrap();
    assert_eq!(c.database_url.expose(), migration::DEFAULT_DATABASE_URL);
    assert_eq!(c.host, "127.0.0.1");
    assert_eq!(c.port, 3000);
    assert!(c.jwt_secret_generated);
    assert_eq!(c.jwt_secret.expose().len(), 48);
    assert_eq!(c.jwt_expires_in, Duration::from_secs(7 * 86_400));
    assert_eq!(c.bcrypt_cost, 10);
    assert_eq!(c.cors_origin, CorsOrigin::Any);
    assert_eq!(c.trust_proxy, TrustProxy::Off);
    assert_eq!(c.limits, Limits::for_this_machine());
    assert_eq!(c.limits.body_read_timeout, Duration::from_secs(30));
    assert_eq!(c.service_name, "creator-api");
    assert_eq!(c.upload_dir, PathBuf::from("./uploads"));
    assert_eq!(c.presets_dir, PathBuf::from("./presets"));
    assert!(c.auto_migrate);
    assert_eq!(c.schema_gate, SchemaGateMode::Strict);
    assert!(!c.health_schema_require_admin);
    assert_eq!(c.worker_concurrency, 4);
    assert!(c.rate_limits);
}

#[test]
fn generated_secrets_differ_between_starts() {
    let a = config(&[]).unwrap().jwt_secret;
    let b = config(&[]).unwrap().jwt_secret;
    assert_ne!(a.expose(), b.expose());
}

#[test]
fn empty_values_count_as_unset() {
    let c = config(&[("PORT", ""), ("HOST", "  ")]).unwrap();
    assert_eq!(c.port, 3000);
    assert_eq!(c.host, "127.0.0.1");
}

#[test]
fn port() {
    assert_eq!(config(&[("PORT", "8080")]).unwrap().port, 8080);
    assert_eq!(config(&[("PORT", "65535")]).unwrap().port, 65535);
    assert_eq!(
        problem(&[("PORT", "abc")]),
        r#"invalid configuration: PORT must be an integer 1..65535, got "abc""#
    );
    for bad in ["0", "65536", "-1", "80.5"] {
        assert!(problem(&[("PORT", bad)]).contains("PORT"), "{bad}");
    }
}

#[test]
fn host() {
    assert_eq!(config(&[("HOST", "0.0.0.0")]).unwrap().host, "0.0.0.0");
}

#[test]
fn database_url_picks_the_backend() {
    let pg = [
        ("DATABASE_URL", "postgres://app:hunter2@db:5432/app"),
        ("JWT_SECRET", SECRET),
    ];
    let c = config(&pg).unwrap();
    assert!(c.database_url.is_postgres());
    assert!(!c.auto_migrate, "PostgreSQL is migrated by the deploy tool");
    assert!(!c.jwt_secret_generated);

    let c = config(&[("DATABASE_URL", "sqlite://./tmp/x.db?mode=rwc")]).unwrap();
    assert!(c.database_url.is_sqlite());
    assert!(c.auto_migrate);

    let msg = problem(&[("DATABASE_URL", "mysql://root:hunter2@db/app")]);
    assert!(msg.contains("DATABASE_URL must start with"), "{msg}");
    assert!(!msg.contains("hunter2"), "password leaked: {msg}");
}

#[test]
fn database_password_never_prints() {
    let url = DatabaseUrl::new("postgresql://app:hunter2@db:5432/app?sslmode=require");
    assert_eq!(
        url.to_string(),
        "postgresql://app:[redacted]@db:5432/app?sslmode=require"
    );
    assert!(!format!("{url:?}").contains("hunter2"));
    let no_password = DatabaseUrl::new("postgres://app@db/app");
    assert_eq!(no_password.to_string(), "postgres://app@db/app");
    let sqlite = DatabaseUrl::new("sqlite://./data/app.db?mode=rwc");
    assert_eq!(sqlite.to_string(), "sqlite://./data/app.db?mode=rwc");
    let in_query = DatabaseUrl::new("postgres://app@db/app?password=hunter2&sslmode=require");
    assert_eq!(
        in_query.to_string(),
        "postgres://app@db/app?password=[redacted]&sslmode=require"
    );
}

#[test]
fn jwt_secret() {
    let c = config(&[("JWT_SECRET", SECRET)]).unwrap();
    assert_eq!(c.jwt_secret.expose(), SECRET);
    assert!(!c.jwt_secret_generated);

    let msg = problem(&[("JWT_SECRET", "short-secret")]);
    assert_eq!(
        msg,
        "invalid configuration: JWT_SECRET must be at least 32 characters, got 12"
    );

    let msg = problem(&[("DATABASE_URL", "postgres://db/app")]);
    assert!(msg.contains("JWT_SECRET is required"), "{msg}");
}

#[test]
fn secrets_never_print() {
    let c = config(&[
        ("JWT_SECRET", SECRET),
        ("DATABASE_URL", "postgres://app:hunter2@db/app"),
    ])
    .unwrap();
    let printed = format!("{c:?}");
    assert!(!printed.contains(SECRET), "{printed}");
    assert!(!printed.contains("hunter2"), "{printed}");
    assert!(printed.contains("[redacted]"));
}

#[test]
fn jwt_expires_in() {
    let secs = |v: &str| {
        config(&[("JWT_EXPIRES_IN", v)])
            .unwrap()
            .jwt_expires_in
            .as_secs()
    };
    assert_eq!(secs("7d"), 604_800);
    assert_eq!(secs("12h"), 43_200);
    assert_eq!(secs("15m"), 900);
    assert_eq!(secs("3600"), 3_600);
    for bad in [
        "0",
        "0d",
        "d",
        "7 d",
        "1.5h",
        "7w",
        "-1",
        "99999999999999999999d",
    ] {
        assert!(
            problem(&[("JWT_EXPIRES_IN", bad)]).contains("JWT_EXPIRES_IN"),
            "{bad}"
        );
    }
}

#[test]
fn bcrypt_cost() {
    assert_eq!(config(&[("BCRYPT_COST", "14")]).unwrap().bcrypt_cost, 14);
    for bad in ["9", "15", "ten"] {
        assert!(problem(&[("BCRYPT_COST", bad)]).contains("BCRYPT_COST must be an integer 10..14"));
    }
}

#[test]
fn cors_origin() {
    let c = config(&[(
        "CORS_ORIGIN",
        "https://app.example.com, http://localhost:5173/",
    )])
    .unwrap();
    assert_eq!(
        c.cors_origin,
        CorsOrigin::List(vec![
            "https://app.example.com".into(),
            "http://localhost:5173".into()
        ])
    );
    assert_eq!(
        config(&[("CORS_ORIGIN", "*")]).unwrap().cors_origin,
        CorsOrigin::Any
    );
    for bad in [
        "example.com",
        "https://a.com,,https://b.com",
        "https://a.com/path",
        "*,https://a.com",
    ] {
        assert!(
            problem(&[("CORS_ORIGIN", bad)]).contains("CORS_ORIGIN"),
            "{bad}"
        );
    }
}

#[test]
fn booleans() {
    for name in ["AUTO_MIGRATE", "HEALTH_SCHEMA_REQUIRE_ADMIN"] {
        let read = |v: &str| {
            let c = config(&[(name, v)]).unwrap();
            match name {
                "AUTO_MIGRATE" => c.auto_migrate,
                _ => c.health_schema_require_admin,
            }
        };
        assert!(read("true") && read("TRUE") && read("1"), "{name}");
        assert!(!read("false") && !read("0"), "{name}");
        assert!(problem(&[(name, "maybe")]).contains(&format!("{name} must be true or false")));
    }
}

#[test]
fn trust_proxy_is_off_a_hop_count_or_a_proxy_list() {
    let read = |v: &str| config(&[("TRUST_PROXY", v)]).unwrap().trust_proxy;
    assert_eq!(read("false"), TrustProxy::Off);
    assert_eq!(read("0"), TrustProxy::Off);
    assert_eq!(read("true"), TrustProxy::Hops(1));
    assert_eq!(read("2"), TrustProxy::Hops(2));
    assert_eq!(
        read("10.0.0.0/8, 192.168.1.7, ::1"),
        TrustProxy::Proxies(vec![
            "10.0.0.0/8".parse().unwrap(),
            "192.168.1.7/32".parse().unwrap(),
            "::1/128".parse().unwrap(),
        ])
    );
    for bad in ["maybe", "11", "10.0.0.0/33", "10.0.0.1,,"] {
        assert!(
            problem(&[("TRUST_PROXY", bad)]).contains("TRUST_PROXY must be"),
            "{bad}"
        );
    }
}

#[test]
fn limits_are_bounded_positive_numbers() {
    let c = config(&[
        ("MAX_CONNECTIONS", "10"),
        ("BODY_READ_TIMEOUT", "5"),
        ("MAX_EXPORTS_PER_USER", "1"),
    ])
    .unwrap();
    assert_eq!(c.limits.max_connections, 10);
    assert_eq!(c.limits.body_read_timeout, Duration::from_secs(5));
    assert_eq!(c.limits.max_exports_per_user, 1);
    for (name, bad) in [
        ("MAX_CONNECTIONS", "0"),
        ("BODY_READ_TIMEOUT", "0"),
        ("SEND_TIMEOUT", "3601"),
        ("MAX_STREAMS_PER_USER", "x"),
    ] {
        assert!(problem(&[(name, bad)]).contains(name), "{name}={bad}");
    }
}

#[test]
fn page_cache_size_is_mebibytes_and_zero_turns_it_off() {
    let bytes = |v: &str| {
        config(&[("PAGE_CACHE_MB", v)])
            .unwrap()
            .limits
            .page_cache_bytes
    };
    assert_eq!(
        config(&[]).unwrap().limits.page_cache_bytes,
        32 * 1024 * 1024
    );
    assert_eq!(bytes("0"), 0);
    assert_eq!(bytes("8"), 8 * 1024 * 1024);
    for bad in ["-1", "lots", "65537"] {
        assert!(
            problem(&[("PAGE_CACHE_MB", bad)]).contains("PAGE_CACHE_MB"),
            "{bad}"
        );
    }
}

#[test]
fn directories_and_service_name() {
    let c = config(&[
        ("UPLOAD_DIR", "/var/lib/creator/uploads"),
        ("PRESETS_DIR", "/srv/presets"),
        ("SERVICE_NAME", "creator-api-eu"),
    ])
    .unwrap();
    assert_eq!(c.upload_dir, PathBuf::from("/var/lib/creator/uploads"));
    assert_eq!(c.presets_dir, PathBuf::from("/srv/presets"));
    assert_eq!(c.service_name, "creator-api-eu");
}

#[test]
fn schema_gate() {
    let gate = |v: &str| config(&[("SCHEMA_GATE", v)]).unwrap().schema_gate;
    assert_eq!(gate("strict"), SchemaGateMode::Strict);
    assert_eq!(gate("degraded"), SchemaGateMode::Degraded);
    assert_eq!(gate("OFF"), SchemaGateMode::Off);
    assert!(
        problem(&[("SCHEMA_GATE", "lenient")])
            .contains("SCHEMA_GATE must be strict, degraded or off")
    );
}

#[test]
fn worker_concurrency() {
    let n = |v: &str| {
        config(&[("WORKER_CONCURRENCY", v)])
            .unwrap()
            .worker_concurrency
    };
    assert_eq!(n("0"), 0);
    assert_eq!(n("16"), 16);
    for bad in ["-1", "many", "1025"] {
        assert!(
            problem(&[("WORKER_CONCURRENCY", bad)]).contains("WORKER_CONCURRENCY"),
            "{bad}"
        );
    }
}

#[test]
fn rate_limits() {
    assert!(!config(&[("RATE_LIMITS", "off")]).unwrap().rate_limits);
    assert!(config(&[("RATE_LIMITS", "on")]).unwrap().rate_limits);
    assert!(problem(&[("RATE_LIMITS", "false")]).contains("RATE_LIMITS must be on or off"));
}

#[test]
fn every_problem_is_reported_at_once() {
    let err = config(&[("PORT", "abc"), ("BCRYPT_COST", "3")]).unwrap_err();
    assert_eq!(err.problems.len(), 2);
    let msg = err.to_string();
    assert!(msg.contains("PORT") && msg.contains("BCRYPT_COST"), "{msg}");
}

#[test]
fn costs_default_to_the_price_list_and_reject_negatives() {
    let c = config(&[]).unwrap().costs;
    assert_eq!(
        (
            c.avatar_upload,
            c.avatar_generate,
            c.avatar_from_preset,
            c.avatar_from_reference
        ),
        (2, 10, 8, 12)
    );
    assert_eq!(
        (
            c.pose_per_pose,
            c.pose_background_per_pose,
            c.pose_background_change
        ),
        (30, 10, 10)
    );
    assert_eq!(
        config(&[("COST_AVATAR_GENERATE", "0")])
            .unwrap()
            .costs
            .avatar_generate,
        0
    );
    let msg = problem(&[("COST_POSE_PER_POSE", "-1")]);
    assert!(
        msg.contains("COST_POSE_PER_POSE must be a non-negative integer"),
        "{msg}"
    );
    // A price that could wrap a request's total around (and grant credits) is
    // refused at start-up.
    for huge in ["1000001", "2147483647"] {
        let msg = problem(&[("COST_POSE_PER_POSE", huge)]);
        assert!(msg.contains("at most 1000000"), "{msg}");
    }
    assert_eq!(
        config(&[("COST_POSE_PER_POSE", "1000000")])
            .unwrap()
            .costs
            .pose_per_pose,
        MAX_COST
    );
}

#[test]
fn sse_settings() {
    let c = config(&[]).unwrap();
    assert_eq!(
        (c.sse_poll, c.sse_max),
        (Duration::from_millis(1000), Duration::from_secs(1800))
    );
    let c = config(&[("SSE_POLL_MS", "100"), ("SSE_MAX_SECONDS", "60")]).unwrap();
    assert_eq!(
        (c.sse_poll, c.sse_max),
        (Duration::from_millis(100), Duration::from_secs(60))
    );
    assert!(problem(&[("SSE_POLL_MS", "5")]).contains("SSE_POLL_MS"));
}

#[test]
fn image_provider() {
    assert_eq!(
        config(&[]).unwrap().image_provider,
        ImageProviderConfig::Local
    );
    let c = config(&[
        ("IMAGE_PROVIDER", "http"),
        (
            "IMAGE_HTTP_URL",
            "https://api.example.com/models/org/flux-dev",
        ),
        ("IMAGE_HTTP_TOKEN", "hf_secret"),
        ("IMAGE_HTTP_STEPS", "20"),
        ("IMAGE_HTTP_GUIDANCE", "7"),
        ("IMAGE_HTTP_TIMEOUT_SECONDS", "30"),
    ])
    .unwrap();
    let ImageProviderConfig::Http(http) = c.image_provider else {
        panic!("http expected");
    };
    assert_eq!(http.url, "https://api.example.com/models/org/flux-dev");
    assert_eq!(
        http.token.as_ref().map(|t| t.expose().as_str()),
        Some("hf_secret")
    );
    assert_eq!((http.steps, http.guidance), (20, 7.0));
    assert_eq!(http.timeout, Duration::from_secs(30));
    assert!(!format!("{http:?}").contains("hf_secret"));

    let defaults = config(&[
        ("IMAGE_PROVIDER", "http"),
        ("IMAGE_HTTP_URL", "http://127.0.0.1:9/m"),
    ])
    .unwrap()
    .image_provider;
    let ImageProviderConfig::Http(http) = defaults else {
        panic!("http expected");
    };
    assert_eq!(
        (http.steps, http.guidance, http.timeout),
        (28, 3.5, Duration::from_secs(180))
    );
    assert!(http.token.is_none());

    assert!(problem(&[("IMAGE_PROVIDER", "http")]).contains("IMAGE_HTTP_URL is required"));
    assert!(
        problem(&[("IMAGE_PROVIDER", "dalle")]).contains("IMAGE_PROVIDER must be local or http")
    );
    let msg = problem(&[
        ("IMAGE_PROVIDER", "http"),
        ("IMAGE_HTTP_URL", "ftp://x"),
        ("IMAGE_HTTP_STEPS", "0"),
        ("IMAGE_HTTP_GUIDANCE", "NaN"),
    ]);
    assert!(
        msg.contains("IMAGE_HTTP_URL must be")
            && msg.contains("IMAGE_HTTP_STEPS")
            && msg.contains("IMAGE_HTTP_GUIDANCE"),
        "{msg}"
    );
}

#[test]
fn storage() {
    assert_eq!(config(&[]).unwrap().storage, StorageConfig::Local);
    let c = config(&[
        ("STORAGE", "s3"),
        ("S3_BUCKET", "creator-uploads"),
        ("S3_ENDPOINT", "http://127.0.0.1:9000"),
        ("S3_ACCESS_KEY_ID", "AKIA123"),
        ("S3_SECRET_ACCESS_KEY", "very-secret"),
    ])
    .unwrap();
    let StorageConfig::S3(s3) = c.storage else {
        panic!("s3 expected");
    };
    assert_eq!(s3.bucket, "creator-uploads");
    assert_eq!(s3.region, "us-east-1");
    assert_eq!(s3.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
    assert_eq!(s3.keys.as_ref().unwrap().access_key_id, "AKIA123");
    assert!(!format!("{s3:?}").contains("very-secret"));

    assert!(problem(&[("STORAGE", "s3")]).contains("S3_BUCKET is required"));
    assert!(problem(&[("STORAGE", "gcs")]).contains("STORAGE must be local or s3"));
    let msg = problem(&[
        ("STORAGE", "s3"),
        ("S3_BUCKET", "b"),
        ("S3_ENDPOINT", "minio:9000"),
        ("S3_ACCESS_KEY_ID", "AKIA123"),
    ]);
    assert!(
        msg.contains("S3_ENDPOINT must be") && msg.contains("must be set together"),
        "{msg}"
    );
}

#[test]
fn rate_limits_can_be_overridden_one_by_one() {
    let c = config(&[("RATE_LIMIT_AC_GENERATE", "7/2m")]).unwrap();
    assert_eq!(
        c.rate_limit_overrides.get("ac-generate"),
        Some(&crate::rate_limit::Limit {
            max: 7,
            window: Duration::from_secs(120)
        })
    );
    let msg = problem(&[("RATE_LIMIT_AUTH_REGISTER", "lots")]);
    assert!(
        msg.contains("RATE_LIMIT_AUTH_REGISTER must look like"),
        "{msg}"
    );
}
