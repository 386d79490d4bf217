//! The load generator: `connections` HTTP/1.1 keep-alive connections, each sending its
//! next request as soon as the previous answer is read (closed loop), a warm-up whose
//! requests are discarded, then a fixed measuring window.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// One kind of request, sent over and over.
#[derive(Debug, Clone)]
pub struct Target {
    pub addr: SocketAddr,
    pub method: Method,
    pub path: String,
    pub token: String,
    pub body: Option<Bytes>,
    pub expect: StatusCode,
    /// More request headers (`Accept-Encoding`, `If-None-Match`).
    pub headers: Vec<(&'static str, String)>,
}

impl Target {
    fn request(&self) -> Request<Full<Bytes>> {
        let mut builder = Request::builder()
            .method(self.method.clone())
            .uri(self.path.as_str())
            .header("host", self.addr.to_string())
            .header("authorization", format!("Bearer {}", self.token));
        if self.body.is_some() {
            builder = builder.header("content-type", "application/json");
        }
        for (name, value) in &self.headers {
            builder = builder.header(*name, value.as_str());
        }
        builder
            .body(Full::new(self.body.clone().unwrap_or_default()))
            .expect("a valid request")
    }
}

/// What one measuring window produced.
#[derive(Debug, Clone, Default)]
pub struct Sample {
    /// Answers with the expected status completed inside the window.
    pub requests: u64,
    /// Unexpected statuses and transport errors inside the window.
    pub errors: u64,
    pub window: Duration,
    /// Latency of each counted request, in microseconds, sorted.
    pub latencies_us: Vec<u32>,
}

impl Sample {
    pub fn rps(&self) -> f64 {
        self.requests as f64 / self.window.as_secs_f64()
    }

    /// The `q` quantile (0..=1) of the latencies, in milliseconds.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return f64::NAN;
        }
        let rank = ((self.latencies_us.len() as f64 * q).ceil() as usize)
            .clamp(1, self.latencies_us.len());
        f64::from(self.latencies_us[rank - 1]) / 1000.0
    }
}

/// Opens one keep-alive connection.
async fn connect(addr: SocketAddr) -> Result<SendRequest<Full<Bytes>>, String> {
    let stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect {addr}: {e}"))?;
    stream.set_nodelay(true).ok();
    let (sender, connection) = http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("handshake {addr}: {e}"))?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(sender)
}

/// One request on a fresh connection: status and body (verification, readiness).
pub async fn fetch(target: &Target) -> Result<(StatusCode, Bytes), String> {
    let (status, _, body) = fetch_with_headers(target).await?;
    Ok((status, body))
}

/// [`fetch`] with the answer's headers.
pub async fn fetch_with_headers(
    target: &Target,
) -> Result<(StatusCode, hyper::HeaderMap, Bytes), String> {
    let mut sender = connect(target.addr).await?;
    sender.ready().await.map_err(|e| e.to_string())?;
    let response = sender
        .send_request(target.request())
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    Ok((status, headers, body))
}

async fn send(
    sender: &mut SendRequest<Full<Bytes>>,
    target: &Target,
) -> Result<(StatusCode, Bytes), String> {
    sender.ready().await.map_err(|e| e.to_string())?;
    let response = sender
        .send_request(target.request())
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    Ok((status, body))
}

/// Runs `connections` closed-loop clients for `warmup + window` and returns what
/// happened inside the window.
pub async fn run(
    target: &Target,
    connections: usize,
    warmup: Duration,
    window: Duration,
) -> Result<Sample, String> {
    let target = Arc::new(target.clone());
    let mut senders = Vec::with_capacity(connections);
    for _ in 0..connections {
        senders.push(connect(target.addr).await?);
    }
    let start = Instant::now() + Duration::from_millis(20);
    let measure_from = start + warmup;
    let end = measure_from + window;
    let mut tasks = Vec::with_capacity(connections);
    for mut sender in senders {
        let target = Arc::clone(&target);
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep_until(start.into()).await;
            let mut sample = Sample::default();
            loop {
                let sent = Instant::now();
                if sent >= end {
                    break;
                }
                let result = send(&mut sender, &target).await;
                let done = Instant::now();
                let counted = sent >= measure_from && done <= end;
                match result {
                    Ok((status, _)) if status == target.expect => {
                        if counted {
                            sample.requests += 1;
                            let us = (done - sent).as_micros();
                            sample
                                .latencies_us
                                .push(u32::try_from(us).unwrap_or(u32::MAX));
                        }
                    }
                    Ok(_) => {
                        if counted {
                            sample.errors += 1;
                        }
                    }
                    Err(_) => {
                        if counted {
                            sample.errors += 1;
                        }
                        // The connection is gone; open another one.
                        match connect(target.addr).await {
                            Ok(fresh) => sender = fresh,
                            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                        }
                    }
                }
            }
            sample
        }));
    }
    let mut total = Sample {
        window,
        ..Sample::default()
    };
    for task in tasks {
        let sample = task.await.map_err(|e| e.to_string())?;
        total.requests += sample.requests;
        total.errors += sample.errors;
        total.latencies_us.extend(sample.latencies_us);
    }
    total.latencies_us.sort_unstable();
    Ok(total)
}
