//! Request body limits (api.md §1.3), in one middleware so that no reader of a body
//! can forget them: the login rate limiter, the JSON extractor and the multipart
//! upload all read the body this middleware hands over.
//!
//! * Size: every body is capped **while it streams**, whatever `Content-Length` says
//!   and chunked or not: 1 MiB for JSON, 10 MiB + 64 KiB for the avatar upload form.
//!   A declared `Content-Length` over the cap is refused before a byte is read.
//!   Going over answers 413 `PAYLOAD_TOO_LARGE` with `details.maxBytes`.
//! * Time: the whole body must arrive within `BODY_READ_TIMEOUT` (30 s) of the request
//!   head; a client trickling it is cut off with 408 `REQUEST_TIMEOUT`.
//!
//! * Uploads at once: the avatar upload form (up to 10 MiB, then a decode) is read by
//!   at most `MAX_CONCURRENT_UPLOADS` requests at a time; one more waits up to
//!   [`UPLOAD_WAIT`] for a turn, then answers 503 with `Retry-After`.
//!
//! The cut is made in the stream itself, so whichever reader hit it (and whatever it
//! made of the I/O error it got) the answer is the 413 or 408, never a 400.

use std::{
    io,
    sync::{
        Arc,
        atomic::{AtomicU8, Ordering},
    },
    task::Poll,
    time::Duration,
};

use futures_util::{Stream, StreamExt};
use poem::{
    Body, Endpoint, IntoResponse, Middleware, Request, Response, Result,
    http::{Method, header},
};

use crate::{
    error::{ApiError, ErrorDetails},
    images::MAX_UPLOAD_BYTES,
};

/// The largest JSON body (and any other body but the upload form): 1 MiB.
pub const JSON_MAX_BYTES: usize = 1024 * 1024;
/// The upload form may exceed the file limit by this much (its other parts).
pub const FORM_OVERHEAD_BYTES: usize = 64 * 1024;

/// 413 for a body over `max_bytes`.
pub fn payload_too_large(max_bytes: usize) -> ApiError {
    ApiError::PayloadTooLarge {
        message: format!("Request body too large (at most {max_bytes} bytes)"),
        details: Some(ErrorDetails::from([(
            "maxBytes".to_owned(),
            serde_json::Value::from(max_bytes),
        )])),
    }
}

/// 503 when every upload turn stayed taken for [`UPLOAD_WAIT`].
fn uploads_busy() -> ApiError {
    ApiError::ServiceUnavailable("Too many uploads in progress; try again shortly".into())
}

/// 408 for a body that did not arrive in time.
pub fn request_timeout(limit: Duration) -> ApiError {
    ApiError::RequestTimeout(format!(
        "The request body did not arrive within {} seconds",
        limit.as_secs()
    ))
}

/// How long an upload waits for one of the `MAX_CONCURRENT_UPLOADS` turns.
pub const UPLOAD_WAIT: Duration = Duration::from_secs(10);

/// What a route may receive: the cap, and the error that reports going over it.
struct Cap {
    max_bytes: usize,
    too_large: fn() -> ApiError,
    upload: bool,
}

/// The avatar upload form (api.md §6.6); every other body is JSON-sized.
fn cap_for(method: &Method, path: &str) -> Cap {
    let upload = method == Method::POST
        && path.starts_with("/api/apps/avatar-creator/projects/")
        && path.ends_with("/avatars/upload");
    if upload {
        Cap {
            max_bytes: MAX_UPLOAD_BYTES + FORM_OVERHEAD_BYTES,
            // The file limit is what the client must respect (§6.6).
            too_large: crate::images::payload_too_large,
            upload: true,
        }
    } else {
        Cap {
            max_bytes: JSON_MAX_BYTES,
            too_large: || payload_too_large(JSON_MAX_BYTES),
            upload: false,
        }
    }
}

const READING: u8 = 0;
const TOO_LARGE: u8 = 1;
const TIMED_OUT: u8 = 2;

/// The middleware; add it inside the request context and outside everything that may
/// read a body (the rate limiter reads login bodies).
pub struct BodyLimit {
    read_timeout: Duration,
    uploads: Arc<tokio::sync::Semaphore>,
    upload_wait: Duration,
}

impl BodyLimit {
    pub fn new(read_timeout: Duration, concurrent_uploads: usize) -> Self {
        Self {
            read_timeout,
            uploads: Arc::new(tokio::sync::Semaphore::new(concurrent_uploads.max(1))),
            upload_wait: UPLOAD_WAIT,
        }
    }
}

impl<E: Endpoint> Middleware<E> for BodyLimit {
    type Output = BodyLimitEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        BodyLimitEndpoint {
            inner: ep,
            read_timeout: self.read_timeout,
            uploads: self.uploads.clone(),
            upload_wait: self.upload_wait,
        }
    }
}

pub struct BodyLimitEndpoint<E> {
    inner: E,
    read_timeout: Duration,
    uploads: Arc<tokio::sync::Semaphore>,
    upload_wait: Duration,
}

impl<E: Endpoint> Endpoint for BodyLimitEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> Result<Response> {
        let cap = cap_for(req.method(), req.uri().path());
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if declared.is_some_and(|n| n > cap.max_bytes as u64) {
            crate::metrics::body_limit_rejected("too_large");
            return Err((cap.too_large)().into());
        }
        // Held until the upload's answer is ready: reading, decoding and storing.
        let _turn = if cap.upload {
            match tokio::time::timeout(self.upload_wait, self.uploads.clone().acquire_owned()).await
            {
                Ok(Ok(turn)) => Some(turn),
                _ => {
                    crate::metrics::body_limit_rejected("uploads_busy");
                    return Err(uploads_busy().into());
                }
            }
        } else {
            None
        };
        let state = Arc::new(AtomicU8::new(READING));
        let body = req.take_body();
        req.set_body(limited(
            body,
            cap.max_bytes,
            self.read_timeout,
            state.clone(),
        ));
        let result = self.inner.call(req).await.map(IntoResponse::into_response);
        match state.load(Ordering::SeqCst) {
            TOO_LARGE => {
                crate::metrics::body_limit_rejected("too_large");
                Err((cap.too_large)().into())
            }
            TIMED_OUT => {
                crate::metrics::body_limit_rejected("timeout");
                Err(request_timeout(self.read_timeout).into())
            }
            _ => result,
        }
    }
}

/// `body`, ending in an error (and `state` set) once it passes `max_bytes` or
/// `timeout` has elapsed.
fn limited(body: Body, max_bytes: usize, timeout: Duration, state: Arc<AtomicU8>) -> Body {
    let mut inner = Box::pin(body.into_bytes_stream());
    let mut deadline = Box::pin(tokio::time::sleep(timeout));
    let mut total = 0usize;
    let mut done = false;
    let stream = futures_util::stream::poll_fn(move |cx| {
        if done {
            return Poll::Ready(None);
        }
        if deadline.as_mut().poll(cx).is_ready() {
            done = true;
            state.store(TIMED_OUT, Ordering::SeqCst);
            return Poll::Ready(Some(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "request body read timeout",
            ))));
        }
        match inner.as_mut().poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                total = total.saturating_add(chunk.len());
                if total > max_bytes {
                    done = true;
                    state.store(TOO_LARGE, Ordering::SeqCst);
                    return Poll::Ready(Some(Err(io::Error::other("request body too large"))));
                }
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(None) => {
                done = true;
                Poll::Ready(None)
            }
            other => other,
        }
    });
    Body::from_bytes_stream(stream.boxed())
}

#[cfg(test)]
mod tests {
    use poem::{EndpointExt, handler, http::StatusCode, test::TestClient};

    use super::*;

    #[handler]
    async fn read_all(body: Body) -> Result<String> {
        let bytes = body.into_vec().await.map_err(|_| {
            // What a careless reader would answer; the middleware must override it.
            poem::Error::from_status(StatusCode::BAD_REQUEST)
        })?;
        Ok(bytes.len().to_string())
    }

    fn client(timeout: Duration) -> TestClient<impl Endpoint> {
        TestClient::new(read_all.with(BodyLimit::new(timeout, 2)).map_to_response())
    }

    #[tokio::test]
    async fn a_body_within_the_cap_passes() {
        let resp = client(Duration::from_secs(5))
            .post("/api/auth/login")
            .body(vec![b'x'; JSON_MAX_BYTES])
            .send()
            .await;
        resp.assert_status_is_ok();
        resp.assert_text(JSON_MAX_BYTES.to_string()).await;
    }

    #[tokio::test]
    async fn a_streamed_body_over_the_cap_is_cut_at_the_cap() {
        let chunks =
            futures_util::stream::iter((0..64).map(|_| Ok::<_, io::Error>(vec![b'x'; 64 * 1024])));
        let resp = client(Duration::from_secs(5))
            .post("/api/auth/register")
            .body(Body::from_bytes_stream(chunks))
            .send()
            .await;
        resp.assert_status(StatusCode::PAYLOAD_TOO_LARGE);
    }

    #[tokio::test]
    async fn a_declared_length_over_the_cap_is_refused_unread() {
        let resp = client(Duration::from_secs(5))
            .post("/api/auth/register")
            .header("content-length", "52428800")
            .body(Body::empty())
            .send()
            .await;
        resp.assert_status(StatusCode::PAYLOAD_TOO_LARGE);
    }

    #[tokio::test]
    async fn a_trickled_body_times_out() {
        let slow = futures_util::stream::unfold(0, |n| async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            (n < 100).then(|| (Ok::<_, io::Error>(vec![b'x']), n + 1))
        });
        let resp = client(Duration::from_millis(300))
            .post("/api/auth/login")
            .body(Body::from_bytes_stream(slow))
            .send()
            .await;
        resp.assert_status(StatusCode::REQUEST_TIMEOUT);
    }

    /// With every upload turn taken, one more upload waits, then gets a 503; other
    /// requests never wait for a turn.
    #[tokio::test]
    async fn uploads_beyond_the_cap_wait_then_get_503() {
        let limit = BodyLimit {
            upload_wait: Duration::from_millis(200),
            ..BodyLimit::new(Duration::from_secs(5), 1)
        };
        let cli = TestClient::new(read_all.with(limit).map_to_response());
        const UPLOAD: &str = "/api/apps/avatar-creator/projects/p1/avatars/upload";
        // The first upload holds the only turn while its body trickles in.
        let (tx, rx) = tokio::sync::mpsc::channel::<io::Result<Vec<u8>>>(1);
        let body = Body::from_bytes_stream(futures_util::stream::unfold(rx, |mut rx| async {
            rx.recv().await.map(|item| (item, rx))
        }));
        let first = async { cli.post(UPLOAD).body(body).send().await.0.status() };
        let meanwhile = async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            let second = cli.post(UPLOAD).body("x").send().await;
            second.assert_status(StatusCode::SERVICE_UNAVAILABLE);
            cli.post("/api/auth/login")
                .body("{}")
                .send()
                .await
                .assert_status_is_ok();
            tx.send(Ok(b"done".to_vec())).await.unwrap();
            drop(tx);
        };
        let (first, ()) = tokio::join!(first, meanwhile);
        assert_eq!(first, StatusCode::OK);
        cli.post(UPLOAD)
            .body("x")
            .send()
            .await
            .assert_status_is_ok();
    }

    #[test]
    fn the_upload_form_has_the_file_cap() {
        let upload = cap_for(
            &Method::POST,
            "/api/apps/avatar-creator/projects/p1/avatars/upload",
        );
        assert_eq!(upload.max_bytes, MAX_UPLOAD_BYTES + FORM_OVERHEAD_BYTES);
        let json = cap_for(&Method::POST, "/api/apps/avatar-creator/projects");
        assert_eq!(json.max_bytes, JSON_MAX_BYTES);
    }
}
