//! Cross-origin requests (api.md §1.12), with poem's CORS middleware.
//!
//! poem's `Cors` answers a request from an origin it does not allow with its own 403,
//! which would also refuse the dashboard's own `POST`s (browsers send `Origin` on
//! same-origin writes too) whenever `CORS_ORIGIN` lists only other sites. So
//! [`CorsPolicy`] decides first: a request from an allowed origin goes through `Cors`
//! (preflights answered 204, the actual answer, errors included, with the CORS
//! headers); any other request goes on untouched and gets no CORS header, which is
//! how a browser learns it may not read the answer. Every answer carries
//! `Vary: Origin`, since what it holds depends on that header.
//!
//! Outermost in the stack: the 401, 413 and 429 answers of the inner layers must
//! carry the CORS headers, or the browser hides the error from the app.

use std::sync::Arc;

use poem::{
    Endpoint, IntoResponse, Middleware, Request, Response, Result,
    http::{HeaderValue, Method, StatusCode, header},
    middleware::Cors,
};

use crate::{
    config::CorsOrigin,
    http::request_id::{self, RequestId},
};

/// Request headers a cross-origin client may send.
pub const ALLOWED_HEADERS: [&str; 5] = [
    "authorization",
    "content-type",
    "x-request-id",
    "last-event-id",
    "if-none-match",
];
/// Response headers a cross-origin client may read.
pub const EXPOSED_HEADERS: [&str; 7] = [
    "x-request-id",
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "retry-after",
    "content-disposition",
    "etag",
];
const ALLOWED_METHODS: [Method; 5] = [
    Method::GET,
    Method::HEAD,
    Method::POST,
    Method::PUT,
    Method::DELETE,
];
/// How long a browser may keep a preflight's answer.
const PREFLIGHT_MAX_AGE_SECONDS: i32 = 600;

/// The middleware, from `CORS_ORIGIN`.
pub struct CorsPolicy(pub CorsOrigin);

impl CorsPolicy {
    fn allows(&self, origin: &HeaderValue) -> bool {
        match &self.0 {
            CorsOrigin::Any => true,
            CorsOrigin::List(origins) => origin
                .to_str()
                .is_ok_and(|origin| origins.iter().any(|allowed| allowed == origin)),
        }
    }
}

impl<E: Endpoint + 'static> Middleware<E> for CorsPolicy {
    type Output = CorsPolicyEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        let inner = Arc::new(ep);
        // Our own check has already let the origin through; poem's compares nothing.
        let cors = Cors::new()
            .allow_credentials(false)
            .allow_methods(ALLOWED_METHODS)
            .allow_headers(ALLOWED_HEADERS)
            .expose_headers(EXPOSED_HEADERS)
            .max_age(PREFLIGHT_MAX_AGE_SECONDS)
            .transform(Shared(inner.clone()));
        CorsPolicyEndpoint {
            policy: CorsPolicy(self.0.clone()),
            inner,
            cors,
        }
    }
}

/// The application shared by the two paths (through `Cors` or not).
pub struct Shared<E>(Arc<E>);

impl<E: Endpoint> Endpoint for Shared<E> {
    type Output = E::Output;

    async fn call(&self, req: Request) -> Result<Self::Output> {
        self.0.call(req).await
    }
}

pub struct CorsPolicyEndpoint<E: Endpoint + 'static> {
    policy: CorsPolicy,
    inner: Arc<E>,
    cors: <Cors as Middleware<Shared<E>>>::Output,
}

impl<E: Endpoint + 'static> Endpoint for CorsPolicyEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Response> {
        let cross_origin = req
            .headers()
            .get(header::ORIGIN)
            .is_some_and(|origin| self.policy.allows(origin));
        let mut resp = if cross_origin {
            let preflight = req.method() == Method::OPTIONS
                && req
                    .headers()
                    .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
            let request_id = RequestId::from_header(
                req.headers()
                    .get(&request_id::HEADER)
                    .and_then(|v| v.to_str().ok()),
            );
            // poem's refusals (a method or header not allowed) in the one error body.
            let mut resp = match self.cors.call(req).await {
                Ok(resp) => resp,
                Err(err) => crate::error::render(&err, &request_id),
            };
            if preflight {
                if resp.status() == StatusCode::OK {
                    resp.set_status(StatusCode::NO_CONTENT);
                }
                // A preflight never reaches the request context; it is a response too.
                if let Ok(value) = HeaderValue::from_str(request_id.as_str()) {
                    resp.headers_mut().insert(request_id::HEADER, value);
                }
            }
            resp
        } else {
            self.inner.call(req).await?.into_response()
        };
        let vary = resp.headers().get_all(header::VARY).iter().any(|v| {
            v.to_str().is_ok_and(|v| {
                v.split(',')
                    .any(|h| h.trim().eq_ignore_ascii_case("origin"))
            })
        });
        if !vary {
            resp.headers_mut()
                .append(header::VARY, HeaderValue::from_static("Origin"));
        }
        Ok(resp)
    }
}
