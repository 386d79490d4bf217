//! The last step of every failed request: any error, ours or the framework's, becomes
//! the JSON error body.

use poem::{
    Response,
    error::{MethodNotAllowedError, NotFoundError, ReadBodyError},
    http::StatusCode,
};
use poem_openapi::error::{
    AuthorizationError, ContentTypeError, ParseMultipartError, ParseParamError, ParsePathError,
    ParseRequestPayloadError,
};

use super::{ApiError, ErrorCode, UNAVAILABLE_MESSAGE};
use crate::http::request_id::RequestId;

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
        ErrorCode::ServiceUnavailable => {
            if matches!(api_error, ApiError::Database(_)) {
                crate::metrics::db_unavailable();
            }
            tracing::warn!(error = %err, "service unavailable")
        }
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
pub(super) fn is_json_syntax_error(reason: &str) -> bool {
    let shape_error = ["Expected input type", "Type \"", "failed to parse \""]
        .iter()
        .any(|prefix| reason.starts_with(prefix));
    let located = reason
        .rsplit_once(" column ")
        .is_some_and(|(head, col)| head.contains(" at line ") && col.parse::<u64>().is_ok());
    !shape_error && located
}
