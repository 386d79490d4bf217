//! Errors as the client sees them (api.md §1.6).
//!
//! Handlers return [`ApiError`]; services fail with their own domain errors (`AuthError`,
//! `AvatarCreatorError`, `PoseGeneratorError`, `LedgerError`, `JobError`), each turned
//! into an `ApiError` here, one file per domain (`error/auth.rs`, ...), and nowhere else.
//! An `ApiError` travels up as a `poem::Error`, and the
//! request middleware ([`crate::http::request_id::RequestContext`]) calls [`render`], which
//! also turns the framework's own errors (unknown route, wrong method, unparsable
//! input) into the same body. [`ErrorCode::status`] is the only place that maps an
//! error to an HTTP status.

mod auth;
mod avatar_creator;
mod body;
pub mod documented;
mod field_errors;
mod jobs;
mod ledger;
mod pose_generator;
mod render;
mod responses;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use migration::sea_orm::DbErr;
use poem::{
    IntoResponse, Response,
    error::ResponseError,
    http::{StatusCode, header},
};
use poem_openapi::{Enum, payload::Json};
use serde_json::Value;

pub use body::{ErrorInfo, ErrorResponse};
pub use field_errors::FieldErrors;
pub use render::render;
pub use responses::{Errors, error_response_meta};

use crate::{http::request_id::RequestId, timestamp::Timestamp};

/// `error.details`: free-form, its shape depends on the code (§1.6 table).
pub type ErrorDetails = BTreeMap<String, Value>;

/// Machine-readable error code; clients branch on it and on the status.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[oai(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    ValidationError,
    Unauthorized,
    InsufficientCredits,
    Forbidden,
    InsufficientQuota,
    NotFound,
    MethodNotAllowed,
    Conflict,
    RequestTimeout,
    PayloadTooLarge,
    UnsupportedMediaType,
    RateLimited,
    InternalError,
    ServiceUnavailable,
    SchemaNotReady,
}

impl ErrorCode {
    pub fn status(self) -> StatusCode {
        match self {
            Self::ValidationError => StatusCode::BAD_REQUEST,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::InsufficientCredits => StatusCode::PAYMENT_REQUIRED,
            Self::Forbidden | Self::InsufficientQuota => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict => StatusCode::CONFLICT,
            Self::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Self::InternalError => StatusCode::INTERNAL_SERVER_ERROR,
            Self::ServiceUnavailable | Self::SchemaNotReady => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

const INTERNAL_MESSAGE: &str = "An unexpected error occurred";
const UNAVAILABLE_MESSAGE: &str = "Service temporarily unavailable";
/// The request id shown in the OpenAPI examples of error responses.
const EXAMPLE_REQUEST_ID: &str = "6f1c2a9e-5b7d-4e0a-9c3f-2d8b1e4a7c65";

/// Every way a request can fail. The `Display` text is for logs; what the client reads
/// comes from [`ApiError::message`], which never exposes internals.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{message}")]
    Validation {
        message: String,
        fields: FieldErrors,
    },
    #[error("{0}")]
    Unauthorized(String),
    /// The balance does not cover the cost; details `{ required, available }`.
    #[error("Insufficient credits")]
    InsufficientCredits { required: i64, available: i64 },
    #[error("{0}")]
    Forbidden(String),
    /// The unlimited-pose daily quota cannot cover the request; details `{ required,
    /// remaining, dailyQuota, resetAt }`.
    #[error("Insufficient daily pose quota")]
    InsufficientQuota(ErrorDetails),
    #[error("{0}")]
    NotFound(String),
    #[error("Method not allowed")]
    MethodNotAllowed,
    #[error("{message}")]
    Conflict {
        message: String,
        details: Option<ErrorDetails>,
    },
    /// The request body did not arrive within `BODY_READ_TIMEOUT`.
    #[error("{0}")]
    RequestTimeout(String),
    #[error("{message}")]
    PayloadTooLarge {
        message: String,
        details: Option<ErrorDetails>,
    },
    #[error("{message}")]
    UnsupportedMediaType {
        message: String,
        details: Option<ErrorDetails>,
    },
    #[error("{message}")]
    RateLimited {
        message: String,
        details: Option<ErrorDetails>,
    },
    #[error("{0}")]
    ServiceUnavailable(String),
    /// A 503 `SERVICE_UNAVAILABLE` that says what is down: an app's health report in
    /// `details`.
    #[error("{message}")]
    Unhealthy {
        message: String,
        details: ErrorDetails,
    },
    #[error("{message}")]
    SchemaNotReady {
        message: String,
        details: Option<ErrorDetails>,
    },
    /// Unexpected failure; the source is logged with the request id, never sent.
    #[error("internal error: {0}")]
    Internal(Box<dyn std::error::Error + Send + Sync>),
    /// A connection problem answers 503, anything else 500; see [`ApiError::code`].
    #[error("database error: {0}")]
    Database(#[from] DbErr),
}

impl ApiError {
    /// 400 with one message per failing field; the summary message follows §1.6.
    pub fn validation(fields: FieldErrors) -> Self {
        Self::Validation {
            message: fields.summary(),
            fields,
        }
    }

    /// 400 for a single field.
    pub fn invalid_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::validation(FieldErrors::new().with(field, message))
    }

    pub fn internal(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Internal(source.into())
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Validation { .. } => ErrorCode::ValidationError,
            Self::Unauthorized(_) => ErrorCode::Unauthorized,
            Self::InsufficientCredits { .. } => ErrorCode::InsufficientCredits,
            Self::Forbidden(_) => ErrorCode::Forbidden,
            Self::InsufficientQuota(_) => ErrorCode::InsufficientQuota,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::MethodNotAllowed => ErrorCode::MethodNotAllowed,
            Self::Conflict { .. } => ErrorCode::Conflict,
            Self::RequestTimeout(_) => ErrorCode::RequestTimeout,
            Self::PayloadTooLarge { .. } => ErrorCode::PayloadTooLarge,
            Self::UnsupportedMediaType { .. } => ErrorCode::UnsupportedMediaType,
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::ServiceUnavailable(_) | Self::Unhealthy { .. } => ErrorCode::ServiceUnavailable,
            Self::SchemaNotReady { .. } => ErrorCode::SchemaNotReady,
            Self::Internal(_) => ErrorCode::InternalError,
            Self::Database(err) if database_unavailable(err) => ErrorCode::ServiceUnavailable,
            Self::Database(_) => ErrorCode::InternalError,
        }
    }

    pub fn status(&self) -> StatusCode {
        self.code().status()
    }

    /// The message the client reads.
    pub fn message(&self) -> String {
        match self.code() {
            ErrorCode::InternalError => INTERNAL_MESSAGE.to_owned(),
            ErrorCode::ServiceUnavailable if matches!(self, Self::Database(_)) => {
                UNAVAILABLE_MESSAGE.to_owned()
            }
            _ => self.to_string(),
        }
    }

    pub fn details(&self) -> Option<ErrorDetails> {
        match self {
            Self::Validation { fields, .. } => Some(fields.to_details()),
            Self::InsufficientCredits {
                required,
                available,
            } => Some(ErrorDetails::from([
                ("required".to_owned(), Value::from(*required)),
                ("available".to_owned(), Value::from(*available)),
            ])),
            Self::Conflict { details, .. }
            | Self::PayloadTooLarge { details, .. }
            | Self::UnsupportedMediaType { details, .. }
            | Self::RateLimited { details, .. }
            | Self::SchemaNotReady { details, .. } => details.clone(),
            Self::InsufficientQuota(details) | Self::Unhealthy { details, .. } => {
                Some(details.clone())
            }
            _ => None,
        }
    }

    /// A typical error of `status`, for the example of that response in the OpenAPI
    /// document (each error status shows its own code, message and details).
    fn example_for(status: u16) -> Self {
        let details = |pairs: &[(&str, Value)]| {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect::<ErrorDetails>()
        };
        match status {
            400 => Self::invalid_field("name", "Project name is required"),
            401 => Self::Unauthorized("No token provided".into()),
            402 => Self::InsufficientCredits {
                required: 30,
                available: 12,
            },
            403 => Self::Forbidden("Admin access required".into()),
            404 => Self::NotFound("Not found".into()),
            405 => Self::MethodNotAllowed,
            409 => Self::Conflict {
                message: "Conflict".into(),
                details: None,
            },
            408 => crate::http::body_limit::request_timeout(std::time::Duration::from_secs(30)),
            413 => {
                crate::http::body_limit::payload_too_large(crate::http::body_limit::JSON_MAX_BYTES)
            }
            415 => Self::UnsupportedMediaType {
                message: "Unsupported Content-Type".into(),
                details: None,
            },
            429 => Self::RateLimited {
                message: "Too many requests, please try again later".into(),
                details: Some(details(&[
                    ("retryAfter", Value::from(42)),
                    ("limit", Value::from(5)),
                    ("windowSeconds", Value::from(60)),
                ])),
            },
            503 => Self::ServiceUnavailable(UNAVAILABLE_MESSAGE.into()),
            _ => Self::internal("example"),
        }
    }

    fn body(&self, request_id: &RequestId) -> ErrorResponse {
        ErrorResponse {
            success: false,
            error: ErrorInfo {
                message: self.message(),
                code: self.code(),
                status_code: i32::from(self.status().as_u16()),
                details: self.details(),
            },
            request_id: request_id.to_string(),
            timestamp: Timestamp::now(),
        }
    }

    fn to_response(&self, request_id: &RequestId) -> Response {
        let mut resp = Json(self.body(request_id)).into_response();
        resp.set_status(self.status());
        if let Some(retry_after) = self
            .details()
            .filter(|_| self.code() == ErrorCode::RateLimited)
            .and_then(|d| d.get("retryAfter").and_then(Value::as_u64))
            && let Ok(value) = header::HeaderValue::from_str(&retry_after.to_string())
        {
            // §1.9: every 429 says when to come back, in the header too.
            resp.headers_mut().insert(header::RETRY_AFTER, value);
        }
        if self.status() == StatusCode::UNAUTHORIZED {
            // §1.8: every authentication failure names the scheme to use.
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                "Bearer".parse().expect("valid header"),
            );
        }
        resp
    }
}

impl ResponseError for ApiError {
    fn status(&self) -> StatusCode {
        ApiError::status(self)
    }

    /// Used only if the error escapes [`render`] (e.g. an endpoint tested without the
    /// middleware); still the public body, never the internal text.
    fn as_response(&self) -> Response {
        self.to_response(&RequestId::generate())
    }
}

/// Whether `err` means the database cannot be reached (503 `SERVICE_UNAVAILABLE`)
/// rather than a fault of the request or the code (500): no connection could be made
/// or taken from the pool in time (server down, refused, pool timeout), or the
/// connection broke under the statement (I/O error, protocol error, PostgreSQL ending
/// the session: class 08 connection exceptions, 57P01..57P03 shutdown / cannot connect
/// now, 53300 too many connections).
pub fn database_unavailable(err: &DbErr) -> bool {
    use migration::sea_orm::{RuntimeErr, sqlx::Error as Sqlx};
    match err {
        DbErr::Conn(_) | DbErr::ConnectionAcquire(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(err)) | DbErr::Query(RuntimeErr::SqlxError(err)) => {
            match err.as_ref() {
                Sqlx::Io(_)
                | Sqlx::Tls(_)
                | Sqlx::Protocol(_)
                | Sqlx::PoolTimedOut
                | Sqlx::PoolClosed
                | Sqlx::WorkerCrashed
                | Sqlx::BeginFailed => true,
                Sqlx::Database(db) => db.code().is_some_and(|code| {
                    code.starts_with("08")
                        || matches!(&*code, "57P01" | "57P02" | "57P03" | "53300")
                }),
                _ => false,
            }
        }
        _ => false,
    }
}
