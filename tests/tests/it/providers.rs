//! The `http` image provider (api.md §8.4) against a stub of a Hugging Face-style
//! API: the request it sends, what counts as an image, which failures are retryable,
//! and that the token never leaks into error texts.

use std::time::Duration;

use api::{
    config::{HttpProviderConfig, Secret},
    providers::{
        GenerateRequest, ImageProvider, NEGATIVE_PROMPT, ProviderError, http::HttpProvider,
    },
};

use crate::stubs::{ImageAnswer, ImageApi};

const TOKEN: &str = "hf_stubtoken_0123456789";

fn provider(url: String, timeout: Duration) -> HttpProvider {
    HttpProvider::new(HttpProviderConfig {
        url,
        token: Some(Secret::new(TOKEN.to_owned())),
        timeout,
        steps: 28,
        guidance: 3.5,
    })
    .unwrap()
}

fn request(width: u32, height: u32) -> GenerateRequest {
    GenerateRequest {
        prompt: "portrait of a lighthouse keeper".into(),
        negative_prompt: NEGATIVE_PROMPT.into(),
        width,
        height,
        seed: 4242,
        pose_map: None,
    }
}

fn dimensions(bytes: &[u8]) -> (u32, u32) {
    let image = image::load_from_memory(bytes).unwrap();
    (image.width(), image.height())
}

#[tokio::test]
async fn sends_the_documented_request_and_returns_the_image() {
    let api = ImageApi::start(|_| ImageAnswer::Png).await;
    let provider = provider(api.url(), Duration::from_secs(10));
    assert_eq!(provider.model_key(), "http:stub-model");
    assert_eq!(provider.model_name(), "stub-model");

    let bytes = provider.generate(&request(320, 480)).await.unwrap();
    assert!(bytes.starts_with(b"\x89PNG"));
    assert_eq!(dimensions(&bytes), (320, 480));

    let calls = api.calls();
    assert_eq!(calls.len(), 1);
    let call = &calls[0];
    assert_eq!(
        call.authorization.as_deref(),
        Some(&*format!("Bearer {TOKEN}"))
    );
    assert_eq!(call.content_type.as_deref(), Some("application/json"));
    assert_eq!(call.accept.as_deref(), Some("image/png"));
    assert_eq!(
        call.body,
        serde_json::json!({
            "inputs": "portrait of a lighthouse keeper",
            "parameters": {
                "width": 320, "height": 480, "num_inference_steps": 28,
                "guidance_scale": 3.5, "negative_prompt": NEGATIVE_PROMPT, "seed": 4242
            }
        })
    );
}

#[tokio::test]
async fn no_token_means_no_authorization_header() {
    let api = ImageApi::start(|_| ImageAnswer::Png).await;
    let provider = HttpProvider::new(HttpProviderConfig {
        url: api.url(),
        token: None,
        timeout: Duration::from_secs(10),
        steps: 4,
        guidance: 0.0,
    })
    .unwrap();
    provider.generate(&request(256, 256)).await.unwrap();
    assert_eq!(api.calls()[0].authorization, None);
    assert_eq!(api.calls()[0].body["parameters"]["num_inference_steps"], 4);
}

#[tokio::test]
async fn an_image_of_another_size_is_fitted_to_the_requested_one() {
    let api = ImageApi::start(|_| ImageAnswer::Jpeg(512, 512)).await;
    let bytes = provider(api.url(), Duration::from_secs(10))
        .generate(&request(300, 600))
        .await
        .unwrap();
    assert_eq!(dimensions(&bytes), (300, 600));
}

#[tokio::test]
async fn failures_are_classified_and_never_carry_the_token() {
    let cases: [(u16, String, bool); 6] = [
        (
            503,
            r#"{"error":"Model acme/stub-model is currently loading","estimated_time":20.0}"#
                .into(),
            true,
        ),
        (429, r#"{"error":"Rate limit reached"}"#.into(), true),
        (500, "upstream exploded".into(), true),
        (400, format!(r#"{{"error":"bad token {TOKEN}"}}"#), false),
        (200, r#"{"error":"not an image"}"#.into(), false),
        (404, String::new(), false),
    ];
    for (status, body, retryable) in cases {
        let api = ImageApi::start(move |_| ImageAnswer::Status(status, body.clone())).await;
        let err = provider(api.url(), Duration::from_secs(10))
            .generate(&request(256, 256))
            .await
            .unwrap_err();
        assert_eq!(
            matches!(err, ProviderError::Retryable(_)),
            retryable,
            "{err}"
        );
        let text = err.to_string();
        assert!(!text.contains(TOKEN), "token leaked: {text}");
        assert!(!err.user_message().contains(TOKEN));
        assert!(text.contains("HTTP"), "{text}");
    }
}

#[tokio::test]
async fn the_error_field_is_what_gets_reported() {
    let api = ImageApi::start(|_| {
        ImageAnswer::Status(503, r#"{"error":"Model is currently loading"}"#.into())
    })
    .await;
    let err = provider(api.url(), Duration::from_secs(10))
        .generate(&request(256, 256))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        ProviderError::Retryable("HTTP 503 Service Unavailable: Model is currently loading".into())
    );
}

#[tokio::test]
async fn timeouts_and_refused_connections_are_retryable() {
    let api = ImageApi::start(|_| ImageAnswer::Slow(Duration::from_secs(5))).await;
    let started = std::time::Instant::now();
    let err = provider(api.url(), Duration::from_secs(1))
        .generate(&request(256, 256))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ProviderError::Retryable(ref r) if r.contains("timed out")),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(4));

    // A port nothing listens on: bind one, then close it.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let err = provider(
        format!("http://127.0.0.1:{port}/models/x"),
        Duration::from_secs(5),
    )
    .generate(&request(256, 256))
    .await
    .unwrap_err();
    assert!(matches!(err, ProviderError::Retryable(_)), "{err}");
}
