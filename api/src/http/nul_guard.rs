//! Query and path parameters must not contain NUL (U+0000, `%00`): PostgreSQL cannot
//! store or compare it in text, so a NUL in a search term or an id would fail inside
//! the database as a 500. It is refused up front: in a query parameter the operation
//! declares with a 400 naming it, as JSON bodies refuse it in [`crate::http::text::Text`]; in
//! the path with a 404, since no id or route contains one.

use poem::{Request, Result};

use crate::{error::ApiError, http::spec_paths, http::text::NUL_MESSAGE};

/// `%00` in a query parameter the operation declares: 400 naming it (an undeclared
/// parameter is ignored by the operation, so its value is harmless); in the path: 404.
pub async fn reject_nul(req: Request) -> Result<Request> {
    if let Some(query) = req.uri().query() {
        let (method, path) = (req.method().as_str(), req.uri().path());
        // Decoded as the query extractor decodes them, so an encoded name still counts.
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            if (name.contains('\0') || value.contains('\0'))
                && spec_paths::declares_query(method, path, &name)
            {
                return Err(ApiError::invalid_field(name, NUL_MESSAGE).into());
            }
        }
    }
    if has_nul(req.uri().path()) {
        return Err(ApiError::NotFound("Not found".into()).into());
    }
    Ok(req)
}

/// Percent-encoding is the only way a NUL reaches us: hyper refuses raw control bytes.
fn has_nul(path: &str) -> bool {
    path.contains("%00")
}

#[cfg(test)]
mod tests {
    use poem::{Endpoint, EndpointExt, http::StatusCode, test::TestClient};

    use super::*;

    fn endpoint() -> impl Endpoint {
        poem::endpoint::make_sync(|_| "ok").before(reject_nul)
    }

    const LIBRARY: &str = "/api/apps/pose-generator/library";

    #[tokio::test]
    async fn a_nul_in_a_declared_parameter_is_a_400_in_the_path_a_404() {
        let cli = TestClient::new(endpoint());
        for uri in [
            format!("{LIBRARY}?search=a%00b"),
            format!("{LIBRARY}?sea%72ch=%00"),
        ] {
            cli.get(uri)
                .send()
                .await
                .assert_status(StatusCode::BAD_REQUEST);
        }
        cli.get(format!("{LIBRARY}/a%00b"))
            .send()
            .await
            .assert_status(StatusCode::NOT_FOUND);
        for uri in [
            format!("{LIBRARY}?search=a%200b"),
            format!("{LIBRARY}/a%2500b"),
            format!("{LIBRARY}?page=100"),
            format!("{LIBRARY}?search=%2500"),
            // Not a parameter of the operation: ignored by it, so harmless.
            format!("{LIBRARY}?unknown=%00"),
        ] {
            cli.get(uri).send().await.assert_status_is_ok();
        }
    }
}
