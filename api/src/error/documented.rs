//! The error body as the OpenAPI document describes it: one variant per `code`, each
//! with the type of its `details`. Only for the document (and the test that every
//! error the API sends fits it); [`super::ErrorInfo`] writes the body.

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
