//! Files under a local directory (`UPLOAD_DIR`, `PRESETS_DIR`).

use std::{
    io,
    path::{Path, PathBuf},
};

use super::{StorageKey, random_name};

/// A directory holding stored files under their keys.
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

    /// Writes to a dot-named temporary file in the same folder (never served), then
    /// renames it over the key: readers see the old file, the new one, or nothing.
    pub async fn put(&self, key: &StorageKey, bytes: Vec<u8>) -> io::Result<()> {
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

    /// The file's bytes if it is a regular file whose real location (symlinks
    /// resolved) is still inside the root; `None` otherwise.
    pub async fn get(&self, key: &StorageKey) -> io::Result<Option<Vec<u8>>> {
        let Some(path) = self.resolve_inside(key).await else {
            return Ok(None);
        };
        match tokio::fs::read(&path).await {
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
            other => other.map(Some),
        }
    }

    pub async fn delete(&self, key: &StorageKey) -> io::Result<()> {
        match tokio::fs::remove_file(self.path(key)).await {
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }

    pub async fn delete_folder(&self, folder: &str) -> io::Result<()> {
        match tokio::fs::remove_dir_all(self.root.join(folder)).await {
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }

    async fn resolve_inside(&self, key: &StorageKey) -> Option<PathBuf> {
        let root = tokio::fs::canonicalize(&self.root).await.ok()?;
        let path = tokio::fs::canonicalize(root.join(key.as_str()))
            .await
            .ok()?;
        let is_file = tokio::fs::metadata(&path).await.ok()?.is_file();
        (is_file && path.starts_with(&root)).then_some(path)
    }
}
