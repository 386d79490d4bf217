//! Strong `ETag`s and `If-None-Match` on `GET` (api.md §1.3).
//!
//! Two ways an answer gets its validator:
//!
//! * **From the data, before the work** ([`Validator`]): a handler that can read a
//!   cheap summary of everything its answer depends on (one aggregate statement, see
//!   `avatar_creator::projects::page`) sets the `ETag` itself and answers a matching
//!   `If-None-Match` with [`not_modified`] without reading the rows or writing JSON.
//! * **From the bytes, after the work** ([`Conditional`], the middleware): every other
//!   `GET` list or detail under `/api` with a JSON `200` gets the SHA-256 of its body as
//!   its tag, so the tag changes exactly when the body does; a match is a `304` with no
//!   body. The client saves the bytes, not the server's work.
//!
//! A compressed answer's tag has the coding appended (`"…-br"`, see
//! [`super::compression`]); a client revalidating with it matches the same data.

use hyper::body::Bytes;
use poem::{
    Endpoint, IntoResponse, Middleware, Request, Response, Result,
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
};
use sha2::{Digest, Sha256};

/// The suffixes [`super::compression`] appends to a tag of a compressed body.
const CODING_SUFFIXES: [&str; 3] = ["-br", "-zstd", "-gzip"];

/// Whether `If-None-Match` names the representation whose tag is `"tag"` (`tag`
/// without quotes), in any content coding; `*` matches any current representation.
pub fn matches(headers: &HeaderMap, tag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|candidate| {
            if candidate == "*" {
                return true;
            }
            // Weak comparison, as RFC 9110 §13.1.2 asks for If-None-Match.
            let candidate = candidate.strip_prefix("W/").unwrap_or(candidate);
            let Some(inner) = candidate
                .strip_prefix('"')
                .and_then(|c| c.strip_suffix('"'))
            else {
                return false;
            };
            inner == tag
                || CODING_SUFFIXES
                    .iter()
                    .any(|suffix| inner.strip_suffix(suffix) == Some(tag))
        })
}

/// A validator computed from the data: the parts are everything the answer depends
/// on (counts, latest change times, ...), hashed into a short strong tag. The prefix
/// names the answer, so two lists never share a tag.
pub struct Validator(String);

impl Validator {
    pub fn new(kind: &str, parts: &[&dyn std::fmt::Display]) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(kind.as_bytes());
        for part in parts {
            hasher.update(b"\x1f");
            hasher.update(part.to_string().as_bytes());
        }
        Self(format!("{kind}-{}", hex16(&hasher.finalize())))
    }

    pub fn tag(&self) -> &str {
        &self.0
    }

    pub fn header(&self) -> HeaderValue {
        HeaderValue::from_str(&format!("\"{}\"", self.0)).expect("hex and ASCII kind")
    }
}

/// `304 Not Modified` with the tag the client holds.
pub fn not_modified(tag: HeaderValue) -> Response {
    Response::builder()
        .status(StatusCode::NOT_MODIFIED)
        .header(header::ETAG, tag)
        .finish()
}

/// A `GET` answer whose handler validated it from the data: the body written already
/// (JSON), or `304` when the client holds it. Documented as `Json<T>`'s `200`; the `304`
/// of every data `GET` is added to the document in one place
/// ([`crate::openapi::ConditionalGets`]).
pub struct Validated<T> {
    answer: Answer,
    _body: std::marker::PhantomData<fn() -> T>,
}

enum Answer {
    Fresh { etag: HeaderValue, body: Bytes },
    NotModified(HeaderValue),
}

impl<T> Validated<T> {
    /// `body` is `T` as JSON.
    pub fn fresh(validator: &Validator, body: impl Into<Bytes>) -> Self {
        Self {
            answer: Answer::Fresh {
                etag: validator.header(),
                body: body.into(),
            },
            _body: std::marker::PhantomData,
        }
    }

    pub fn not_modified(validator: &Validator) -> Self {
        Self {
            answer: Answer::NotModified(validator.header()),
            _body: std::marker::PhantomData,
        }
    }
}

impl<T> IntoResponse for Validated<T> {
    fn into_response(self) -> Response {
        match self.answer {
            Answer::Fresh { etag, body } => Response::builder()
                .content_type("application/json; charset=utf-8")
                .header(header::ETAG, etag)
                .body(body),
            Answer::NotModified(etag) => not_modified(etag),
        }
    }
}

impl<T: poem_openapi::types::ToJSON> poem_openapi::ApiResponse for Validated<T> {
    fn meta() -> poem_openapi::registry::MetaResponses {
        <poem_openapi::payload::Json<T> as poem_openapi::ApiResponse>::meta()
    }

    fn register(registry: &mut poem_openapi::registry::Registry) {
        <poem_openapi::payload::Json<T> as poem_openapi::ApiResponse>::register(registry);
    }
}

/// The first 16 bytes of a digest, as 32 hex digits.
fn hex16(digest: &[u8]) -> String {
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// The middleware: tags from the bytes for every `GET`/`HEAD` list or detail under
/// `/api` that did not set its own.
#[derive(Debug, Clone, Copy, Default)]
pub struct Conditional;

impl<E: Endpoint> Middleware<E> for Conditional {
    type Output = ConditionalEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        ConditionalEndpoint { ep }
    }
}

pub struct ConditionalEndpoint<E> {
    ep: E,
}

/// Answers about the service itself (health, readiness, the schema, the recovery
/// sweep) describe this instant; they are never validated or kept.
pub fn is_monitoring(path: &str) -> bool {
    path.ends_with("/health") || path.contains("/health/") || path.ends_with("/recovery/status")
}

/// `GET`s whose answers [`Conditional`] and the cache policy treat as data.
pub fn is_data_get(method: &Method, path: &str) -> bool {
    (method == Method::GET || method == Method::HEAD)
        && path.starts_with("/api/")
        && !is_monitoring(path)
}

impl<E: Endpoint> Endpoint for ConditionalEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Response> {
        if !is_data_get(req.method(), req.uri().path()) {
            return Ok(self.ep.call(req).await?.into_response());
        }
        let if_none_match = req.headers().clone();
        let mut resp = self.ep.call(req).await?.into_response();
        if resp.status() != StatusCode::OK
            || resp.headers().contains_key(header::ETAG)
            || !is_json(resp.headers())
        {
            return Ok(resp);
        }
        let body = resp.take_body().into_bytes().await?;
        let tag = format!("b-{}", hex16(&Sha256::digest(&body)));
        let value = HeaderValue::from_str(&format!("\"{tag}\"")).expect("hex");
        if matches(&if_none_match, &tag) {
            let mut not_modified = not_modified(value);
            // The headers the 200 would have had (request id, ...), but no body's.
            for (name, v) in resp.headers() {
                if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
                    not_modified.headers_mut().append(name, v.clone());
                }
            }
            return Ok(not_modified);
        }
        resp.headers_mut().insert(header::ETAG, value);
        resp.set_body(body);
        Ok(resp)
    }
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// The document says what [`Conditional`] and [`Validated`] do: every data `GET` whose
/// `200` is JSON has an `ETag` header on it and a `304` answer.
pub struct ConditionalGets<T>(pub T);

impl<T: poem_openapi::OpenApi> poem_openapi::OpenApi for ConditionalGets<T> {
    fn meta() -> Vec<poem_openapi::registry::MetaApi> {
        use poem_openapi::registry::{MetaHeader, MetaResponse, MetaSchema, MetaSchemaRef};
        let etag = || MetaHeader {
            name: "ETag".to_owned(),
            description: Some(
                "Strong validator of this answer; send it back in `If-None-Match`".to_owned(),
            ),
            required: true,
            deprecated: false,
            schema: MetaSchemaRef::Inline(Box::new(MetaSchema::new("string"))),
        };
        let mut apis = T::meta();
        for api in &mut apis {
            for path in &mut api.paths {
                for operation in &mut path.operations {
                    if !is_data_get(&operation.method, &path.path) {
                        continue;
                    }
                    let responses = &mut operation.responses.responses;
                    let Some(ok) = responses.iter_mut().find(|r| r.status == Some(200)) else {
                        continue;
                    };
                    if !ok
                        .content
                        .iter()
                        .any(|c| c.content_type.starts_with("application/json"))
                    {
                        continue;
                    }
                    ok.headers.push(etag());
                    responses.push(MetaResponse {
                        description: "Not Modified: `If-None-Match` named the current `ETag`; no body",
                        status: Some(304),
                        status_range: None,
                        content: Vec::new(),
                        headers: vec![etag()],
                    });
                    responses.sort_by_key(|r| r.status.unwrap_or(u16::MAX));
                }
            }
        }
        apis
    }

    fn register(registry: &mut poem_openapi::registry::Registry) {
        T::register(registry);
    }

    fn add_routes(
        self,
        routes: &mut std::collections::HashMap<
            String,
            std::collections::HashMap<Method, poem::endpoint::BoxEndpoint<'static>>,
        >,
    ) {
        self.0.add_routes(routes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inm(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::IF_NONE_MATCH, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn if_none_match_lists_and_codings() {
        assert!(matches(&inm("\"b-1\""), "b-1"));
        assert!(matches(&inm("\"x\", \"b-1-br\""), "b-1"));
        assert!(matches(&inm("W/\"b-1-gzip\""), "b-1"));
        assert!(matches(&inm("*"), "b-1"));
        assert!(!matches(&inm("\"b-2\""), "b-1"));
        assert!(!matches(&inm("b-1"), "b-1"));
        assert!(!matches(&inm("\"b-1-deflate\""), "b-1"));
        assert!(!matches(&HeaderMap::new(), "b-1"));
    }

    #[test]
    fn validators_differ_by_kind_and_parts() {
        let a = Validator::new("p", &[&1, &"x"]);
        assert_eq!(a.tag(), Validator::new("p", &[&1, &"x"]).tag());
        assert_ne!(a.tag(), Validator::new("q", &[&1, &"x"]).tag());
        assert_ne!(a.tag(), Validator::new("p", &[&11, &""]).tag());
    }
}
