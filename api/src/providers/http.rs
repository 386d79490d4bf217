//! The `http` provider (api.md §8.4): a hosted text-to-image API in the Hugging Face
//! Inference style. One JSON POST per image; the answer is the image itself.

use std::time::Duration;

use serde_json::json;

use super::{BackgroundRequest, BoxFuture, GenerateRequest, ImageProvider, ProviderError};
use crate::{
    config::HttpProviderConfig,
    images::{self, ImageKind},
};

/// Largest answer accepted; a bigger body is not an image we asked for.
const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;
/// How much of an error body reaches the logs and `jobs.lastError`.
const MAX_ERROR_CHARS: usize = 300;

pub struct HttpProvider {
    client: reqwest::Client,
    config: HttpProviderConfig,
    model: String,
}

impl HttpProvider {
    pub fn new(config: HttpProviderConfig) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(Duration::from_secs(10).min(config.timeout))
            .build()?;
        let model = model_segment(&config.url);
        Ok(Self {
            client,
            config,
            model,
        })
    }

    async fn call(&self, request: &GenerateRequest) -> Result<Vec<u8>, ProviderError> {
        let body = json!({
            "inputs": request.prompt,
            "parameters": {
                "width": request.width,
                "height": request.height,
                "num_inference_steps": self.config.steps,
                "guidance_scale": self.config.guidance,
                "negative_prompt": request.negative_prompt,
                "seed": request.seed,
            }
        });
        let mut post = self
            .client
            .post(&self.config.url)
            .header(reqwest::header::ACCEPT, "image/png")
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string());
        if let Some(token) = &self.config.token {
            post = post.bearer_auth(token.expose());
        }
        let mut response = post.send().await.map_err(|e| self.transport_error(&e))?;
        let status = response.status();
        let mut bytes = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.transport_error(&e))?
        {
            if bytes.len() + chunk.len() > MAX_RESPONSE_BYTES {
                return Err(ProviderError::Fatal(format!(
                    "answer larger than {MAX_RESPONSE_BYTES} bytes"
                )));
            }
            bytes.extend_from_slice(&chunk);
        }

        if status.is_success() {
            return match ImageKind::sniff(&bytes) {
                Some(kind @ (ImageKind::Png | ImageKind::Jpeg)) => {
                    let (width, height) = (request.width, request.height);
                    tokio::task::spawn_blocking(move || {
                        images::fit_exactly(bytes, kind, width, height)
                    })
                    .await
                    .map_err(|e| ProviderError::Fatal(e.to_string()))?
                    .map_err(|e| ProviderError::Fatal(format!("undecodable image: {e}")))
                }
                _ => Err(ProviderError::Fatal(format!(
                    "HTTP {status} without a PNG or JPEG body: {}",
                    self.describe(&bytes)
                ))),
            };
        }
        let reason = format!("HTTP {status}: {}", self.describe(&bytes));
        if status.as_u16() == 429 || status.is_server_error() {
            Err(ProviderError::Retryable(reason))
        } else {
            Err(ProviderError::Fatal(reason))
        }
    }

    /// Timeouts and connection failures are worth another try; a request that could
    /// not even be built is not.
    fn transport_error(&self, err: &reqwest::Error) -> ProviderError {
        // Without the URL: it is configuration, not news, and could carry credentials.
        let reason = self.redact(&err.without_url_text());
        if err.is_builder() {
            ProviderError::Fatal(reason)
        } else {
            ProviderError::Retryable(reason)
        }
    }

    /// The `error` field of a JSON body, else the start of the text; truncated, on one
    /// line, and never containing the token.
    fn describe(&self, body: &[u8]) -> String {
        let text = serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|v| {
                v.get("error")
                    .map(|e| e.as_str().map_or_else(|| e.to_string(), str::to_owned))
            })
            .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
        let line: String = text
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(MAX_ERROR_CHARS)
            .collect();
        self.redact(if line.trim().is_empty() {
            "(empty body)"
        } else {
            line.trim()
        })
    }

    fn redact(&self, text: &str) -> String {
        match &self.config.token {
            Some(token) if !token.expose().is_empty() => {
                text.replace(token.expose().as_str(), "[redacted]")
            }
            _ => text.to_owned(),
        }
    }
}

/// The error's text without the request URL.
trait WithoutUrl {
    fn without_url_text(&self) -> String;
}

impl WithoutUrl for reqwest::Error {
    fn without_url_text(&self) -> String {
        let kind = if self.is_timeout() {
            "timed out"
        } else if self.is_connect() {
            "could not connect"
        } else if self.is_body() || self.is_decode() {
            "broken answer body"
        } else {
            "request failed"
        };
        let mut text = kind.to_owned();
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        text
    }
}

/// The last non-empty path segment of the endpoint URL (`…/models/org/flux-dev` →
/// `flux-dev`), without query or fragment.
fn model_segment(url: &str) -> String {
    let without_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = without_scheme.split(['?', '#']).next().unwrap_or_default();
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    segments
        .into_iter()
        .rfind(|segment| !segment.is_empty())
        .unwrap_or("model")
        .to_owned()
}

impl ImageProvider for HttpProvider {
    fn model_key(&self) -> String {
        format!("http:{}", self.model)
    }

    fn model_name(&self) -> String {
        self.model.clone()
    }

    fn generate<'a>(
        &'a self,
        request: &'a GenerateRequest,
    ) -> BoxFuture<'a, Result<Vec<u8>, ProviderError>> {
        Box::pin(self.call(request))
    }

    /// Re-generates with the same seed and the pose prompt plus a background clause;
    /// the current image is not sent.
    fn change_background<'a>(
        &'a self,
        request: &'a BackgroundRequest,
    ) -> BoxFuture<'a, Result<Vec<u8>, ProviderError>> {
        Box::pin(async move {
            let mut base = request.base.clone();
            base.prompt.push_str(&request.background.prompt_clause());
            self.call(&base).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_is_the_last_path_segment() {
        assert_eq!(
            model_segment(
                "https://api-inference.huggingface.co/models/black-forest-labs/FLUX.1-dev"
            ),
            "FLUX.1-dev"
        );
        assert_eq!(
            model_segment("http://127.0.0.1:8080/generate/?x=1"),
            "generate"
        );
        assert_eq!(model_segment("http://127.0.0.1:8080"), "model");
    }
}
