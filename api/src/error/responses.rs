//! Error responses in the OpenAPI document: which statuses an operation declares,
//! each with the error body and an example.

use poem::http::StatusCode;
use poem_openapi::{
    ApiResponse,
    payload::{Json, Payload},
    registry::{MetaMediaType, MetaResponse, MetaResponses, MetaSchema, MetaSchemaRef, Registry},
};

use super::{ApiError, ErrorResponse};

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
