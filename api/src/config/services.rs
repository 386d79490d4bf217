//! The image provider and the file storage, and their `IMAGE_HTTP_*` and `S3_*`
//! variables.

use std::time::Duration;

use super::{env::Env, secrets::Secret};

/// The image provider (api.md §8.4).
#[derive(Debug, Clone, PartialEq)]
pub enum ImageProviderConfig {
    /// The offline deterministic renderer.
    Local,
    /// A hosted text-to-image API in the Hugging Face Inference style.
    Http(HttpProviderConfig),
}

/// `IMAGE_HTTP_*`.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpProviderConfig {
    /// `IMAGE_HTTP_URL`: the model endpoint (http or https).
    pub url: String,
    /// `IMAGE_HTTP_TOKEN`: sent as a bearer token when set.
    pub token: Option<Secret<String>>,
    /// `IMAGE_HTTP_TIMEOUT_SECONDS` (180)
    pub timeout: Duration,
    /// `IMAGE_HTTP_STEPS` (28): `num_inference_steps`.
    pub steps: u32,
    /// `IMAGE_HTTP_GUIDANCE` (3.5): `guidance_scale`.
    pub guidance: f64,
}

/// Where stored files live (api.md §8.12).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageConfig {
    /// Files under `UPLOAD_DIR`.
    Local,
    /// An S3-compatible bucket (`STORAGE=s3`), for several replicas.
    S3(S3Config),
}

/// `S3_*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Config {
    /// `S3_BUCKET` (required).
    pub bucket: String,
    /// `S3_REGION` (`us-east-1`).
    pub region: String,
    /// `S3_ENDPOINT`: an S3-compatible server (MinIO, R2, Ceph…), addressed path-style.
    pub endpoint: Option<String>,
    /// `S3_ACCESS_KEY_ID` and `S3_SECRET_ACCESS_KEY`, both or neither; without them the
    /// standard AWS credential chain applies (web identity, task role, instance profile).
    pub keys: Option<S3Keys>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Keys {
    pub access_key_id: String,
    pub secret_access_key: Secret<String>,
}

impl Env {
    pub(super) fn image_provider(&mut self) -> ImageProviderConfig {
        let http = self.parse("IMAGE_PROVIDER", false, |v| match v {
            "local" => Ok(false),
            "http" => Ok(true),
            _ => Err("must be local or http"),
        });
        if !http {
            return ImageProviderConfig::Local;
        }
        let url = match self.get("IMAGE_HTTP_URL") {
            Some(url) if url.starts_with("https://") || url.starts_with("http://") => {
                url.to_owned()
            }
            Some(_) => {
                // Not echoed: a URL may carry credentials.
                self.problems
                    .push("IMAGE_HTTP_URL must be an http:// or https:// URL".to_owned());
                String::new()
            }
            None => {
                self.problems
                    .push("IMAGE_HTTP_URL is required when IMAGE_PROVIDER is http".to_owned());
                String::new()
            }
        };
        let token = self
            .get("IMAGE_HTTP_TOKEN")
            .map(|t| Secret::new(t.to_owned()));
        let timeout = self.parse(
            "IMAGE_HTTP_TIMEOUT_SECONDS",
            Duration::from_secs(180),
            |v| {
                v.parse::<u64>()
                    .ok()
                    .filter(|n| (1..=3600).contains(n))
                    .map(Duration::from_secs)
                    .ok_or("must be an integer 1..3600")
            },
        );
        let steps = self.parse("IMAGE_HTTP_STEPS", 28, |v| {
            v.parse::<u32>()
                .ok()
                .filter(|n| (1..=500).contains(n))
                .ok_or("must be an integer 1..500")
        });
        let guidance = self.parse("IMAGE_HTTP_GUIDANCE", 3.5, |v| {
            v.parse::<f64>()
                .ok()
                .filter(|g| g.is_finite() && (0.0..=50.0).contains(g))
                .ok_or("must be a number 0..50")
        });
        ImageProviderConfig::Http(HttpProviderConfig {
            url,
            token,
            timeout,
            steps,
            guidance,
        })
    }

    pub(super) fn storage(&mut self) -> StorageConfig {
        let s3 = self.parse("STORAGE", false, |v| match v {
            "local" => Ok(false),
            "s3" => Ok(true),
            _ => Err("must be local or s3"),
        });
        if !s3 {
            return StorageConfig::Local;
        }
        let bucket = self.get("S3_BUCKET").map(str::to_owned).unwrap_or_else(|| {
            self.problems
                .push("S3_BUCKET is required when STORAGE is s3".to_owned());
            String::new()
        });
        let region = self.text("S3_REGION", "us-east-1");
        let endpoint = self.get("S3_ENDPOINT").map(str::to_owned);
        if endpoint
            .as_deref()
            .is_some_and(|e| !e.starts_with("https://") && !e.starts_with("http://"))
        {
            self.problems
                .push("S3_ENDPOINT must be an http:// or https:// URL".to_owned());
        }
        let keys = match (
            self.get("S3_ACCESS_KEY_ID"),
            self.get("S3_SECRET_ACCESS_KEY"),
        ) {
            (Some(id), Some(secret)) => Some(S3Keys {
                access_key_id: id.to_owned(),
                secret_access_key: Secret::new(secret.to_owned()),
            }),
            (None, None) => None,
            _ => {
                self.problems.push(
                    "S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY must be set together".to_owned(),
                );
                None
            }
        };
        StorageConfig::S3(S3Config {
            bucket,
            region,
            endpoint,
            keys,
        })
    }
}
