//! [`JsonReply`]: a JSON response body written straight from the value with serde, for
//! the large lists (a user's projects with every avatar is ≈100 KB).
//!
//! poem-openapi's `Json<T>` first turns the value into a `serde_json::Value` tree
//! (`ToJSON`), copying every string and building a map per object, and only then writes
//! the bytes; the benchmark (BENCHMARKS.md) showed that copy on `GET /projects`.
//! `JsonReply<T>` has exactly `Json<T>`'s OpenAPI description (schema, content type,
//! status 200), so the spec does not change; the value must serialise with serde to the
//! same JSON as its `ToJSON` (the types that use it derive both with the same renames,
//! and the tests compare the two outputs).

use poem::{IntoResponse, Response};
use poem_openapi::{
    ApiResponse,
    payload::Json,
    registry::{MetaResponses, Registry},
    types::ToJSON,
};
use serde::Serialize;

use crate::error::ApiError;

/// A 200 response with a JSON body serialised directly by serde.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonReply<T>(pub T);

crate::http::json_body::payload_as_json!(JsonReply);

impl<T: Serialize + Send> IntoResponse for JsonReply<T> {
    fn into_response(self) -> Response {
        match serde_json::to_vec(&self.0) {
            Ok(body) => Response::builder()
                .content_type(Self::CONTENT_TYPE_HEADER)
                .body(body),
            // Only a map with non-string keys or a failing Serialize impl can fail;
            // none of the view types has either. Still the structured error body.
            Err(err) => {
                tracing::error!(error = %err, "cannot serialise a response body");
                poem::error::ResponseError::as_response(&ApiError::internal(err))
            }
        }
    }
}

impl<T> JsonReply<T> {
    const CONTENT_TYPE_HEADER: &'static str = "application/json; charset=utf-8";
}

impl<T: ToJSON + Serialize + Send> ApiResponse for JsonReply<T> {
    fn meta() -> MetaResponses {
        <Json<T> as ApiResponse>::meta()
    }

    fn register(registry: &mut Registry) {
        <Json<T> as ApiResponse>::register(registry);
    }
}

/// The JSON `value` writes through serde and through poem-openapi's `ToJSON`, for tests
/// that prove the two agree.
#[cfg(test)]
pub fn both_ways<T: ToJSON + Serialize>(value: &T) -> (serde_json::Value, serde_json::Value) {
    (
        serde_json::to_value(value).expect("serde serialises the value"),
        value.to_json().expect("ToJSON writes the value"),
    )
}
