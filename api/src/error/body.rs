//! The error body on the wire: [`ErrorResponse`] and its `error` object, which the
//! OpenAPI document describes as [`super::documented::ErrorInfo`].

use poem_openapi::{
    Object,
    registry::{MetaSchemaRef, Registry},
};
use serde_json::Value;

use super::{ApiError, EXAMPLE_REQUEST_ID, ErrorCode, ErrorDetails, documented};
use crate::{http::request_id::RequestId, timestamp::Timestamp};

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
    pub(super) fn example_for(status: u16) -> Self {
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
