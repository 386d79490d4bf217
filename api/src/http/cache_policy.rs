//! `Cache-Control` on `/api` answers (api.md §1.3).
//!
//! * A `GET` list or detail that carries an `ETag` (a `200`, or the `304` that stands
//!   for it): `private, no-cache`. A browser may keep it, must revalidate it every time
//!   (`If-None-Match`), and a shared cache never stores it (it is one user's data).
//! * Reference data that changes only with a deploy or the seed (the avatar presets,
//!   the persona examples, the pose library and its categories): `private,
//!   max-age=300`, then revalidated the same way.
//! * Every other `/api` answer (writes, errors, health): never stored, as before:
//!   `no-cache, no-store, must-revalidate`, `Pragma: no-cache`, `Expires: 0`.

use poem::{
    Endpoint, IntoResponse, Middleware, Request, Response, Result,
    http::{HeaderValue, StatusCode, header},
};

use super::conditional::is_data_get;

pub const VALIDATE_EVERY_TIME: &str = "private, no-cache";
pub const REFERENCE_DATA: &str = "private, max-age=300";
pub const NEVER_STORE: &str = "no-cache, no-store, must-revalidate";

/// Paths of the reference data, which may be reused for a few minutes.
const REFERENCE_PATHS: [&str; 4] = [
    "/api/apps/avatar-creator/presets",
    "/api/apps/avatar-creator/persona-examples",
    "/api/apps/pose-generator/library",
    "/api/apps/pose-generator/categories",
];

fn is_reference_data(path: &str) -> bool {
    REFERENCE_PATHS.iter().any(|prefix| {
        path.strip_prefix(prefix).is_some_and(|rest| {
            rest.is_empty() || (rest.starts_with('/') && !rest[1..].contains('/'))
        })
    })
}

#[derive(Debug, Clone, Copy, Default)]
pub struct CachePolicy;

impl<E: Endpoint> Middleware<E> for CachePolicy {
    type Output = CachePolicyEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        CachePolicyEndpoint { ep }
    }
}

pub struct CachePolicyEndpoint<E> {
    ep: E,
}

impl<E: Endpoint> Endpoint for CachePolicyEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Response> {
        let path = req.uri().path();
        let is_api = path == "/api" || path.starts_with("/api/");
        let data_get = is_data_get(req.method(), path);
        let reference = is_reference_data(path);
        let mut resp = self.ep.call(req).await?.into_response();
        if !is_api {
            return Ok(resp);
        }
        let validated = data_get
            && matches!(resp.status(), StatusCode::OK | StatusCode::NOT_MODIFIED)
            && resp.headers().contains_key(header::ETAG);
        let headers = resp.headers_mut();
        if validated {
            let policy = if reference {
                REFERENCE_DATA
            } else {
                VALIDATE_EVERY_TIME
            };
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
        } else {
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(NEVER_STORE));
            headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
            headers.insert(header::EXPIRES, HeaderValue::from_static("0"));
        }
        Ok(resp)
    }
}

#[cfg(test)]
mod tests {
    use super::is_reference_data;

    #[test]
    fn reference_paths_are_the_lists_and_their_items() {
        assert!(is_reference_data("/api/apps/pose-generator/library"));
        assert!(is_reference_data("/api/apps/pose-generator/library/pose-1"));
        assert!(is_reference_data("/api/apps/avatar-creator/presets/x"));
        assert!(!is_reference_data("/api/apps/avatar-creator/presetsx"));
        assert!(!is_reference_data("/api/apps/pose-generator/library/a/b"));
        assert!(!is_reference_data("/api/apps/avatar-creator/projects"));
    }
}
