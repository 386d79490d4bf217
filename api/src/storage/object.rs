//! Files in an S3-compatible bucket (`STORAGE=s3`), through the `object_store` crate.
//! Object PUTs are atomic by nature, so no temporary names are needed.

use std::{io, sync::Arc};

use object_store::{ObjectStore, PutPayload, aws::AmazonS3Builder, path::Path};

use super::StorageKey;
use crate::config::S3Config;

/// An object store holding stored files under their keys.
#[derive(Clone)]
pub struct ObjectStorage {
    store: Arc<dyn ObjectStore>,
}

impl std::fmt::Debug for ObjectStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The store's own Debug would print its configuration, credentials included.
        write!(f, "ObjectStorage({})", self.store)
    }
}

impl ObjectStorage {
    /// Any `object_store` backend (tests use the in-memory one).
    pub fn new(store: Arc<dyn ObjectStore>) -> Self {
        Self { store }
    }

    /// The bucket of `S3_*` (api.md §10). Without static keys the standard AWS chain
    /// applies (web identity, ECS task role, instance metadata).
    pub fn s3(config: &S3Config) -> io::Result<Self> {
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&config.bucket)
            .with_region(&config.region);
        if let Some(endpoint) = &config.endpoint {
            // A custom endpoint (MinIO, R2, Ceph…) is addressed path-style; plain HTTP
            // is allowed only when the operator wrote an http:// endpoint.
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"));
        }
        if let Some(keys) = &config.keys {
            builder = builder
                .with_access_key_id(&keys.access_key_id)
                .with_secret_access_key(keys.secret_access_key.expose());
        }
        let store = builder.build().map_err(io::Error::other)?;
        Ok(Self::new(Arc::new(store)))
    }

    pub async fn put(&self, key: &StorageKey, bytes: Vec<u8>) -> io::Result<()> {
        self.store
            .put(&path(key), PutPayload::from(bytes))
            .await
            .map(|_| ())
            .map_err(io::Error::other)
    }

    pub async fn get(&self, key: &StorageKey) -> io::Result<Option<Vec<u8>>> {
        match self.store.get(&path(key)).await {
            Ok(found) => found
                .bytes()
                .await
                .map(|bytes| Some(bytes.to_vec()))
                .map_err(io::Error::other),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(err) => Err(io::Error::other(err)),
        }
    }

    pub async fn delete(&self, key: &StorageKey) -> io::Result<()> {
        match self.store.delete(&path(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(err) => Err(io::Error::other(err)),
        }
    }
}

impl ObjectStorage {
    pub async fn delete_folder(&self, folder: &str) -> io::Result<()> {
        use futures_util::TryStreamExt;
        let prefix = Path::from(folder);
        let objects: Vec<_> = self
            .store
            .list(Some(&prefix))
            .map_ok(|meta| meta.location)
            .try_collect()
            .await
            .map_err(io::Error::other)?;
        for location in objects {
            match self.store.delete(&location).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(err) => return Err(io::Error::other(err)),
            }
        }
        Ok(())
    }
}

/// Keys are already safe relative paths (`[A-Za-z0-9._-]` segments), so they map
/// one-to-one onto object paths.
fn path(key: &StorageKey) -> Path {
    Path::from(key.as_str())
}

#[cfg(test)]
mod tests {
    use object_store::memory::InMemory;

    use super::*;

    #[tokio::test]
    async fn put_get_delete_round_trip() {
        let storage = ObjectStorage::new(Arc::new(InMemory::new()));
        let key = StorageKey::avatar_original("user1", "png").unwrap();
        assert_eq!(storage.get(&key).await.unwrap(), None);
        storage.put(&key, b"one".to_vec()).await.unwrap();
        storage.put(&key, b"two".to_vec()).await.unwrap();
        assert_eq!(
            storage.get(&key).await.unwrap().as_deref(),
            Some(&b"two"[..])
        );
        storage.delete(&key).await.unwrap();
        storage.delete(&key).await.unwrap();
        assert_eq!(storage.get(&key).await.unwrap(), None);
    }
}
