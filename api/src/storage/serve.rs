//! The public file endpoints `/uploads/*` and `/presets/*` (api.md §8.12).

use poem::{
    Body, Endpoint, Request, Response,
    error::{InternalServerError, MethodNotAllowedError, NotFoundError},
    http::{HeaderValue, Method, header},
};

use super::{Storage, StorageKey, served_content_type};

/// `Cache-Control` of user files (`/uploads`): capability URLs that stop working when
/// the file is deleted, so shared caches must not keep them and browsers only for an
/// hour.
pub const USER_FILES_CACHE: &str = "private, max-age=3600";
/// `Cache-Control` of the seeded reference images (`/presets`): public, and they
/// change only with the seed.
pub const REFERENCE_FILES_CACHE: &str = "public, max-age=86400";

/// The public file endpoint over `storage`, to mount with
/// `Route::new().nest("/uploads", files_endpoint(storage, USER_FILES_CACHE))`.
///
/// GET and HEAD only, no auth: a stored file's URL holds 128 random bits, so knowing
/// it is the permission to read it (README "Security"). Serves `.jpg`, `.jpeg`, `.png`
/// and `.webp` files with `Content-Type` from the extension,
/// `X-Content-Type-Options: nosniff` and `cache_control`. Everything else is 404:
/// other extensions, directories, `..` or dot-segments, percent-encoded characters (so
/// no encoded separators), and, on a local directory, symlinks whose target lies
/// outside it.
pub fn files_endpoint(
    storage: Storage,
    cache_control: &'static str,
) -> impl Endpoint<Output = Response> {
    poem::endpoint::make(move |req: Request| {
        let storage = storage.clone();
        async move { serve(&storage, &req, cache_control).await }
    })
}

async fn serve(
    storage: &Storage,
    req: &Request,
    cache_control: &'static str,
) -> poem::Result<Response> {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return Err(MethodNotAllowedError.into());
    }
    // Inside `nest`, the path is what follows the mount point.
    let relative = req.uri().path().trim_start_matches('/');
    let content_type = served_content_type(relative).ok_or(NotFoundError)?;
    let key = StorageKey::from_relative(relative).ok_or(NotFoundError)?;
    let bytes = match storage.get(&key).await {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return Err(NotFoundError.into()),
        Err(err) => {
            tracing::error!(key = key.as_str(), error = %err, "could not read a stored file");
            return Err(InternalServerError(err));
        }
    };
    let mut resp = if req.method() == Method::HEAD {
        let mut resp = Response::builder().body(Body::empty());
        resp.headers_mut()
            .insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
        resp
    } else {
        Response::builder().body(bytes)
    };
    let headers = resp.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control),
    );
    Ok(resp)
}
