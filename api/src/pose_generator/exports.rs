//! Export renditions and the export ZIP (api.md §7.14, §7.16, §8.11): renditions that
//! do not exist yet are rendered from the pose's current image and saved, so later
//! exports reuse them; the ZIP is written entry by entry into the response stream.

use std::{
    io::{self, Write},
    sync::{Arc, Mutex},
};

use entity::{generated_poses, pose_generations};
use migration::sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter,
    sea_query::{Expr, ExprTrait},
};
use serde_json::Value;

use super::error::PoseGeneratorError;
use super::formats::{self, DEFAULT_ZIP_FORMATS};
use super::generations;
use super::job::render_formats;
use crate::error::FieldErrors;
use crate::ids;
use crate::images::{self, ImageKind};
use crate::storage::{Storage, StorageKey};
use crate::vocabulary::GeneratedPoseStatus;

/// The caller's generated pose (through its generation), or 404 `"Pose not found"`.
pub async fn find_owned_pose(
    db: &impl ConnectionTrait,
    user_id: &str,
    pose_id: &str,
) -> Result<generated_poses::Model, PoseGeneratorError> {
    if !ids::is_plausible(pose_id) {
        return Err(PoseGeneratorError::PoseNotFound);
    }
    let pose = generated_poses::Entity::find_by_id(pose_id)
        .one(db)
        .await?
        .ok_or(PoseGeneratorError::PoseNotFound)?;
    let owned = pose_generations::Entity::find_by_id(pose.generation_id.as_str())
        .filter(pose_generations::Column::UserId.eq(user_id))
        .one(db)
        .await?
        .is_some();
    if owned {
        Ok(pose)
    } else {
        Err(PoseGeneratorError::PoseNotFound)
    }
}

/// The canonical keys of a comma-separated `formats` query; 400 on unknown keys.
pub fn parse_formats(query: &str) -> Result<Vec<&'static str>, PoseGeneratorError> {
    let keys: Vec<&str> = query
        .split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .collect();
    formats::normalise(keys).map_err(|unknown| {
        let mut errors = FieldErrors::new();
        for (_, message) in unknown {
            errors.add("formats", message);
        }
        PoseGeneratorError::Invalid(errors)
    })
}

/// Renders the `missing` formats of `pose` from its current output image, stores them
/// and records their URLs in the pose's `exportFormats` (other keys kept). With
/// `replace`, the given formats are rendered again under new names, and the files
/// they replace are removed once the new URLs are committed.
pub async fn ensure_renditions(
    db: &DatabaseConnection,
    storage: &Storage,
    pose: &generated_poses::Model,
    wanted: &[&'static str],
    replace: bool,
) -> Result<serde_json::Map<String, Value>, PoseGeneratorError> {
    let mut exports = pose.export_formats.as_object().cloned().unwrap_or_default();
    let missing: Vec<String> = wanted
        .iter()
        .filter(|key| replace || !exports.contains_key(**key))
        .map(|key| (*key).to_owned())
        .collect();
    if missing.is_empty() {
        return Ok(exports);
    }
    let image_key = StorageKey::from_url(&pose.output_image_url).ok_or_else(|| {
        PoseGeneratorError::internal(format!("pose {} has no stored image", pose.id))
    })?;
    let bytes = storage
        .get(&image_key)
        .await
        .map_err(PoseGeneratorError::internal)?
        .ok_or_else(|| {
            PoseGeneratorError::internal(format!("the image of pose {} is missing", pose.id))
        })?;
    let renditions = tokio::task::spawn_blocking(move || {
        let kind = ImageKind::sniff(&bytes).ok_or("not an image")?;
        let image = images::decode(&bytes, kind).map_err(|e| e.to_string())?;
        render_formats(&image, &missing)
    })
    .await
    .map_err(PoseGeneratorError::internal)?
    .map_err(PoseGeneratorError::internal)?;
    let mut written = Vec::new();
    let mut replaced = Vec::new();
    for (format, data) in renditions {
        let url = match data {
            None => image_key.url(),
            Some(jpeg) => {
                let key = image_key
                    .export_of(&format, "jpg")
                    .ok_or_else(|| PoseGeneratorError::internal("bad export key"))?;
                storage
                    .put(&key, jpeg)
                    .await
                    .map_err(PoseGeneratorError::internal)?;
                written.push(key.url());
                key.url()
            }
        };
        if let Some(Value::String(old)) = exports.insert(format, Value::from(url.clone()))
            && old != url
            && old != pose.output_image_url
        {
            replaced.push(old);
        }
    }
    let mut active: generated_poses::ActiveModel = pose.clone().into();
    active.export_formats = Set(Value::Object(exports.clone()));
    if let Err(err) = active.update(db).await {
        storage
            .delete_urls_best_effort(written.iter().map(String::as_str))
            .await;
        // The pose was deleted meanwhile (its project or generation deleted while
        // rendering): 404, as a request a moment later would get, not a 500.
        return Err(match err {
            DbErr::RecordNotUpdated => PoseGeneratorError::PoseNotFound,
            err => err.into(),
        });
    }
    storage
        .delete_urls_best_effort(replaced.iter().map(String::as_str))
        .await;
    Ok(exports)
}

/// One file of the ZIP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZipEntry {
    /// `<format>/<NN>_<variationKey>.<ext>`
    pub name: String,
    pub key: StorageKey,
}

/// Prepares an export: the formats (asked for, else the generation's, else those
/// already rendered, else the default four), every completed pose's renditions
/// (rendered now where missing), the download counters, and the ZIP's entries.
pub async fn prepare_zip(
    db: &DatabaseConnection,
    storage: &Storage,
    user_id: &str,
    generation_id: &str,
    formats_query: Option<&str>,
) -> Result<Vec<ZipEntry>, PoseGeneratorError> {
    let generation = generations::find_owned(db, user_id, generation_id).await?;
    let asked = formats_query.map(parse_formats).transpose()?;
    let poses = generations::poses(db, &generation.id).await?;
    let completed: Vec<&generated_poses::Model> = poses
        .iter()
        .filter(|p| p.status == GeneratedPoseStatus::Completed.as_str())
        .collect();
    if completed.is_empty() {
        return Err(PoseGeneratorError::NothingToExport);
    }
    let wanted: Vec<&'static str> = match asked.filter(|a| !a.is_empty()) {
        Some(asked) => asked,
        None => {
            let configured =
                formats::normalise(generation.export_formats.items().iter().map(String::as_str))
                    .unwrap_or_default();
            if !configured.is_empty() {
                configured
            } else {
                let rendered: Vec<&'static str> = formats::FORMATS
                    .iter()
                    .map(|f| f.key)
                    .filter(|key| {
                        completed
                            .iter()
                            .any(|p| p.export_formats.get(*key).is_some())
                    })
                    .collect();
                if rendered.is_empty() {
                    DEFAULT_ZIP_FORMATS.to_vec()
                } else {
                    rendered
                }
            }
        }
    };
    // Renditions first (one pass per pose), then the entries in result order.
    let mut urls: Vec<serde_json::Map<String, Value>> = Vec::new();
    for pose in &completed {
        urls.push(ensure_renditions(db, storage, pose, &wanted, false).await?);
    }
    let mut entries = Vec::new();
    for format in &wanted {
        let ext = formats::lookup(format).map_or("jpg", formats::extension);
        let mut completed_index = 0;
        for (position, pose) in poses.iter().enumerate() {
            if pose.status != GeneratedPoseStatus::Completed.as_str() {
                continue;
            }
            let exports = &urls[completed_index];
            completed_index += 1;
            let url = exports
                .get(*format)
                .and_then(Value::as_str)
                .unwrap_or_default();
            let key = StorageKey::from_url(url).ok_or_else(|| {
                PoseGeneratorError::internal(format!(
                    "rendition {format} of pose {} is not stored",
                    pose.id
                ))
            })?;
            let variation = pose
                .variation_key
                .clone()
                .unwrap_or_else(|| pose.id.clone());
            entries.push(ZipEntry {
                name: format!("{format}/{:02}_{variation}.{ext}", position + 1),
                key,
            });
        }
    }
    let ids: Vec<String> = completed.iter().map(|p| p.id.clone()).collect();
    generated_poses::Entity::update_many()
        .col_expr(
            generated_poses::Column::DownloadCount,
            Expr::col(generated_poses::Column::DownloadCount).add(1),
        )
        .filter(generated_poses::Column::Id.is_in(ids))
        .exec(db)
        .await?;
    Ok(entries)
}

/// The ZIP writer's output: appended to in memory, drained into the response after
/// each entry. Writing into it never waits.
#[derive(Clone, Default)]
struct ZipBuffer(Arc<Mutex<Vec<u8>>>);

impl ZipBuffer {
    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl Write for ZipBuffer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Streams the ZIP of `entries` (stored, not deflated) as a task on the async runtime:
/// each file is read from storage, written into the archive in memory and handed to
/// the response, which holds at most one file and a small queue at a time. Nothing
/// blocks a thread while the client reads: a client that stops reading leaves the
/// task parked on the full queue until the connection's send timeout
/// (`SEND_TIMEOUT`, `startup`) closes the connection, which ends the task. `slot` is
/// held by the response body: given back once the last byte is sent or the body is
/// dropped.
pub fn stream_zip(
    storage: Storage,
    entries: Vec<ZipEntry>,
    slot: crate::http::slots::Slot,
) -> impl futures_util::Stream<Item = io::Result<Vec<u8>>> + Send + 'static {
    let (tx, rx) = tokio::sync::mpsc::channel::<io::Result<Vec<u8>>>(2);
    tokio::spawn(async move {
        let buffer = ZipBuffer::default();
        let mut zip = zip::ZipWriter::new_stream(buffer.clone());
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .large_file(false);
        let written: io::Result<()> = async {
            for entry in entries {
                let bytes = storage.get(&entry.key).await?.ok_or_else(|| {
                    io::Error::other(format!("{} is missing", entry.key.as_str()))
                })?;
                zip.start_file(entry.name, options)
                    .map_err(io::Error::other)?;
                zip.write_all(&bytes)?;
                drop(bytes);
                if tx.send(Ok(buffer.take())).await.is_err() {
                    return Err(io::Error::new(
                        io::ErrorKind::BrokenPipe,
                        "the client went away",
                    ));
                }
            }
            zip.finish().map_err(io::Error::other)?;
            let tail = buffer.take();
            if tx.send(Ok(tail)).await.is_err() {
                return Err(io::Error::new(
                    io::ErrorKind::BrokenPipe,
                    "the client went away",
                ));
            }
            Ok(())
        }
        .await;
        if let Err(err) = written {
            tracing::warn!(error = %err, "export ZIP aborted");
            // Ends the response with an error, so the client sees a broken download,
            // not a short archive.
            let _ = tx.try_send(Err(err));
        }
    });
    futures_util::stream::unfold((rx, slot), |(mut rx, slot)| async move {
        rx.recv().await.map(|item| (item, (rx, slot)))
    })
}
