//! An S3 protocol server over a directory, as its own process: the `s3s-fs` engine
//! (buckets are directories under ROOT, objects files) served over HTTP/1.1 with AWS
//! Signature V4 authentication. This is the upstream `s3s-fs` binary's start-up, built
//! with the workspace so the tests and `verify/cluster/run` need no separate install.
//! Objects survive a restart (the cluster run restarts it under load).
//!
//!   s3_server --host 127.0.0.1 --port 9000 --access-key AK --secret-key SK ROOT
//!
//! Prints `listening on http://ADDR` once it accepts connections (port 0 picks one).
//! Stops on SIGINT or SIGTERM.

use std::{net::SocketAddr, path::PathBuf};

use clap::Parser;
use hyper_util::rt::{TokioIo, TokioTimer};
use s3s::{auth::SimpleAuth, service::S3ServiceBuilder};
use s3s_fs::FileSystem;
use tokio::{net::TcpListener, signal::unix};

#[derive(Debug, Parser)]
struct Opt {
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    #[arg(long, default_value_t = 0)]
    port: u16,
    #[arg(long)]
    access_key: String,
    #[arg(long)]
    secret_key: String,
    /// Buckets to create (as directories) before serving, if missing.
    #[arg(long = "bucket")]
    buckets: Vec<String>,
    /// Root directory of the stored data.
    root: PathBuf,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let opt = Opt::parse();
    std::fs::create_dir_all(&opt.root)?;
    for bucket in &opt.buckets {
        std::fs::create_dir_all(opt.root.join(bucket))?;
    }
    let fs =
        FileSystem::new(&opt.root).map_err(|err| format!("{}: {err:?}", opt.root.display()))?;
    let mut builder = S3ServiceBuilder::new(fs);
    builder.set_auth(SimpleAuth::from_single(opt.access_key, opt.secret_key));
    let service = builder.build();

    let listener = TcpListener::bind((opt.host.as_str(), opt.port)).await?;
    let addr: SocketAddr = listener.local_addr()?;
    println!("listening on http://{addr}");
    let mut terminate = unix::signal(unix::SignalKind::terminate())?;
    loop {
        let (socket, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(err) => {
                    eprintln!("accepting a connection failed: {err}");
                    continue;
                }
            },
            _ = tokio::signal::ctrl_c() => break,
            _ = terminate.recv() => break,
        };
        let service = service.clone();
        tokio::spawn(async move {
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .keep_alive(true)
                .serve_connection(TokioIo::new(socket), service)
                .await;
        });
    }
    Ok(())
}
