//! A stand-in for the text-to-image API the API talks to (Hugging Face Inference style),
//! served on loopback; it records what it was asked, so tests check the requests as well
//! as the answers. Object storage is not stubbed: see `s3_server`.

use std::{
    io::Cursor,
    sync::{Arc, Mutex},
    time::Duration,
};

use poem::{Endpoint, Request, Response, Server, http::StatusCode, listener::TcpAcceptor};
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
