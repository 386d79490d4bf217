//! The web dashboard (`web/`, built into `web/dist`), served by the API itself at `/`,
//! so that `cargo run -p api` is the whole product on a machine without Node. The
//! built files are embedded in the binary (read from `web/dist` at run time in debug
//! builds, which lets `npm run build` and a reload show a change).
//!
//! * `/assets/…` (names carry a content hash): `Cache-Control: public, max-age=31536000,
//!   immutable`.
//! * `index.html`, for `/` and for every client route (`/avatars/…`, `/poses?page=2`,
//!   …): `Cache-Control: no-cache`, so a deploy is seen at the next load.
//! * The API's own paths are never shadowed: `/api`, `/docs`, `/openapi.*`,
//!   `/uploads`, `/presets` and `/health` always reach the API, as does every method
//!   but `GET` and `HEAD`.

use poem::{
    Body, Endpoint, IntoResponse, Request, Response, Result,
    http::{HeaderValue, Method, header},
};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "../web/dist"]
struct Assets;

/// Path prefixes that belong to the API, whatever the dashboard contains.
const API_PREFIXES: [&str; 7] = [
    "/api", "/docs", "/openapi", "/uploads", "/presets", "/health", "/metrics",
];

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";

/// `Content-Type` of a built file, by extension.
fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") | Some("mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json") | Some("webmanifest") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg") | Some("jpeg") => "image/jpeg",
        Some("webp") => "image/webp",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Whether `path` is the API's, never the dashboard's.
fn is_api_path(path: &str) -> bool {
    API_PREFIXES.iter().any(|prefix| {
        path == *prefix
            || path
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('/') || rest.starts_with('.'))
    })
}

/// Whether the dashboard is in this build (`web/dist` was built).
pub fn is_built() -> bool {
    Assets::get("index.html").is_some()
}

/// The dashboard's answer to `GET path`, if it has one: a built file, or `index.html`
/// for a client route (a path without a file extension).
fn answer(path: &str) -> Option<Response> {
    let relative = path.trim_start_matches('/');
    let (name, file) = match Assets::get(relative).filter(|_| !relative.is_empty()) {
        Some(file) => (relative, file),
        None => {
            let last = relative.rsplit('/').next().unwrap_or_default();
            if last.contains('.') {
                return None; // a missing file, not a client route
            }
            ("index.html", Assets::get("index.html")?)
        }
    };
    let cache = if name.starts_with("assets/") {
        IMMUTABLE
    } else {
        REVALIDATE
    };
    let mut resp = Response::builder()
        .header(header::CONTENT_TYPE, content_type(name))
        .header(header::CACHE_CONTROL, cache)
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .body(Body::from(file.data.into_owned()));
    if name == "index.html" {
        // The page runs only our own scripts and styles, and talks to its own origin.
        resp.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; \
                 connect-src 'self'; object-src 'none'; base-uri 'self'; \
                 frame-ancestors 'none'",
            ),
        );
    }
    Some(resp)
}

/// `api`, with the dashboard answering the `GET`s and `HEAD`s that are not the API's.
pub struct WithDashboard<E>(pub E);

impl<E: Endpoint> Endpoint for WithDashboard<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Response> {
        let path = req.uri().path();
        let readable = req.method() == Method::GET || req.method() == Method::HEAD;
        if readable
            && !is_api_path(path)
            && let Some(mut resp) = answer(path)
        {
            if req.method() == Method::HEAD {
                let length = resp.headers().get(header::CONTENT_LENGTH).cloned();
                resp.set_body(Body::empty());
                if let Some(length) = length {
                    resp.headers_mut().insert(header::CONTENT_LENGTH, length);
                }
            }
            return Ok(resp);
        }
        self.0.call(req).await.map(IntoResponse::into_response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_keeps_its_paths() {
        for path in [
            "/api",
            "/api/auth/login",
            "/docs",
            "/docs/index.css",
            "/openapi.json",
            "/openapi.yaml",
            "/uploads/x/y.png",
            "/presets/a.jpg",
            "/health",
            "/metrics",
        ] {
            assert!(is_api_path(path), "{path}");
        }
        for path in [
            "/",
            "/avatars",
            "/poses/library",
            "/apiary",
            "/healthy-living",
        ] {
            assert!(!is_api_path(path), "{path}");
        }
    }

    #[test]
    fn client_routes_get_the_page_and_missing_files_do_not() {
        if !is_built() {
            return; // web/dist not built in this checkout
        }
        let page = answer("/avatars/projects/c1").expect("index.html");
        assert_eq!(
            page.headers().get(header::CACHE_CONTROL).unwrap(),
            REVALIDATE
        );
        assert!(answer("/missing.js").is_none());
        let asset = Assets::iter()
            .find(|name| name.starts_with("assets/"))
            .expect("a built asset");
        let served = answer(&format!("/{asset}")).unwrap();
        assert_eq!(
            served.headers().get(header::CACHE_CONTROL).unwrap(),
            IMMUTABLE
        );
    }
}
