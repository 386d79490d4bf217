//! Stored files (api.md §8.12): one [`Storage`] interface over a local directory
//! (`UPLOAD_DIR`, the default) or an S3-compatible bucket (`STORAGE=s3`), and the
//! public `/uploads/*` endpoint that serves either.
//!
//! Keys are relative paths such as `avatar-creator/<userId>/<32 hex>.png`. A
//! [`StorageKey`] can only be built by this module, from server-side values (a user id
//! checked against the id alphabet and a 128-bit random name), so a key never carries
//! user input and cannot leave the root. The database stores the public URL
//! `/uploads/<key>`.
//!
//! Both backends use the same keys, so the database keeps the same URLs whichever
//! one is configured.

mod local;
mod object;
mod serve;

pub use local::LocalStorage;
pub use object::ObjectStorage;
pub use serve::{REFERENCE_FILES_CACHE, StoredFilesApi, USER_FILES_CACHE, files_endpoint};

use std::io;

use crate::config::{Config, StorageConfig};

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

    /// `poses/<generationId>/<random>.<ext>` for a generated pose image.
    pub fn pose_image(generation_id: &str, extension: &str) -> Option<Self> {
        let plain = |s: &str| {
            (1..=64).contains(&s.len())
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        };
        (plain(generation_id) && plain(extension)).then(|| {
            Self(format!(
                "poses/{generation_id}/{}.{extension}",
                random_name()
            ))
        })
    }

    /// `poses/<generationId>/exports/<random>_<format>.<ext>` for an export rendition
    /// of a pose image stored under `poses/<generationId>/`.
    pub fn export_of(&self, format: &str, extension: &str) -> Option<Self> {
        let folder = self.0.strip_prefix("poses/")?.split('/').next()?;
        let plain = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        };
        (plain(format) && plain(extension)).then(|| {
            Self(format!(
                "poses/{folder}/exports/{}_{format}.{extension}",
                random_name()
            ))
        })
    }

    /// `health/<random>.probe`: a throwaway object for [`Storage::probe_writable`]
    /// (never served: only images are).
    fn probe() -> Self {
        Self(format!("health/{}.probe", random_name()))
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
        Self::from_relative(url.strip_prefix(URL_PREFIX)?)
    }

    /// A relative path the server may have written (see [`safe_relative_path`]).
    pub fn from_relative(path: &str) -> Option<Self> {
        safe_relative_path(path).then(|| Self(path.to_owned()))
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

/// Where files live: the configured backend. Writes are atomic (a reader sees the
/// whole file or nothing) and deletes are idempotent on both.
#[derive(Debug, Clone)]
pub enum Storage {
    Local(LocalStorage),
    Object(ObjectStorage),
}

impl Storage {
    /// The backend `STORAGE` selects (api.md §10).
    pub fn from_config(config: &Config) -> io::Result<Self> {
        Ok(match &config.storage {
            StorageConfig::Local => Self::Local(LocalStorage::new(config.upload_dir.clone())),
            StorageConfig::S3(s3) => Self::Object(ObjectStorage::s3(s3)?),
        })
    }

    /// Stores `bytes` at `key`, replacing any previous content in one step.
    pub async fn put(&self, key: &StorageKey, bytes: Vec<u8>) -> io::Result<()> {
        match self {
            Self::Local(local) => local.put(key, bytes).await,
            Self::Object(object) => object.put(key, bytes).await,
        }
    }

    /// The bytes at `key`; `None` when nothing is stored there.
    pub async fn get(&self, key: &StorageKey) -> io::Result<Option<Vec<u8>>> {
        match self {
            Self::Local(local) => local.get(key).await,
            Self::Object(object) => object.get(key).await,
        }
    }

    /// Removes `key`; a missing file is not an error.
    pub async fn delete(&self, key: &StorageKey) -> io::Result<()> {
        match self {
            Self::Local(local) => local.delete(key).await,
            Self::Object(object) => object.delete(key).await,
        }
    }

    /// Removes everything under `folder` (a relative path of safe segments); a missing
    /// folder is not an error.
    pub async fn delete_folder(&self, folder: &str) -> io::Result<()> {
        if !safe_relative_path(folder) {
            return Err(io::Error::other(format!(
                "not a storage folder: {folder:?}"
            )));
        }
        match self {
            Self::Local(local) => local.delete_folder(folder).await,
            Self::Object(object) => object.delete_folder(folder).await,
        }
    }

    /// Proves the backend accepts writes right now: stores a tiny object under
    /// `health/` and removes it again.
    pub async fn probe_writable(&self) -> io::Result<()> {
        let key = StorageKey::probe();
        self.put(&key, b"ok".to_vec()).await?;
        self.delete(&key).await
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

/// The result of the last [`Storage::probe_writable`], reused for
/// [`ProbeCache::EVERY`]: the public health check must not write to storage (a PUT and
/// a DELETE on S3) on every anonymous request.
#[derive(Debug, Default)]
pub struct ProbeCache {
    last: tokio::sync::Mutex<Option<(std::time::Instant, Result<(), String>)>>,
    runs: std::sync::atomic::AtomicU64,
}

impl ProbeCache {
    pub const EVERY: std::time::Duration = std::time::Duration::from_secs(10);

    /// Whether `storage` took a write lately: the cached answer if it is recent, else
    /// a new probe (concurrent callers wait for that one probe).
    pub async fn writable(&self, storage: &Storage) -> Result<(), String> {
        let mut last = self.last.lock().await;
        if let Some((at, result)) = &*last
            && at.elapsed() < Self::EVERY
        {
            return result.clone();
        }
        self.runs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let result = storage.probe_writable().await.map_err(|e| e.to_string());
        *last = Some((std::time::Instant::now(), result.clone()));
        result
    }

    /// How many probes actually ran.
    pub fn runs(&self) -> u64 {
        self.runs.load(std::sync::atomic::Ordering::Relaxed)
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

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

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
    async fn the_probe_leaves_nothing_behind_and_fails_on_a_file_root() {
        let root = temp_root();
        let storage = Storage::Local(LocalStorage::new(&root));
        storage.probe_writable().await.unwrap();
        assert_eq!(std::fs::read_dir(root.join("health")).unwrap().count(), 0);
        let file = root.join("not-a-dir");
        std::fs::write(&file, b"x").unwrap();
        let broken = Storage::Local(LocalStorage::new(&file));
        assert!(broken.probe_writable().await.is_err());
        std::fs::remove_dir_all(root).unwrap();
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

        let cli = TestClient::new(Route::new().nest(
            "/uploads",
            files_endpoint(
                Storage::Local(LocalStorage::new(root.clone())),
                USER_FILES_CACHE,
            ),
        ));
        let resp = cli.get("/uploads/avatar-creator/u1/a.png").send().await;
        resp.assert_status_is_ok();
        resp.assert_header("Content-Type", "image/png");
        resp.assert_header("X-Content-Type-Options", "nosniff");
        resp.assert_header("Cache-Control", "private, max-age=3600");
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
