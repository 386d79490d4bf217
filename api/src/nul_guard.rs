//! Query and path parameters must not contain NUL (U+0000, `%00`): PostgreSQL cannot
//! store or compare it in text, so a NUL in a search term or an id would fail inside
//! the database as a 500. It is refused up front: in a query parameter with a 400
//! naming it, as JSON bodies refuse it in [`crate::text::Text`]; in the path with a 404,
//! since no id or route contains one.

use poem::{Request, Result};

use crate::{error::ApiError, text::NUL_MESSAGE};

/// `%00` in a query parameter's name or value: 400; in the path: 404.
pub async fn reject_nul(req: Request) -> Result<Request> {
    if let Some(pair) = req
        .uri()
        .query()
        .and_then(|q| q.split('&').find(|p| has_nul(p)))
    {
        let name = pair.split('=').next().unwrap_or(pair).replace("%00", "");
        let name = if name.is_empty() {
            "query".to_owned()
        } else {
            name
        };
        return Err(ApiError::invalid_field(name, NUL_MESSAGE).into());
    }
    if has_nul(req.uri().path()) {
        return Err(ApiError::NotFound("Not found".into()).into());
    }
    Ok(req)
}

/// Percent-encoding is the only way a NUL reaches us: hyper refuses raw control bytes.
fn has_nul(text: &str) -> bool {
    text.contains("%00")
}

#[cfg(test)]
mod tests {
    use poem::{Endpoint, EndpointExt, http::StatusCode, test::TestClient};

    use super::*;

    fn endpoint() -> impl Endpoint {
        poem::endpoint::make_sync(|_| "ok").before(reject_nul)
    }

    #[tokio::test]
    async fn a_nul_in_the_query_or_the_path_is_a_400() {
        let cli = TestClient::new(endpoint());
        for uri in ["/library?search=a%00b", "/library?page=1&%00=x"] {
            let resp = cli.get(uri).send().await;
            resp.assert_status(StatusCode::BAD_REQUEST);
        }
        cli.get("/library/a%00b")
            .send()
            .await
            .assert_status(StatusCode::NOT_FOUND);
        for uri in [
            "/library?search=a%200b",
            "/library/a%2500b",
            "/library?x=100",
        ] {
            cli.get(uri).send().await.assert_status_is_ok();
        }
    }
}
