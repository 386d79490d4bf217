//! A real S3 protocol server for the tests: the `s3_server` binary of this package (the
//! `s3s-fs` engine over a temporary directory) as a child process on a free loopback
//! port, with its own bucket and keys, stopped and removed when dropped. The tests read
//! the bucket back through the S3 protocol (`object_store`, as the API does), never from
//! the server's directory.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    sync::Arc,
};

use futures_util::TryStreamExt;
use object_store::{ObjectStore, aws::AmazonS3Builder, path::Path};
use tests::util::TempDir;

pub const S3_BUCKET: &str = "creator-test";
const ACCESS_KEY: &str = "AKIATESTSERVER";
const SECRET_KEY: &str = "test-server-secret-key";

pub struct S3Server {
    pub url: String,
    child: Child,
    client: Arc<dyn ObjectStore>,
    _root: TempDir,
}

impl S3Server {
    pub async fn start() -> Self {
        let root = TempDir::new("s3-server-").unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_s3_server"))
            .args(["--host", "127.0.0.1", "--port", "0"])
            .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
            .args(["--bucket", S3_BUCKET])
            .arg(root.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the s3_server binary");
        // The first line names the address once the socket is bound.
        let stdout = child.stdout.take().unwrap();
        let url = tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            BufReader::new(stdout).read_line(&mut line).unwrap();
            line.trim().strip_prefix("listening on ").map(str::to_owned)
        })
        .await
        .unwrap()
        .expect("s3_server did not report its address");
        let client = AmazonS3Builder::new()
            .with_bucket_name(S3_BUCKET)
            .with_endpoint(&url)
            .with_allow_http(true)
            .with_region("us-east-1")
            .with_access_key_id(ACCESS_KEY)
            .with_secret_access_key(SECRET_KEY)
            .build()
            .unwrap();
        Self {
            url,
            child,
            client: Arc::new(client),
            _root: root,
        }
    }

    /// The configuration that points the API at this bucket.
    pub fn vars(&self) -> Vec<(&'static str, String)> {
        vec![
            ("STORAGE", "s3".into()),
            ("S3_BUCKET", S3_BUCKET.into()),
            ("S3_ENDPOINT", self.url.clone()),
            ("S3_REGION", "us-east-1".into()),
            ("S3_ACCESS_KEY_ID", ACCESS_KEY.into()),
            ("S3_SECRET_ACCESS_KEY", SECRET_KEY.into()),
        ]
    }

    /// Every key in the bucket (ListObjectsV2), sorted.
    pub async fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self
            .client
            .list(None)
            .map_ok(|meta| meta.location.to_string())
            .try_collect()
            .await
            .unwrap();
        keys.sort();
        keys
    }

    /// An object's bytes (GetObject), `None` when the server answers 404.
    pub async fn object(&self, key: &str) -> Option<Vec<u8>> {
        match self.client.get(&Path::from(key)).await {
            Ok(got) => Some(got.bytes().await.unwrap().to_vec()),
            Err(object_store::Error::NotFound { .. }) => None,
            Err(err) => panic!("GET {key}: {err}"),
        }
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
