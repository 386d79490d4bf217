//! `Content-Encoding` negotiation (api.md §1.3): JSON, YAML, HTML, JavaScript and CSS
//! answers of at least [`MIN_SIZE`] bytes are sent as `br`, `zstd` or `gzip`, whichever
//! the client's `Accept-Encoding` prefers (q-values; on a tie br, then zstd, then gzip).
//!
//! The encoders are poem's (`poem::web::Compress`, over the `async-compression` crate);
//! this module only decides whether and how. poem's own `Compression` middleware is not
//! used because it compresses every answer (images, ZIPs, the SSE stream, 30-byte
//! errors), does not recognise `zstd` in `Accept-Encoding`, treats `q=0` as acceptable
//! and adds no `Vary`.
//!
//! An answer with a strong `ETag` names its bytes, so its encoded form is kept (a
//! bounded in-process cache keyed by tag and coding, [`ENCODED_CACHE_BYTES`]): the next
//! request for the same representation, by any user holding it, is not compressed
//! again. The tag already changes whenever the answer does (see
//! [`super::conditional`]), so the cache needs no invalidation of its own.
//!
//! Everything else passes untouched: images and ZIPs are compressed already, the
//! progress stream (`text/event-stream`) must reach the client event by event, and any
//! answer with a `Content-Encoding` of its own is left alone. Every answer of a
//! compressible type carries `Vary: Accept-Encoding`, compressed or not, so a shared
//! cache never hands a `br` body to a client that asked for identity.

use std::sync::Arc;

use poem::{
    Endpoint, IntoResponse, Middleware, Request, Response, Result,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    web::{Compress, CompressionAlgo, CompressionLevel},
};
use quick_cache::{Weighter, sync::Cache};

use hyper::body::Bytes;

/// Smaller answers are sent as they are: the framing costs more than it saves.
pub const MIN_SIZE: usize = 1024;

/// The encoded bodies kept, at most this many bytes in all (per process).
pub const ENCODED_CACHE_BYTES: u64 = 16 * 1024 * 1024;

/// (strong tag, coding) → the encoded body.
type EncodedCache = Cache<(String, CompressionAlgo), Bytes, ByLength>;

#[derive(Clone)]
struct ByLength;

impl Weighter<(String, CompressionAlgo), Bytes> for ByLength {
    fn weight(&self, key: &(String, CompressionAlgo), value: &Bytes) -> u64 {
        (key.0.len() + value.len()) as u64
    }
}

/// The level of each encoder, chosen by measurement (BENCHMARKS.md, "Compression
/// levels"): the cheapest level whose output is within a point of the level-6/level-9
/// size on the two big lists.
#[derive(Debug, Clone, Copy)]
pub struct Levels {
    pub br: i32,
    pub zstd: i32,
    pub gzip: i32,
}

impl Default for Levels {
    fn default() -> Self {
        Self {
            br: 5,
            zstd: 3,
            gzip: 6,
        }
    }
}

/// The middleware; [`Compression::default`] is what the service runs.
#[derive(Clone)]
pub struct Compression {
    pub levels: Levels,
    encoded: Arc<EncodedCache>,
}

impl Default for Compression {
    fn default() -> Self {
        Self {
            levels: Levels::default(),
            encoded: Arc::new(Cache::with_weighter(1024, ENCODED_CACHE_BYTES, ByLength)),
        }
    }
}

impl<E: Endpoint> Middleware<E> for Compression {
    type Output = CompressionEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        CompressionEndpoint {
            ep,
            levels: self.levels,
            encoded: self.encoded.clone(),
        }
    }
}

pub struct CompressionEndpoint<E> {
    ep: E,
    levels: Levels,
    encoded: Arc<EncodedCache>,
}

impl<E: Endpoint> Endpoint for CompressionEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Response> {
        let coding = negotiate(req.headers());
        let mut resp = self.ep.call(req).await?.into_response();
        if resp.status() == StatusCode::NOT_MODIFIED {
            // The 200 it stands for varied by Accept-Encoding; so does the 304.
            add_vary(resp.headers_mut());
            return Ok(resp);
        }
        if !compressible(&resp) {
            return Ok(resp);
        }
        add_vary(resp.headers_mut());
        let Some(algo) = coding else {
            return Ok(resp);
        };
        // Every compressible type is a buffered body here (JSON and YAML written to
        // bytes, embedded dashboard files); streams have other types.
        let body = resp.take_body().into_bytes().await?;
        if body.len() < MIN_SIZE {
            resp.set_body(body);
            return Ok(resp);
        }
        let key = strong_tag(resp.headers()).map(|tag| (tag.to_owned(), algo));
        let encoded = match key.as_ref().and_then(|key| self.encoded.get(key)) {
            Some(encoded) => encoded,
            None => {
                // poem's encoder, run to the end here: the answer gets a Content-Length
                // and the bytes can be kept.
                let encoded = Compress::new(body, algo)
                    .with_quality(CompressionLevel::Precise(self.levels.of(algo)))
                    .into_response()
                    .into_body()
                    .into_bytes()
                    .await?;
                if let Some(key) = key {
                    self.encoded.insert(key, encoded.clone());
                }
                encoded
            }
        };
        let headers = resp.headers_mut();
        mark_etag(headers, algo);
        headers.insert(
            header::CONTENT_ENCODING,
            HeaderValue::from_static(algo_name(algo)),
        );
        headers.remove(header::CONTENT_LENGTH);
        resp.set_body(encoded);
        Ok(resp)
    }
}

fn algo_name(algo: CompressionAlgo) -> &'static str {
    match algo {
        CompressionAlgo::BR => "br",
        CompressionAlgo::ZSTD => "zstd",
        CompressionAlgo::DEFLATE => "deflate",
        CompressionAlgo::GZIP => "gzip",
    }
}

/// The answer's `ETag` when it is strong (a weak one does not name exact bytes).
fn strong_tag(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
        .filter(|tag| tag.starts_with('"'))
}

impl Levels {
    fn of(&self, algo: CompressionAlgo) -> i32 {
        match algo {
            CompressionAlgo::BR => self.br,
            CompressionAlgo::ZSTD => self.zstd,
            _ => self.gzip,
        }
    }
}

/// The coding the client prefers among those we send, or `None` for identity: the
/// highest q-value wins, `q=0` means "not this one", `*` stands for any coding not
/// named, and a tie goes to br, then zstd, then gzip. An `identity` that outranks every
/// coding keeps the body as it is.
pub fn negotiate(headers: &HeaderMap) -> Option<CompressionAlgo> {
    let mut named: Vec<(String, u16)> = Vec::new();
    for value in headers.get_all(header::ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            if coding.is_empty() {
                continue;
            }
            let mut q = 1000;
            for param in parts {
                if let Some((k, v)) = param.split_once('=')
                    && k.trim().eq_ignore_ascii_case("q")
                {
                    q = parse_q(v.trim()).unwrap_or(0);
                }
            }
            named.push((coding, q));
        }
    }
    let q_of = |name: &str| -> Option<u16> {
        named
            .iter()
            .find(|(coding, _)| coding == name)
            .or_else(|| named.iter().find(|(coding, _)| coding == "*"))
            .map(|(_, q)| *q)
    };
    let mut best: Option<(CompressionAlgo, u16)> = None;
    for (algo, name) in [
        (CompressionAlgo::BR, "br"),
        (CompressionAlgo::ZSTD, "zstd"),
        (CompressionAlgo::GZIP, "gzip"),
    ] {
        if let Some(q) = q_of(name).filter(|q| *q > 0)
            && best.is_none_or(|(_, best_q)| q > best_q)
        {
            best = Some((algo, q));
        }
    }
    let (algo, q) = best?;
    // identity is acceptable unless refused; it wins only when the client ranks it
    // above every coding.
    let identity = named
        .iter()
        .find(|(coding, _)| coding == "identity")
        .map(|(_, q)| *q);
    match identity {
        Some(identity_q) if identity_q > q => None,
        _ => Some(algo),
    }
}

/// A q-value (`0`, `0.5`, `1.000`) in thousandths; anything else is not a q-value.
fn parse_q(text: &str) -> Option<u16> {
    let value: f32 = text.parse().ok()?;
    (0.0..=1.0)
        .contains(&value)
        .then(|| (value * 1000.0).round() as u16)
}

/// JSON, YAML, HTML, JavaScript and CSS, with no encoding of their own.
fn compressible(resp: &Response) -> bool {
    if resp.headers().contains_key(header::CONTENT_ENCODING) {
        return false;
    }
    let Some(content_type) = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    matches!(
        essence.as_str(),
        "application/json"
            | "application/problem+json"
            | "application/yaml"
            | "application/x-yaml"
            | "text/yaml"
            | "text/html"
            | "text/javascript"
            | "application/javascript"
            | "text/css"
    )
}

fn add_vary(headers: &mut HeaderMap) {
    let present = headers
        .get_all(header::VARY)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|v| v.trim().eq_ignore_ascii_case("accept-encoding") || v.trim() == "*");
    if !present {
        headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
}

/// A strong validator names one representation: the compressed body gets its own
/// (`"tag"` becomes `"tag-br"`); [`crate::http::conditional`] knows the suffixes.
fn mark_etag(headers: &mut HeaderMap, algo: CompressionAlgo) {
    let Some(tag) = headers.get(header::ETAG).and_then(|v| v.to_str().ok()) else {
        return;
    };
    if let Some(inner) = tag.strip_prefix('"').and_then(|t| t.strip_suffix('"'))
        && let Ok(value) = HeaderValue::from_str(&format!("\"{inner}-{algo}\""))
    {
        headers.insert(header::ETAG, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pick(accept: &str) -> Option<CompressionAlgo> {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(accept).unwrap(),
        );
        negotiate(&headers)
    }

    #[test]
    fn q_values_decide_and_ties_prefer_br_then_zstd() {
        assert_eq!(pick("gzip, br"), Some(CompressionAlgo::BR));
        assert_eq!(pick("gzip, zstd"), Some(CompressionAlgo::ZSTD));
        assert_eq!(pick("gzip;q=1.0, br;q=0.3"), Some(CompressionAlgo::GZIP));
        assert_eq!(pick("br;q=0, gzip"), Some(CompressionAlgo::GZIP));
        assert_eq!(pick("zstd"), Some(CompressionAlgo::ZSTD));
        assert_eq!(pick("*"), Some(CompressionAlgo::BR));
        assert_eq!(pick("*;q=0.5, br;q=0"), Some(CompressionAlgo::ZSTD));
        assert_eq!(pick("GZIP ; Q=0.8"), Some(CompressionAlgo::GZIP));
    }

    /// The progress stream must reach the client event by event: an endless stream
    /// passes through at once, unencoded, whatever the client accepts.
    #[tokio::test]
    async fn event_streams_pass_through_unbuffered() {
        use futures_util::StreamExt;
        use poem::{Body, EndpointExt, handler, test::TestClient};
        use std::time::Duration;

        #[handler]
        fn events() -> Response {
            let first = futures_util::stream::iter([Ok::<_, std::io::Error>(Bytes::from_static(
                b"data: one\n\n",
            ))]);
            Response::builder()
                .content_type("text/event-stream")
                .body(Body::from_bytes_stream(
                    first.chain(futures_util::stream::pending()),
                ))
        }
        let cli = TestClient::new(events.with(Compression::default()));
        let resp = tokio::time::timeout(
            Duration::from_secs(5),
            cli.get("/").header("Accept-Encoding", "gzip, br").send(),
        )
        .await
        .expect("the answer starts without waiting for the stream's end");
        resp.assert_header_is_not_exist("content-encoding");
        let mut body = resp.0.into_body().into_bytes_stream();
        let first = tokio::time::timeout(Duration::from_secs(5), body.next())
            .await
            .expect("the first event arrives on its own")
            .unwrap()
            .unwrap();
        assert_eq!(&first[..], b"data: one\n\n");
    }

    #[test]
    fn identity_refusals_and_unknown_codings() {
        assert_eq!(pick("identity"), None);
        assert_eq!(pick("deflate, compress"), None);
        assert_eq!(pick("gzip;q=0"), None);
        assert_eq!(pick("gzip;q=0.5, identity;q=1"), None);
        assert_eq!(pick("gzip;q=nonsense"), None);
        assert_eq!(pick(""), None);
    }
}
