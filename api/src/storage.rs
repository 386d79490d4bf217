//! Stored files (api.md §8.12): one [`Storage`] interface, a local-directory
//! implementation rooted at `UPLOAD_DIR`, and the public `/uploads/*` endpoint.
//!
//! Keys are relative paths such as `avatar-creator/<userId>/<32 hex>.png`. A
//! [`StorageKey`] can only be built by this module, from server-side values (a user id
//! checked against the id alphabet and a 128-bit random name), so a key never carries
//! user input and cannot leave the root. The database stores the public URL
//! `/uploads/<key>`.
//!
//! S3-compatible object storage is not implemented yet; it would be a second
//! [`Storage`] behind the same keys and URLs.

use std::{
    future::Future,
    io,
    path::{Path, PathBuf},
};

use poem::{
    Body, Endpoint, Request, Response,
    error::{MethodNotAllowedError, NotFoundError},
    http::{HeaderValue, Method, header},
};

/// URL prefix of stored files.
pub const URL_PREFIX: &str = "/uploads/";

/// A relative storage path made only of safe segments (`[A-Za-z0-9_-]`, plus one
/// extension dot in the file name).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StorageKey(String);

impl StorageKey {
    /// `avatar-creator/<userId>/<random>.<ext>` for an avatar original. `None` if the
    /// user id is not a plain id (it then cannot be a safe folder name).
    pub fn avatar_original(user_id: &str, extension: &str) -> Option<Self> {
        Self::avatar(user_id, &random_name(), extension)
    }

    /// The thumbnail next to an original: `<same name>_thumb.jpg`.
    pub fn thumbnail_of(&self) -> Self {
        let (stem, _) = self.0.rsplit_once('.').unwrap_or((&self.0, ""));
        Self(format!("{stem}_thumb.jpg"))
    }

    fn avatar(user_id: &str, name: &str, extension: &str) -> Option<Self> {
        let plain = |s: &str| {
            (1..=64).contains(&s.len())
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        };
        (plain(user_id) && plain(name) && plain(extension))
            .then(|| Self(format!("avatar-creator/{user_id}/{name}.{extension}")))
    }

    /// The key of a stored URL (`/uploads/<key>`), if it is one this module could have
    /// produced; anything else (foreign URLs, `..`, odd characters) is `None`.
    pub fn from_url(url: &str) -> Option<Self> {
        let rest = url.strip_prefix(URL_PREFIX)?;
        safe_relative_path(rest).then(|| Self(rest.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The public URL, as stored in the database.
    pub fn url(&self) -> String {
        format!("{URL_PREFIX}{}", self.0)
    }
}

/// 32 lowercase hex characters from the OS random source (128 bits).
pub fn random_name() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the OS random source is available");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Where files live. Writes are atomic: a reader sees the whole file or nothing.
pub trait Storage: Send + Sync {
    /// Stores `bytes` at `key`, replacing nothing that is half-written.
    fn put(&self, key: &StorageKey, bytes: Vec<u8>) -> impl Future<Output = io::Result<()>> + Send;
    /// Removes `key`; a missing file is not an error.
    fn delete(&self, key: &StorageKey) -> impl Future<Output = io::Result<()>> + Send;
}

/// Files under a local directory (`UPLOAD_DIR`).
#[derive(Debug, Clone)]
pub struct LocalStorage {
    root: PathBuf,
}

impl LocalStorage {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file of a key.
    pub fn path(&self, key: &StorageKey) -> PathBuf {
        self.root.join(key.as_str())
    }

    /// Removes the files behind stored URLs after a commit, best effort: failures and
    /// URLs that are not ours are logged, never returned.
    pub async fn delete_urls_best_effort<'a>(&self, urls: impl IntoIterator<Item = &'a str>) {
        for url in urls {
            match StorageKey::from_url(url) {
                Some(key) => {
                    if let Err(err) = self.delete(&key).await {
                        tracing::warn!(key = key.as_str(), error = %err, "could not remove stored file");
                    }
                }
                None => tracing::debug!(url, "not a stored file; nothing to remove"),
            }
        }
    }
}

impl Storage for LocalStorage {
    async fn put(&self, key: &StorageKey, bytes: Vec<u8>) -> io::Result<()> {
        let path = self.path(key);
        let dir = path
            .parent()
            .ok_or_else(|| io::Error::other("storage key without a folder"))?
            .to_owned();
        let file_name = path
            .file_name()
            .ok_or_else(|| io::Error::other("storage key without a file name"))?
            .to_string_lossy()
            .into_owned();
        tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&dir)?;
            // A dot-name in the same folder: never served, renamed over atomically.
            let tmp = dir.join(format!(".{file_name}.{}.tmp", random_name()));
            let written = (|| {
                use std::io::Write;
                let mut file = std::fs::File::create_new(&tmp)?;
                file.write_all(&bytes)?;
                file.sync_all()?;
                std::fs::rename(&tmp, dir.join(&file_name))
            })();
            if written.is_err() {
                let _ = std::fs::remove_file(&tmp);
            }
            written
        })
        .await
        .map_err(io::Error::other)?
    }

    async fn delete(&self, key: &StorageKey) -> io::Result<()> {
        match tokio::fs::remove_file(self.path(key)).await {
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }
}

/// Relative paths the server may have written: non-empty segments of
/// `[A-Za-z0-9._-]` that do not start with a dot (so no `.`, `..` or temporary files),
/// no backslashes, no percent-encoding.
fn safe_relative_path(path: &str) -> bool {
    !path.is_empty()
        && path.split('/').all(|segment| {
            !segment.is_empty()
                && !segment.starts_with('.')
                && segment
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        })
}

/// `Content-Type` of a served file, from its extension; only images are served.
fn served_content_type(path: &str) -> Option<&'static str> {
    let (_, ext) = path.rsplit_once('.')?;
    match ext.to_ascii_lowercase().as_str() {
        "jpg" | "jpeg" => Some("image/jpeg"),
        "png" => Some("image/png"),
        "webp" => Some("image/webp"),
        _ => None,
    }
}

/// The public file endpoint for `dir`, to mount with
/// `Route::new().nest("/uploads", uploads_endpoint(dir))`.
///
/// GET and HEAD only, no auth. Serves `.jpg`, `.jpeg`, `.png` and `.webp` files with
/// `Content-Type` from the extension, `X-Content-Type-Options: nosniff` and an
/// immutable cache policy. Everything else is 404: other extensions, directories, `..`
/// or dot-segments, percent-encoded characters (so no encoded separators), and
/// symlinks whose target lies outside `dir`.
pub fn uploads_endpoint(dir: PathBuf) -> impl Endpoint<Output = Response> {
    let root = dir;
    poem::endpoint::make(move |req: Request| {
        let root = root.clone();
        async move { serve_file(&root, &req).await }
    })
}

async fn serve_file(root: &Path, req: &Request) -> poem::Result<Response> {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return Err(MethodNotAllowedError.into());
    }
    // Inside `nest`, the path is what follows the mount point.
    let relative = req.uri().path().trim_start_matches('/');
    let content_type = served_content_type(relative)
        .filter(|_| safe_relative_path(relative))
        .ok_or(NotFoundError)?;
    let Some(path) = resolve_inside(root, relative).await else {
        return Err(NotFoundError.into());
    };
    let bytes = tokio::fs::read(&path).await.map_err(|_| NotFoundError)?;
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
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    Ok(resp)
}

/// The canonical path of `relative` under `root` if it is a regular file whose real
/// location (symlinks resolved) is still inside `root`.
async fn resolve_inside(root: &Path, relative: &str) -> Option<PathBuf> {
    let root = tokio::fs::canonicalize(root).await.ok()?;
    let path = tokio::fs::canonicalize(root.join(relative)).await.ok()?;
    let is_file = tokio::fs::metadata(&path).await.ok()?.is_file();
    (is_file && path.starts_with(&root)).then_some(path)
}

#[cfg(test)]
mod tests {
    use poem::{Route, http::StatusCode, test::TestClient};

    use super::*;

    fn temp_root() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("api-storage-test-{}", random_name()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn keys_are_random_safe_and_round_trip_through_urls() {
        let key = StorageKey::avatar_original("cm3k9u1xz0000qz8h7f3a2b1c", "png").unwrap();
        let name = key.as_str().rsplit('/').next().unwrap();
        assert_eq!(name.len(), "0123456789abcdef0123456789abcdef.png".len());
        assert!(
            key.as_str()
                .starts_with("avatar-creator/cm3k9u1xz0000qz8h7f3a2b1c/")
        );
        assert_eq!(StorageKey::from_url(&key.url()), Some(key.clone()));
        assert!(key.thumbnail_of().as_str().ends_with("_thumb.jpg"));
        assert_ne!(
            StorageKey::avatar_original("u", "png"),
            StorageKey::avatar_original("u", "png")
        );
        assert_eq!(StorageKey::avatar_original("../etc", "png"), None);
        assert_eq!(StorageKey::avatar_original("a/b", "png"), None);
        for url in [
            "/uploads/../x.png",
            "/uploads/a/../../x.png",
            "/uploads/a//x.png",
            "/uploads/a/%2e%2e/x.png",
            "/uploads/a\\x.png",
            "https://cdn.example.com/x.png",
            "/uploads/",
        ] {
            assert_eq!(StorageKey::from_url(url), None, "{url}");
        }
    }

    #[tokio::test]
    async fn put_is_atomic_and_delete_is_idempotent() {
        let root = temp_root();
        let storage = LocalStorage::new(&root);
        let key = StorageKey::avatar_original("user1", "png").unwrap();
        storage.put(&key, b"one".to_vec()).await.unwrap();
        storage.put(&key, b"two".to_vec()).await.unwrap();
        assert_eq!(std::fs::read(storage.path(&key)).unwrap(), b"two");
        let folder = storage.path(&key).parent().unwrap().to_owned();
        assert_eq!(
            std::fs::read_dir(&folder).unwrap().count(),
            1,
            "no temp files left"
        );
        storage.delete(&key).await.unwrap();
        storage.delete(&key).await.unwrap();
        assert!(!storage.path(&key).exists());
        std::fs::remove_dir_all(root).unwrap();
    }

    #[tokio::test]
    async fn serves_images_only_and_never_outside_the_root() {
        let base = temp_root();
        let root = base.join("uploads");
        std::fs::create_dir_all(root.join("avatar-creator/u1")).unwrap();
        std::fs::write(root.join("avatar-creator/u1/a.png"), b"png").unwrap();
        std::fs::write(root.join("avatar-creator/u1/notes.txt"), b"txt").unwrap();
        std::fs::write(root.join("avatar-creator/u1/.hidden.png"), b"tmp").unwrap();
        std::fs::write(base.join("secret.png"), b"secret").unwrap();
        std::os::unix::fs::symlink(base.join("secret.png"), root.join("link.png")).unwrap();

        let cli = TestClient::new(Route::new().nest("/uploads", uploads_endpoint(root.clone())));
        let resp = cli.get("/uploads/avatar-creator/u1/a.png").send().await;
        resp.assert_status_is_ok();
        resp.assert_header("Content-Type", "image/png");
        resp.assert_header("X-Content-Type-Options", "nosniff");
        resp.assert_header("Cache-Control", "public, max-age=31536000, immutable");
        resp.assert_bytes("png").await;

        for path in [
            "/uploads/avatar-creator/u1/notes.txt",
            "/uploads/avatar-creator/u1/.hidden.png",
            "/uploads/avatar-creator/u1",
            "/uploads/avatar-creator/u1/",
            "/uploads/avatar-creator/u1/missing.png",
            "/uploads/../secret.png",
            "/uploads/avatar-creator/..%2f..%2fsecret.png",
            "/uploads/%2e%2e/secret.png",
            "/uploads/link.png",
        ] {
            cli.get(path)
                .send()
                .await
                .assert_status(StatusCode::NOT_FOUND);
        }
        cli.post("/uploads/avatar-creator/u1/a.png")
            .send()
            .await
            .assert_status(StatusCode::METHOD_NOT_ALLOWED);
        std::fs::remove_dir_all(base).unwrap();
    }
}
