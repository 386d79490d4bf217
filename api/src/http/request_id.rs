//! The request id (api.md §1.6): taken from `X-Request-Id` when it is safe to echo,
//! generated otherwise, returned on every response, written into every error body and
//! onto every log line of the request.

use std::{fmt, panic::AssertUnwindSafe, time::Instant};

use futures_util::FutureExt;
use poem::{
    Endpoint, IntoResponse, Middleware, PathPattern, Request, Response, Result,
    http::{HeaderName, HeaderValue},
};
use tracing::Instrument;

use crate::error::{self, ApiError};

pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");

const MAX_LEN: usize = 128;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(String);

impl RequestId {
    /// The client's id if it is 1..128 characters of `[A-Za-z0-9._-]`, else a new UUID v4.
    /// Anything else could forge log lines or headers, so it is replaced, not rejected.
    pub fn from_header(value: Option<&str>) -> Self {
        match value {
            Some(v) if Self::is_acceptable(v) => Self(v.to_owned()),
            _ => Self::generate(),
        }
    }

    pub fn generate() -> Self {
        Self(uuid::Uuid::new_v4().to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn is_acceptable(value: &str) -> bool {
        (1..=MAX_LEN).contains(&value.len())
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Outermost middleware: assigns the request id, runs the request inside a tracing span
/// that carries it, turns every error (and panic) into the JSON error body, echoes the
/// id and logs one line per request.
///
/// Only the method and the path are logged: the query string may hold an
/// `access_token` and headers may hold a bearer token.
pub struct RequestContext;

impl<E: Endpoint> Middleware<E> for RequestContext {
    type Output = RequestContextEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        RequestContextEndpoint(ep)
    }
}

pub struct RequestContextEndpoint<E>(E);

impl<E: Endpoint> Endpoint for RequestContextEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> Result<Response> {
        let request_id =
            RequestId::from_header(req.headers().get(&HEADER).and_then(|v| v.to_str().ok()));
        req.extensions_mut().insert(request_id.clone());

        let method = req.method().clone();
        let path = req.uri().path().to_owned();
        let span = tracing::info_span!("request", request_id = %request_id, %method, %path);

        async move {
            let started = Instant::now();
            let outcome = AssertUnwindSafe(self.0.call(req))
                .catch_unwind()
                .await
                .map(|result| result.map(IntoResponse::into_response));
            // The route template the router matched (`/api/…/:id`), for the metrics.
            let route = match &outcome {
                Ok(Ok(resp)) => resp.data::<PathPattern>(),
                Ok(Err(err)) => err.data::<PathPattern>(),
                Err(_) => None,
            }
            .filter(|p| !p.0.is_empty())
            .map_or_else(|| "unmatched".to_owned(), |p| p.0.to_string());
            let mut resp = match outcome {
                Ok(Ok(resp)) => resp,
                Ok(Err(err)) => {
                    let mut resp = error::render(&err, &request_id);
                    crate::http::spec_paths::add_to_405(&mut resp, &path);
                    resp
                }
                Err(_panic) => {
                    // The panic message itself was already printed by the panic hook.
                    let err = poem::Error::from(ApiError::internal("request handler panicked"));
                    error::render(&err, &request_id)
                }
            };
            if let Ok(value) = HeaderValue::from_str(request_id.as_str()) {
                resp.headers_mut().insert(HEADER, value);
            }
            let elapsed = started.elapsed();
            crate::metrics::http_request(method.as_str(), &route, resp.status().as_u16(), elapsed);
            tracing::info!(
                status = resp.status().as_u16(),
                latency_ms = elapsed.as_millis() as u64,
                "request finished"
            );
            Ok(resp)
        }
        .instrument(span)
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_safe_client_ids() {
        for id in [
            "abc",
            "7f1d2c4e-8a43-4c55-9a0e-1b2f3c4d5e6f",
            "a.b_c-D",
            &"x".repeat(128),
        ] {
            assert_eq!(RequestId::from_header(Some(id)).as_str(), id);
        }
    }

    #[test]
    fn replaces_unsafe_client_ids_with_a_uuid() {
        for id in [
            None,
            Some(""),
            Some("has space"),
            Some("new\nline"),
            Some("é"),
            Some(&*"x".repeat(129)),
        ] {
            let generated = RequestId::from_header(id);
            assert!(uuid::Uuid::parse_str(generated.as_str()).is_ok(), "{id:?}");
        }
    }
}

/// The middleware against real poem-openapi failures: every one must come out as the
/// §1.6 body carrying the request id.
#[cfg(test)]
mod http_tests {
    use poem::{EndpointExt, Route, http::StatusCode, test::TestClient};
    use poem_openapi::{Object, OpenApi, OpenApiService, param::Query, payload::Json};
    use serde_json::{Value, json};

    use super::*;
    use crate::error::Errors;

    struct Probe;

    #[derive(Object)]
    struct Echo {
        n: i32,
    }

    #[OpenApi]
    impl Probe {
        #[oai(path = "/echo", method = "post")]
        async fn echo(&self, body: Json<Echo>, times: Query<Option<i32>>) -> Json<i32> {
            Json(body.0.n * times.0.unwrap_or(1))
        }

        #[oai(path = "/fail", method = "get")]
        async fn fail(&self) -> Result<Json<i32>, Errors<500>> {
            Err(ApiError::internal("column users.secret does not exist").into())
        }

        #[oai(path = "/panic", method = "get")]
        async fn panic(&self) -> Json<i32> {
            panic!("handler bug")
        }
    }

    fn client() -> TestClient<impl Endpoint> {
        TestClient::new(
            Route::new()
                .nest("/", OpenApiService::new(Probe, "probe", "1"))
                .with(RequestContext),
        )
    }

    /// Status, body and the `X-Request-Id` header, which must equal `requestId`.
    async fn call(resp: poem::test::TestResponse) -> (StatusCode, Value) {
        let status = resp.0.status();
        let header = resp
            .0
            .headers()
            .get(&HEADER)
            .cloned()
            .expect("X-Request-Id");
        let body: Value = resp.json().await.value().deserialize();
        if status.is_client_error() || status.is_server_error() {
            assert_eq!(body["requestId"], header.to_str().unwrap());
            assert_eq!(body["success"], false);
            assert_eq!(body["error"]["statusCode"], status.as_u16());
        }
        (status, body)
    }

    #[tokio::test]
    async fn success_passes_through_with_a_request_id() {
        let resp = client()
            .post("/echo")
            .header("X-Request-Id", "trace-42")
            .body_json(&json!({"n": 2, "unknown": true}))
            .send()
            .await;
        resp.assert_header("X-Request-Id", "trace-42");
        let (status, body) = call(resp).await;
        assert_eq!((status, body), (StatusCode::OK, json!(2)));
    }

    #[tokio::test]
    async fn malformed_json_is_a_validation_error() {
        let resp = client()
            .post("/echo")
            .content_type("application/json")
            .body("{\"n\":")
            .send()
            .await;
        let (status, body) = call(resp).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"]["code"], "VALIDATION_ERROR");
        assert_eq!(
            body["error"]["details"],
            json!({"body": ["Malformed JSON"]})
        );
        assert_eq!(body["error"]["message"], "body: Malformed JSON");
    }

    #[tokio::test]
    async fn wrong_json_type_is_a_validation_error() {
        let resp = client()
            .post("/echo")
            .body_json(&json!({"n": "two"}))
            .send()
            .await;
        let (status, body) = call(resp).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"]["code"], "VALIDATION_ERROR");
        assert!(body["error"]["details"]["body"][0].is_string());
    }

    #[tokio::test]
    async fn bad_query_parameter_names_the_parameter() {
        let resp = client()
            .post("/echo")
            .query("times", &"often")
            .body_json(&json!({"n": 1}))
            .send()
            .await;
        let (status, body) = call(resp).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body["error"]["details"]["times"].is_array(), "{body}");
    }

    #[tokio::test]
    async fn wrong_content_type_is_415() {
        let resp = client()
            .post("/echo")
            .content_type("text/plain")
            .body("n=1")
            .send()
            .await;
        let (status, body) = call(resp).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(body["error"]["code"], "UNSUPPORTED_MEDIA_TYPE");
    }

    #[tokio::test]
    async fn unknown_route_and_wrong_method() {
        let (status, body) = call(client().get("/nowhere").send().await).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body["error"]["code"], "NOT_FOUND");
        assert!(body["error"].get("details").is_none());

        let (status, body) = call(client().get("/echo").send().await).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(body["error"]["code"], "METHOD_NOT_ALLOWED");
    }

    #[tokio::test]
    async fn internal_errors_and_panics_never_leak() {
        for path in ["/fail", "/panic"] {
            let (status, body) = call(client().get(path).send().await).await;
            assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{path}");
            assert_eq!(body["error"]["code"], "INTERNAL_ERROR");
            assert_eq!(body["error"]["message"], "An unexpected error occurred");
            assert!(!body.to_string().contains("secret"), "{body}");
        }
    }
}
