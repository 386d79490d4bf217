//! Stand-ins for the outside services the API talks to, served on loopback: a
//! text-to-image API in the Hugging Face Inference style and an S3-compatible bucket.
//! Each records what it was asked, so tests check the requests as well as the answers.

use std::{
    collections::HashMap,
    io::Cursor,
    sync::{Arc, Mutex},
    time::Duration,
};

use poem::{
    Body, Endpoint, EndpointExt, Request, Response, Server,
    http::{Method, StatusCode},
    listener::TcpAcceptor,
};
use serde_json::Value;

/// A server on `127.0.0.1:<free port>`, stopped when dropped.
pub struct StubServer {
    pub url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for StubServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(endpoint: impl Endpoint + 'static) -> StubServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let acceptor = TcpAcceptor::from_tokio(listener).unwrap();
    let task = tokio::spawn(async move {
        let _ = Server::new_with_acceptor(acceptor).run(endpoint).await;
    });
    StubServer { url, task }
}

/// One request the image API received.
#[derive(Debug, Clone)]
pub struct ImageCall {
    pub authorization: Option<String>,
    pub content_type: Option<String>,
    pub accept: Option<String>,
    pub body: Value,
}

/// What the image API answers to its `n`-th call (0-based).
pub enum ImageAnswer {
    /// 200 with a PNG of the requested size.
    Png,
    /// 200 with a JPEG of this size (whatever was asked).
    Jpeg(u32, u32),
    /// This status with this body.
    Status(u16, String),
    /// Nothing for this long, then a PNG.
    Slow(Duration),
}

type Script = dyn Fn(usize) -> ImageAnswer + Send + Sync;

/// The image API: `POST /models/<org>/stub-model`.
pub struct ImageApi {
    pub server: StubServer,
    calls: Arc<Mutex<Vec<ImageCall>>>,
}

impl ImageApi {
    pub async fn start(script: impl Fn(usize) -> ImageAnswer + Send + Sync + 'static) -> Self {
        let calls = Arc::new(Mutex::new(Vec::<ImageCall>::new()));
        let script: Arc<Script> = Arc::new(script);
        let recorded = calls.clone();
        let endpoint = poem::endpoint::make(move |req: Request| {
            let (calls, script) = (recorded.clone(), script.clone());
            async move { image_call(req, &calls, &*script).await }
        });
        Self {
            server: serve(endpoint).await,
            calls,
        }
    }

    /// The endpoint URL to put in `IMAGE_HTTP_URL`.
    pub fn url(&self) -> String {
        format!("{}/models/acme/stub-model", self.server.url)
    }

    pub fn calls(&self) -> Vec<ImageCall> {
        self.calls.lock().unwrap().clone()
    }
}

async fn image_call(
    mut req: Request,
    calls: &Mutex<Vec<ImageCall>>,
    script: &Script,
) -> poem::Result<Response> {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let call = ImageCall {
        authorization: header("authorization"),
        content_type: header("content-type"),
        accept: header("accept"),
        body: serde_json::from_slice(&req.take_body().into_vec().await?).unwrap_or(Value::Null),
    };
    let (width, height) = (
        call.body["parameters"]["width"].as_u64().unwrap_or(64) as u32,
        call.body["parameters"]["height"].as_u64().unwrap_or(64) as u32,
    );
    let n = {
        let mut calls = calls.lock().unwrap();
        calls.push(call);
        calls.len() - 1
    };
    let image = |format, w, h| {
        let mut out = Vec::new();
        image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(
            w,
            h,
            image::Rgb([40, 90, 160]),
        ))
        .write_to(&mut Cursor::new(&mut out), format)
        .unwrap();
        out
    };
    Ok(match script(n) {
        ImageAnswer::Png => png_response(image(image::ImageFormat::Png, width, height)),
        ImageAnswer::Jpeg(w, h) => Response::builder().content_type("image/jpeg").body(image(
            image::ImageFormat::Jpeg,
            w,
            h,
        )),
        ImageAnswer::Status(status, body) => Response::builder()
            .status(StatusCode::from_u16(status).unwrap())
            .content_type("application/json")
            .body(body),
        ImageAnswer::Slow(delay) => {
            tokio::time::sleep(delay).await;
            png_response(image(image::ImageFormat::Png, width, height))
        }
    })
}

fn png_response(bytes: Vec<u8>) -> Response {
    Response::builder().content_type("image/png").body(bytes)
}

/// An S3-compatible bucket, path-style: `PUT|GET|HEAD|DELETE /<bucket>/<key>`. It
/// answers only requests signed with AWS Signature V4 for [`S3_ACCESS_KEY`]
/// (the signature itself is not verified).
pub struct S3Stub {
    pub server: StubServer,
    objects: Arc<Mutex<HashMap<String, Vec<u8>>>>,
}

pub const S3_BUCKET: &str = "creator-test";
pub const S3_ACCESS_KEY: &str = "AKIASTUBTEST";

impl S3Stub {
    pub async fn start() -> Self {
        let objects = Arc::new(Mutex::new(HashMap::new()));
        let store = objects.clone();
        let endpoint = poem::endpoint::make(move |req: Request| {
            let store = store.clone();
            async move { s3_call(req, &store).await }
        })
        .map_to_response();
        Self {
            server: serve(endpoint).await,
            objects,
        }
    }

    /// The configuration that points the API at this bucket.
    pub fn vars(&self) -> Vec<(&'static str, String)> {
        vec![
            ("STORAGE", "s3".into()),
            ("S3_BUCKET", S3_BUCKET.into()),
            ("S3_ENDPOINT", self.server.url.clone()),
            ("S3_ACCESS_KEY_ID", S3_ACCESS_KEY.into()),
            ("S3_SECRET_ACCESS_KEY", "stub-secret".into()),
        ]
    }

    /// The stored keys, sorted.
    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.objects.lock().unwrap().keys().cloned().collect();
        keys.sort();
        keys
    }

    pub fn object(&self, key: &str) -> Option<Vec<u8>> {
        self.objects.lock().unwrap().get(key).cloned()
    }
}

async fn s3_call(
    mut req: Request,
    objects: &Mutex<HashMap<String, Vec<u8>>>,
) -> poem::Result<Response> {
    let signed = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(&format!("AWS4-HMAC-SHA256 Credential={S3_ACCESS_KEY}/")));
    if !signed {
        return Ok(s3_error(StatusCode::FORBIDDEN, "AccessDenied"));
    }
    let Some(key) = req
        .uri()
        .path()
        .strip_prefix(&format!("/{S3_BUCKET}/"))
        .map(str::to_owned)
    else {
        return Ok(s3_error(StatusCode::NOT_FOUND, "NoSuchBucket"));
    };
    let method = req.method().clone();
    let etag = |bytes: &[u8]| {
        format!(
            "\"{:x}-{}\"",
            bytes.iter().map(|b| *b as u64).sum::<u64>(),
            bytes.len()
        )
    };
    Ok(match method {
        Method::PUT => {
            let bytes = req.take_body().into_vec().await?;
            let tag = etag(&bytes);
            objects.lock().unwrap().insert(key, bytes);
            Response::builder().header("ETag", tag).finish()
        }
        Method::GET | Method::HEAD => match objects.lock().unwrap().get(&key).cloned() {
            Some(bytes) => {
                let builder = Response::builder()
                    .header("ETag", etag(&bytes))
                    .header("Last-Modified", "Wed, 25 Nov 2026 06:00:00 GMT")
                    .header("Content-Length", bytes.len());
                if method == Method::HEAD {
                    builder.body(Body::empty())
                } else {
                    builder.body(bytes)
                }
            }
            None => s3_error(StatusCode::NOT_FOUND, "NoSuchKey"),
        },
        Method::DELETE => {
            objects.lock().unwrap().remove(&key);
            Response::builder().status(StatusCode::NO_CONTENT).finish()
        }
        _ => s3_error(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed"),
    })
}

fn s3_error(status: StatusCode, code: &str) -> Response {
    Response::builder()
        .status(status)
        .content_type("application/xml")
        .body(format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{code}</Message></Error>"
        ))
}
