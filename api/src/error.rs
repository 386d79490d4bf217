//! Errors as the client sees them (api.md §1.6).
//!
//! Handlers and services return [`ApiError`]. It travels up as a `poem::Error`, and the
//! request middleware ([`crate::request_id::RequestContext`]) calls [`render`], which
//! also turns the framework's own errors (unknown route, wrong method, unparsable
//! input) into the same body. [`ErrorCode::status`] is the only place that maps an
//! error to an HTTP status.

use std::collections::BTreeMap;

use migration::sea_orm::DbErr;
use poem::{
    IntoResponse, Response,
    error::{MethodNotAllowedError, NotFoundError, ReadBodyError, ResponseError},
    http::{StatusCode, header},
};
use poem_openapi::{
    ApiResponse, Enum, Object,
    error::{
        AuthorizationError, ContentTypeError, ParseMultipartError, ParseParamError, ParsePathError,
        ParseRequestPayloadError,
    },
    payload::{Json, Payload},
    registry::{MetaMediaType, MetaResponse, MetaResponses, MetaSchema, MetaSchemaRef, Registry},
};
use serde_json::Value;

use crate::{request_id::RequestId, timestamp::Timestamp};

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
            408 => crate::body_limit::request_timeout(std::time::Duration::from_secs(30)),
            413 => crate::body_limit::payload_too_large(crate::body_limit::JSON_MAX_BYTES),
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

/// Domain errors of the services, mapped to what the client sees. Internal causes
/// keep their text for the log only.
impl From<crate::auth::service::AuthError> for ApiError {
    fn from(err: crate::auth::service::AuthError) -> Self {
        use crate::auth::service::AuthError as E;
        match err {
            E::EmailAlreadyRegistered | E::EmailInUse => Self::Conflict {
                message: err.to_string(),
                details: None,
            },
            E::InvalidCredentials
            | E::TokenExpired
            | E::InvalidToken
            | E::UserNotFound
            | E::SessionEnded => Self::Unauthorized(err.to_string()),
            E::CurrentPasswordIncorrect | E::CurrentPasswordRequired => {
                Self::invalid_field("currentPassword", err.to_string())
            }
            E::Ledger(err) => err.into(),
            E::Database(err) => err.into(),
            E::Hash(_) | E::TokenSigning(_) => Self::internal(err),
        }
    }
}

impl From<crate::jobs::JobError> for ApiError {
    fn from(err: crate::jobs::JobError) -> Self {
        use crate::jobs::JobError as E;
        match err {
            E::Database(err) => err.into(),
            E::Ledger(err) => err.into(),
            E::Internal(_) => Self::internal(err),
        }
    }
}

impl From<crate::credits::ledger::LedgerError> for ApiError {
    fn from(err: crate::credits::ledger::LedgerError) -> Self {
        use crate::credits::ledger::LedgerError as E;
        match err {
            E::InsufficientCredits {
                required,
                available,
            } => Self::InsufficientCredits {
                required,
                available,
            },
            E::Database(err) => err.into(),
            E::UnknownUser(_) | E::Overflow(_) => Self::internal(err),
        }
    }
}

/// Messages per request field, in the order they were found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(Vec<(String, Vec<String>)>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        let field = field.into();
        let message = message.into();
        match self.0.iter_mut().find(|(f, _)| *f == field) {
            Some((_, messages)) => messages.push(message),
            None => self.0.push((field, vec![message])),
        }
    }

    #[must_use]
    pub fn with(mut self, field: impl Into<String>, message: impl Into<String>) -> Self {
        self.add(field, message);
        self
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `"<field>: <message>"`, `"Invalid <a> and <b>"` or
    /// `"Invalid <a>, <b> and <N> more field(s)"` (§1.6).
    fn summary(&self) -> String {
        match self.0.as_slice() {
            [] => "Invalid request".to_owned(),
            [(field, messages)] => format!(
                "{field}: {}",
                messages.first().map_or("is invalid", String::as_str)
            ),
            [(a, _), (b, _)] => format!("Invalid {a} and {b}"),
            [(a, _), (b, _), rest @ ..] => {
                format!("Invalid {a}, {b} and {} more field(s)", rest.len())
            }
        }
    }

    fn to_details(&self) -> ErrorDetails {
        self.0
            .iter()
            .map(|(field, messages)| (field.clone(), Value::from(messages.clone())))
            .collect()
    }
}

/// The body of every error response.
#[derive(Object, Debug, Clone)]
#[oai(rename_all = "camelCase")]
pub struct ErrorResponse {
    /// Always `false`.
    pub success: bool,
    pub error: ErrorInfo,
    /// Echoes the `X-Request-Id` response header.
    pub request_id: String,
    pub timestamp: Timestamp,
}

impl ErrorResponse {
    /// The example body of an error response with `status` in the OpenAPI document:
    /// what the API sends, with a fixed request id and time so the document is stable.
    fn example_for(status: u16) -> Self {
        let mut body =
            ApiError::example_for(status).body(&RequestId::from_header(Some(EXAMPLE_REQUEST_ID)));
        body.timestamp = Timestamp(
            chrono::DateTime::from_timestamp_millis(1_760_781_600_000).unwrap_or_default(),
        );
        body
    }
}

/// `error` of the error body: `message`, `code`, `statusCode` and, for some codes,
/// `details`. On the wire it is one JSON object; in the OpenAPI document it is
/// [`documented::ErrorInfo`], a `oneOf` told apart by `code`, each variant with the
/// shape of its `details`, so a client narrows by `code` and reads them typed.
#[derive(Debug, Clone)]
pub struct ErrorInfo {
    /// Short human-readable English; do not branch on it.
    pub message: String,
    pub code: ErrorCode,
    pub status_code: i32,
    /// Present only for some codes (api.md §1.6).
    pub details: Option<ErrorDetails>,
}

impl poem_openapi::types::Type for ErrorInfo {
    const IS_REQUIRED: bool = true;

    type RawValueType = Self;

    type RawElementValueType = Self;

    fn name() -> std::borrow::Cow<'static, str> {
        <documented::ErrorInfo as poem_openapi::types::Type>::name()
    }

    fn schema_ref() -> MetaSchemaRef {
        <documented::ErrorInfo as poem_openapi::types::Type>::schema_ref()
    }

    fn register(registry: &mut Registry) {
        <documented::ErrorInfo as poem_openapi::types::Type>::register(registry);
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }

    fn raw_element_iter<'a>(
        &'a self,
    ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl poem_openapi::types::ToJSON for ErrorInfo {
    fn to_json(&self) -> Option<Value> {
        let mut object = serde_json::Map::new();
        object.insert("message".into(), Value::from(self.message.clone()));
        object.insert("code".into(), self.code.to_json()?);
        object.insert("statusCode".into(), Value::from(self.status_code));
        if let Some(details) = &self.details {
            object.insert(
                "details".into(),
                Value::Object(details.clone().into_iter().collect()),
            );
        }
        Some(Value::Object(object))
    }
}

impl poem_openapi::types::ParseFromJSON for ErrorInfo {
    fn parse_from_json(value: Option<Value>) -> poem_openapi::types::ParseResult<Self> {
        use poem_openapi::types::ParseError;
        let value = value.unwrap_or_default();
        let object = value
            .as_object()
            .ok_or_else(|| ParseError::expected_type(value.clone()))?;
        let field = |name: &str| object.get(name).cloned();
        Ok(Self {
            message: String::parse_from_json(field("message")).map_err(ParseError::propagate)?,
            code: ErrorCode::parse_from_json(field("code")).map_err(ParseError::propagate)?,
            status_code: i32::parse_from_json(field("statusCode"))
                .map_err(ParseError::propagate)?,
            details: match field("details") {
                Some(Value::Object(map)) => Some(map.into_iter().collect()),
                _ => None,
            },
        })
    }
}

/// The error body as the OpenAPI document describes it: one variant per `code`, each
/// with the type of its `details`. Only for the document (and the test that every
/// error the API sends fits it); [`super::ErrorInfo`] writes the body.
pub mod documented {
    use std::collections::BTreeMap;

    use poem_openapi::{Object, Union};
    use serde_json::Value;

    use crate::{health::ReadinessChecks, timestamp::Timestamp};

    /// An error without `details`.
    macro_rules! plain {
        ($($(#[$meta:meta])* $name:ident),+ $(,)?) => {$(
            $(#[$meta])*
            #[derive(Object, Debug, Clone)]
            #[oai(rename_all = "camelCase")]
            pub struct $name {
                pub message: String,
                pub status_code: i32,
            }
        )+};
    }

    plain! {
        /// 401: no, or an invalid, expired or ended token, or wrong credentials.
        UnauthorizedError,
        /// 403: the `admin` role is required.
        ForbiddenError,
        /// 404: no such resource (or not the caller's), or no such route.
        NotFoundError,
        /// 405: the path exists with other methods (see `Allow`).
        MethodNotAllowedError,
        /// 408: the request body did not arrive within `BODY_READ_TIMEOUT`.
        RequestTimeoutError,
        /// 500: unexpected; the request id finds it in the logs.
        InternalError,
    }

    /// 400: each failing request field (`selectedPoseIds[3]`, `inner.label`, or
    /// `body` for the whole body) with its messages.
    #[derive(Object, Debug, Clone)]
    #[oai(rename_all = "camelCase")]
    pub struct ValidationError {
        pub message: String,
        pub status_code: i32,
        pub details: BTreeMap<String, Vec<String>>,
    }

    #[derive(Object, Debug, Clone)]
    #[oai(rename_all = "camelCase")]
    pub struct InsufficientCreditsDetails {
        /// Credits the action costs.
        pub required: i64,
        /// The balance.
        pub available: i64,
    }

    /// 402: the balance does not cover the action.
    #[derive(Object, Debug, Clone)]
    #[oai(rename_all = "camelCase")]
    pub struct InsufficientCreditsError {
        pub message: String,
        pub status_code: i32,
        pub details: InsufficientCreditsDetails,
    }

    #[derive(Object, Debug, Clone)]
    #[oai(rename_all = "camelCase")]
    pub struct InsufficientQuotaDetails {
        /// Units the request needs.
        pub required: i64,
        /// Units left today.
        pub remaining: i64,
        pub daily_quota: i64,
        /// When the quota starts again (00:00 UTC).
        pub reset_at: Timestamp,
    }

    /// 403: the unlimited tier's daily quota cannot cover the request.
    #[derive(Object, Debug, Clone)]
    #[oai(rename_all = "camelCase")]
    pub struct InsufficientQuotaError {
        pub message: String,
        pub status_code: i32,
        pub details: InsufficientQuotaDetails,
    }

    /// What a 409 says about the state in the way; which fields depend on the action.
    #[derive(Object, Debug, Clone)]
    #[oai(rename_all = "camelCase")]
    pub struct ConflictDetails {
        /// The resource's current status (a generation not ready, a pose request).
        #[oai(skip_serializing_if_is_none)]
        pub status: Option<String>,
        /// The statuses the transition is allowed from (pose requests).
        #[oai(skip_serializing_if_is_none)]
        pub allowed_from: Option<Vec<String>>,
        /// Generations still running (deleting a project).
        #[oai(skip_serializing_if_is_none)]
        pub active_generations: Option<i64>,
    }

    /// 409: a duplicate, or a state that forbids the action.
    #[derive(Object, Debug, Clone)]
    #[oai(rename_all = "camelCase")]
    pub struct ConflictError {
        pub message: String,
        pub status_code: i32,
        #[oai(skip_serializing_if_is_none)]
        pub details: Option<ConflictDetails>,
    }

    #[derive(Object, Debug, Clone)]
    #[oai(rename_all = "camelCase")]
    pub struct PayloadTooLargeDetails {
        /// The limit the body or file went over, in bytes.
        pub max_bytes: i64,
    }

    /// 413: the body or the file is over its limit.
    #[derive(Object, Debug, Clone)]
    #[oai(rename_all = "camelCase")]
    pub struct PayloadTooLargeError {
        pub message: String,
        pub status_code: i32,
        pub details: PayloadTooLargeDetails,
    }

    #[derive(Object, Debug, Clone)]
    #[oai(rename_all = "camelCase")]
    pub struct UnsupportedMediaTypeDetails {
        /// The real type of the file sent.
        pub detected: String,
        pub allowed: Vec<String>,
    }

    /// 415: a request `Content-Type` the operation does not take (no details), or an
    /// image of another type (details).
    #[derive(Object, Debug, Clone)]
    #[oai(rename_all = "camelCase")]
    pub struct UnsupportedMediaTypeError {
        pub message: String,
        pub status_code: i32,
        #[oai(skip_serializing_if_is_none)]
        pub details: Option<UnsupportedMediaTypeDetails>,
    }

    #[derive(Object, Debug, Clone)]
    #[oai(rename_all = "camelCase")]
    pub struct RateLimitedDetails {
        /// Seconds to wait; also the `Retry-After` header.
        pub retry_after: i64,
        pub limit: i64,
        /// The limiter's window; absent for caps on things held at once (exports,
        /// progress streams).
        #[oai(skip_serializing_if_is_none)]
        pub window_seconds: Option<i64>,
    }

    /// 429: a rate limit or a cap on things held at once.
    #[derive(Object, Debug, Clone)]
    #[oai(rename_all = "camelCase")]
    pub struct RateLimitedError {
        pub message: String,
        pub status_code: i32,
        pub details: RateLimitedDetails,
    }

    /// 503: the database (or an app's dependency) is unavailable, or the server is at
    /// a cap; retry. From an app's health check, `details` is its health report.
    #[derive(Object, Debug, Clone)]
    #[oai(rename_all = "camelCase")]
    pub struct ServiceUnavailableError {
        pub message: String,
        pub status_code: i32,
        #[oai(skip_serializing_if_is_none)]
        pub details: Option<BTreeMap<String, Value>>,
    }

    #[derive(Object, Debug, Clone)]
    #[oai(rename_all = "camelCase")]
    pub struct SchemaNotReadyDetails {
        /// `not_ready`.
        pub status: String,
        pub checks: ReadinessChecks,
    }

    /// 503: the database schema does not match this build (details on readiness only).
    #[derive(Object, Debug, Clone)]
    #[oai(rename_all = "camelCase")]
    pub struct SchemaNotReadyError {
        pub message: String,
        pub status_code: i32,
        #[oai(skip_serializing_if_is_none)]
        pub details: Option<SchemaNotReadyDetails>,
    }

    /// Whether `error` (the `error` object of a body) fits the variant of its `code`.
    pub fn check(error: &Value) -> Result<(), String> {
        use poem_openapi::types::ParseFromJSON;
        ErrorInfo::parse_from_json(Some(error.clone()))
            .map(|_| ())
            .map_err(|e| e.into_message())
    }

    /// `error` of every error body, told apart by `code` (api.md §1.6).
    #[derive(Union, Debug, Clone)]
    #[oai(discriminator_name = "code", one_of)]
    pub enum ErrorInfo {
        #[oai(mapping = "VALIDATION_ERROR")]
        Validation(ValidationError),
        #[oai(mapping = "UNAUTHORIZED")]
        Unauthorized(UnauthorizedError),
        #[oai(mapping = "INSUFFICIENT_CREDITS")]
        InsufficientCredits(InsufficientCreditsError),
        #[oai(mapping = "FORBIDDEN")]
        Forbidden(ForbiddenError),
        #[oai(mapping = "INSUFFICIENT_QUOTA")]
        InsufficientQuota(InsufficientQuotaError),
        #[oai(mapping = "NOT_FOUND")]
        NotFound(NotFoundError),
        #[oai(mapping = "METHOD_NOT_ALLOWED")]
        MethodNotAllowed(MethodNotAllowedError),
        #[oai(mapping = "CONFLICT")]
        Conflict(ConflictError),
        #[oai(mapping = "REQUEST_TIMEOUT")]
        RequestTimeout(RequestTimeoutError),
        #[oai(mapping = "PAYLOAD_TOO_LARGE")]
        PayloadTooLarge(PayloadTooLargeError),
        #[oai(mapping = "UNSUPPORTED_MEDIA_TYPE")]
        UnsupportedMediaType(UnsupportedMediaTypeError),
        #[oai(mapping = "RATE_LIMITED")]
        RateLimited(RateLimitedError),
        #[oai(mapping = "INTERNAL_ERROR")]
        Internal(InternalError),
        #[oai(mapping = "SERVICE_UNAVAILABLE")]
        ServiceUnavailable(ServiceUnavailableError),
        #[oai(mapping = "SCHEMA_NOT_READY")]
        SchemaNotReady(SchemaNotReadyError),
    }
}

/// Turns any error reaching the top of the stack into the JSON error body. Internal
/// errors are logged here, with the request id from the enclosing span.
pub fn render(err: &poem::Error, request_id: &RequestId) -> Response {
    let classified;
    let api_error = match err.downcast_ref::<ApiError>() {
        Some(api_error) => api_error,
        None => {
            classified = classify(err);
            &classified
        }
    };
    match api_error.code() {
        ErrorCode::InternalError => tracing::error!(error = %err, "request failed"),
        ErrorCode::ServiceUnavailable => tracing::warn!(error = %err, "service unavailable"),
        _ => {}
    }
    api_error.to_response(request_id)
}

/// Maps errors raised by poem and poem-openapi themselves.
fn classify(err: &poem::Error) -> ApiError {
    if err.is::<NotFoundError>() {
        return ApiError::NotFound("Route not found".into());
    }
    if err.is::<MethodNotAllowedError>() {
        return ApiError::MethodNotAllowed;
    }
    if let Some(e) = err.downcast_ref::<ParseRequestPayloadError>() {
        let message = if is_json_syntax_error(&e.reason) {
            "Malformed JSON"
        } else {
            e.reason.as_str()
        };
        return ApiError::invalid_field("body", message);
    }
    if let Some(e) = err.downcast_ref::<ParseParamError>() {
        return ApiError::invalid_field(e.name, e.reason.clone());
    }
    if let Some(e) = err.downcast_ref::<ParsePathError>() {
        return ApiError::invalid_field(e.name, e.reason.clone());
    }
    if let Some(e) = err.downcast_ref::<ParseMultipartError>() {
        return ApiError::invalid_field("body", e.reason.clone());
    }
    if err.is::<ContentTypeError>() {
        return ApiError::UnsupportedMediaType {
            message: "Unsupported Content-Type".into(),
            details: None,
        };
    }
    if err.is::<AuthorizationError>() {
        return ApiError::Unauthorized("No token provided".into());
    }
    if let Some(ReadBodyError::PayloadTooLarge) = err.downcast_ref::<ReadBodyError>() {
        return ApiError::PayloadTooLarge {
            message: "Payload too large".into(),
            details: None,
        };
    }
    match err.status() {
        StatusCode::UNAUTHORIZED => ApiError::Unauthorized("Unauthorized".into()),
        StatusCode::FORBIDDEN => ApiError::Forbidden("Forbidden".into()),
        StatusCode::NOT_FOUND => ApiError::NotFound("Not found".into()),
        StatusCode::METHOD_NOT_ALLOWED => ApiError::MethodNotAllowed,
        StatusCode::CONFLICT => ApiError::Conflict {
            message: "Conflict".into(),
            details: None,
        },
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge {
            message: "Payload too large".into(),
            details: None,
        },
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::UnsupportedMediaType {
            message: "Unsupported Content-Type".into(),
            details: None,
        },
        StatusCode::TOO_MANY_REQUESTS => ApiError::RateLimited {
            message: "Too many requests".into(),
            details: None,
        },
        StatusCode::SERVICE_UNAVAILABLE => ApiError::ServiceUnavailable(UNAVAILABLE_MESSAGE.into()),
        // Every other client error is something wrong with the request as sent.
        status if status.is_client_error() => ApiError::invalid_field("request", err.to_string()),
        _ => ApiError::internal(err.to_string()),
    }
}

/// serde_json syntax errors end in "at line L column C"; poem-openapi's type errors
/// ("Expected input type …", "failed to parse …") describe a well-formed document of the
/// wrong shape.
fn is_json_syntax_error(reason: &str) -> bool {
    let shape_error = ["Expected input type", "Type \"", "failed to parse \""]
        .iter()
        .any(|prefix| reason.starts_with(prefix));
    let located = reason
        .rsplit_once(" column ")
        .is_some_and(|(head, col)| head.contains(" at line ") && col.parse::<u64>().is_ok());
    !shape_error && located
}

/// The OpenAPI description of an error response with `status`: the [`ErrorResponse`]
/// body, with an example of that status.
pub fn error_response_meta(status: u16) -> MetaResponse {
    MetaResponse {
        description: StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("Error"),
        status: Some(status),
        status_range: None,
        content: vec![MetaMediaType {
            content_type: <Json<ErrorResponse> as Payload>::CONTENT_TYPE,
            schema: MetaSchemaRef::Inline(Box::new(MetaSchema {
                all_of: vec![<Json<ErrorResponse> as Payload>::schema_ref()],
                example: poem_openapi::types::ToJSON::to_json(&ErrorResponse::example_for(status)),
                ..MetaSchema::ANY
            })),
        }],
        headers: vec![],
    }
}

/// The error statuses an operation declares in the OpenAPI document, each with the
/// [`ErrorResponse`] body: `Result<Json<T>, Errors<404, 409>>`. Up to eight statuses;
/// unused slots are 0. The status actually sent comes from the [`ApiError`] inside, so
/// list every status that api.md gives for the endpoint.
pub struct Errors<
    const A: u16,
    const B: u16 = 0,
    const C: u16 = 0,
    const D: u16 = 0,
    const E: u16 = 0,
    const F: u16 = 0,
    const G: u16 = 0,
    const H: u16 = 0,
>(pub ApiError);

impl<
    const A: u16,
    const B: u16,
    const C: u16,
    const D: u16,
    const E: u16,
    const F: u16,
    const G: u16,
    const H: u16,
> ApiResponse for Errors<A, B, C, D, E, F, G, H>
{
    fn meta() -> MetaResponses {
        let responses = [A, B, C, D, E, F, G, H]
            .into_iter()
            .filter(|status| *status != 0)
            .map(error_response_meta)
            .collect();
        MetaResponses { responses }
    }

    fn register(registry: &mut Registry) {
        <Json<ErrorResponse> as Payload>::register(registry);
    }
}

impl<
    T: Into<ApiError>,
    const A: u16,
    const B: u16,
    const C: u16,
    const D: u16,
    const E: u16,
    const F: u16,
    const G: u16,
    const H: u16,
> From<T> for Errors<A, B, C, D, E, F, G, H>
{
    fn from(err: T) -> Self {
        Self(err.into())
    }
}

impl<
    const A: u16,
    const B: u16,
    const C: u16,
    const D: u16,
    const E: u16,
    const F: u16,
    const G: u16,
    const H: u16,
> From<Errors<A, B, C, D, E, F, G, H>> for poem::Error
{
    fn from(err: Errors<A, B, C, D, E, F, G, H>) -> Self {
        err.0.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
