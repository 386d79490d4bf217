use super::{render::is_json_syntax_error, *};

#[test]
fn validation_message_summarises_the_fields() {
    let one = FieldErrors::new().with("name", "Project name is required");
    assert_eq!(
        ApiError::validation(one).message(),
        "name: Project name is required"
    );
    let two = FieldErrors::new().with("name", "x").with("gender", "y");
    assert_eq!(
        ApiError::validation(two).message(),
        "Invalid name and gender"
    );
    let four = FieldErrors::new()
        .with("a", "x")
        .with("b", "x")
        .with("c", "x")
        .with("d", "x");
    assert_eq!(
        ApiError::validation(four).message(),
        "Invalid a, b and 2 more field(s)"
    );
}

#[test]
fn validation_details_list_every_message_per_field() {
    let fields = FieldErrors::new()
        .with("name", "is required")
        .with("name", "is too short");
    let details = ApiError::validation(fields).details().unwrap();
    assert_eq!(
        details.get("name"),
        Some(&serde_json::json!(["is required", "is too short"]))
    );
}

#[test]
fn internal_errors_never_leak() {
    let err = ApiError::internal("relation \"avatars\" has no column \"personaName\"");
    assert_eq!(err.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(err.message(), INTERNAL_MESSAGE);
    let db = ApiError::from(DbErr::Custom("SELECT secret FROM users".into()));
    assert_eq!(db.message(), INTERNAL_MESSAGE);
    assert_eq!(db.details(), None);
}

#[test]
fn lost_database_connection_is_a_503() {
    let err = ApiError::from(DbErr::ConnectionAcquire(
        migration::sea_orm::ConnAcquireErr::Timeout,
    ));
    assert_eq!(err.code(), ErrorCode::ServiceUnavailable);
    assert_eq!(err.message(), UNAVAILABLE_MESSAGE);
}

/// What sqlx reports when PostgreSQL goes away under a statement (connection
/// refused or reset, pool timeout, the worker gone) is a 503 too; a statement's
/// own fault stays a 500.
#[test]
fn broken_connections_under_a_statement_are_503s() {
    use migration::sea_orm::{RuntimeErr, sqlx::Error as Sqlx};
    use std::sync::Arc;
    let query = |e: Sqlx| ApiError::from(DbErr::Query(RuntimeErr::SqlxError(Arc::new(e))));
    let exec = |e: Sqlx| ApiError::from(DbErr::Exec(RuntimeErr::SqlxError(Arc::new(e))));
    let refused = || Sqlx::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
    for err in [
        query(refused()),
        exec(refused()),
        exec(Sqlx::Io(std::io::ErrorKind::UnexpectedEof.into())),
        query(Sqlx::PoolTimedOut),
        query(Sqlx::PoolClosed),
        exec(Sqlx::WorkerCrashed),
        exec(Sqlx::Protocol("unexpected message".into())),
    ] {
        assert_eq!(err.status(), StatusCode::SERVICE_UNAVAILABLE, "{err}");
        assert_eq!(err.message(), UNAVAILABLE_MESSAGE);
        assert_eq!(err.details(), None);
    }
    for err in [
        query(Sqlx::RowNotFound),
        query(Sqlx::ColumnNotFound("personaName".into())),
    ] {
        assert_eq!(err.status(), StatusCode::INTERNAL_SERVER_ERROR, "{err}");
        assert_eq!(err.message(), INTERNAL_MESSAGE);
    }
}

/// What the API sends for every kind of error fits the documented variant of its
/// `code` (the integration tests check every error body they receive, too).
#[test]
fn every_error_body_fits_its_documented_variant() {
    use poem_openapi::types::{ParseFromJSON, ToJSON};
    let details = |pairs: &[(&str, Value)]| {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect::<ErrorDetails>()
    };
    let mut errors: Vec<ApiError> = [
        400, 401, 402, 403, 404, 405, 408, 409, 413, 415, 429, 500, 503,
    ]
    .into_iter()
    .map(ApiError::example_for)
    .collect();
    errors.extend([
        ApiError::InsufficientQuota(details(&[
            ("required", 8.into()),
            ("remaining", 3.into()),
            ("dailyQuota", 100.into()),
            ("resetAt", "2025-10-19T00:00:00.000Z".into()),
        ])),
        ApiError::Conflict {
            message: "Not ready".into(),
            details: Some(details(&[("status", "processing".into())])),
        },
        ApiError::Conflict {
            message: "Wrong state".into(),
            details: Some(details(&[
                ("status", "rejected".into()),
                ("allowedFrom", Value::from(vec!["pending"])),
            ])),
        },
        ApiError::Conflict {
            message: "Busy".into(),
            details: Some(details(&[("activeGenerations", 2.into())])),
        },
        crate::images::payload_too_large(),
        ApiError::UnsupportedMediaType {
            message: "Not an image".into(),
            details: Some(details(&[
                ("detected", "text/plain".into()),
                ("allowed", Value::from(vec!["image/png"])),
            ])),
        },
        ApiError::RateLimited {
            message: "Busy".into(),
            details: Some(details(&[("retryAfter", 5.into()), ("limit", 2.into())])),
        },
        ApiError::Unhealthy {
            message: "Down".into(),
            details: details(&[("status", "unhealthy".into())]),
        },
        ApiError::SchemaNotReady {
            message: "Not ready".into(),
            details: None,
        },
    ]);
    for err in errors {
        let body = err.body(&RequestId::generate());
        let json = body.error.to_json().unwrap();
        let parsed = documented::ErrorInfo::parse_from_json(Some(json.clone()));
        assert!(parsed.is_ok(), "{json} does not fit: {:?}", parsed.err());
    }
}

#[test]
fn recognises_json_syntax_errors() {
    let syntax = serde_json::from_str::<Value>("{\"a\":")
        .unwrap_err()
        .to_string();
    assert!(is_json_syntax_error(&syntax), "{syntax}");
    assert!(!is_json_syntax_error(
        r#"Expected input type "Foo", found "at line 1 column 2"."#
    ));
}
