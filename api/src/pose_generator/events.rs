//! The progress stream of a generation (api.md §7.13), as Server-Sent Events. It
//! reads the generation from the database every `SSE_POLL_MS`, so it works whatever
//! process runs the worker, and emits an event for each change it sees.

use std::collections::HashMap;
use std::time::Duration;

use entity::{generated_poses, pose_generations};
use migration::sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};
use poem::{Body, IntoResponse, Response, http::header};
use poem_openapi::{
    Object,
    payload::Payload,
    registry::{MetaSchemaRef, Registry},
    types::{ToJSON, Type},
};

use super::generations::Progress;
use super::job::{COMPLETED, FAILED, PARTIAL, PROCESSING};
use super::views::public_status;
use crate::timestamp::Timestamp;

/// The first line of every stream: clients reconnect after 3 s.
const RETRY_MS: u64 = 3000;
/// A comment line keeps proxies from closing an idle stream.
const PING_EVERY: Duration = Duration::from_secs(15);

/// A stored pose, as the `pose` event carries it.
#[derive(Object, Debug, Clone, PartialEq, Eq)]
#[oai(rename_all = "camelCase")]
pub struct PoseEventPose {
    pub id: String,
    #[oai(nullable)]
    pub variation_key: Option<String>,
    pub status: String,
    pub output_image_url: String,
    pub thumbnail_url: String,
    #[oai(nullable)]
    pub error_message: Option<String>,
}

/// One event of the stream; `type` says which fields it carries (api.md §7.13):
/// `snapshot` (status, progress), `started` (message), `pose` (pose), `progress`
/// (completed, failed, total, percentage), `requeued` (recoveryAttempts), `completed`
/// (status, completed, failed, total, creditRefunded), `failed` (error,
/// creditRefunded).
#[derive(Object, Debug, Clone, PartialEq)]
#[oai(rename_all = "camelCase")]
pub struct GenerationEvent {
    #[oai(rename = "type")]
    pub kind: String,
    pub generation_id: String,
    pub timestamp: Timestamp,
    #[oai(skip_serializing_if_is_none)]
    pub status: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub progress: Option<Progress>,
    #[oai(skip_serializing_if_is_none)]
    pub message: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub pose: Option<PoseEventPose>,
    #[oai(skip_serializing_if_is_none)]
    pub completed: Option<i32>,
    #[oai(skip_serializing_if_is_none)]
    pub failed: Option<i32>,
    #[oai(skip_serializing_if_is_none)]
    pub total: Option<i32>,
    #[oai(skip_serializing_if_is_none)]
    pub percentage: Option<i64>,
    #[oai(skip_serializing_if_is_none)]
    pub recovery_attempts: Option<i32>,
    #[oai(skip_serializing_if_is_none)]
    pub credit_refunded: Option<i32>,
    #[oai(skip_serializing_if_is_none)]
    pub error: Option<String>,
}

impl GenerationEvent {
    fn new(kind: &str, generation_id: &str) -> Self {
        Self {
            kind: kind.to_owned(),
            generation_id: generation_id.to_owned(),
            timestamp: Timestamp::now(),
            status: None,
            progress: None,
            message: None,
            pose: None,
            completed: None,
            failed: None,
            total: None,
            percentage: None,
            recovery_attempts: None,
            credit_refunded: None,
            error: None,
        }
    }

    /// `event: <type>` and one `data:` line of JSON.
    fn frame(&self) -> String {
        let data = self
            .to_json()
            .map(|v| v.to_string())
            .unwrap_or_else(|| "{}".into());
        format!("event: {}\ndata: {data}\n\n", self.kind)
    }
}

/// One event of the stream as an SSE parser (a browser's `EventSource`) hands it
/// over: its `event` name and its `data` line, a `GenerationEvent` as JSON. This
/// describes the items of the `text/event-stream` body (OpenAPI 3.2's `itemSchema`);
/// OpenAPI 3.0 cannot type the JSON inside `data`, so `data` describes it in words.
#[derive(Object, Debug, Clone, PartialEq, Eq)]
#[oai(rename = "GenerationStreamEvent")]
pub struct StreamEvent {
    /// The event's `type`: `snapshot`, `started`, `pose`, `progress`, `requeued`,
    /// `completed` or `failed`.
    pub event: String,
    /// One `GenerationEvent` as a line of JSON: `type`, `generationId`, `timestamp`
    /// (ISO 8601) and, by `type`: `snapshot` (status, progress), `started` (message),
    /// `pose` (pose: id, variationKey, status, outputImageUrl, thumbnailUrl,
    /// errorMessage), `progress` (completed, failed, total, percentage), `requeued`
    /// (recoveryAttempts), `completed` (status, completed, failed, total,
    /// creditRefunded), `failed` (error, creditRefunded). api.md §7.13.
    pub data: String,
}

/// The `text/event-stream` body, typed in OpenAPI by its [`StreamEvent`] items, whose
/// `data` is a [`GenerationEvent`].
pub struct EventStreamBody(pub Body);

impl Payload for EventStreamBody {
    const CONTENT_TYPE: &'static str = "text/event-stream";

    fn schema_ref() -> MetaSchemaRef {
        StreamEvent::schema_ref()
    }

    fn register(registry: &mut Registry) {
        StreamEvent::register(registry);
    }
}

impl IntoResponse for EventStreamBody {
    fn into_response(self) -> Response {
        Response::builder()
            .content_type("text/event-stream")
            .header(header::CACHE_CONTROL, "no-cache")
            .header("X-Accel-Buffering", "no")
            .body(self.0)
    }
}

/// What the stream last told the client.
struct Seen {
    status: String,
    completed: i32,
    failed: i32,
    recovery_attempts: i32,
    poses: HashMap<String, (String, String)>,
}

fn pose_event(generation_id: &str, pose: &generated_poses::Model) -> GenerationEvent {
    GenerationEvent {
        pose: Some(PoseEventPose {
            id: pose.id.clone(),
            variation_key: pose.variation_key.clone(),
            status: pose.status.clone(),
            output_image_url: pose.output_image_url.clone(),
            thumbnail_url: pose.thumbnail_url.clone(),
            error_message: pose.error_message.clone(),
        }),
        ..GenerationEvent::new("pose", generation_id)
    }
}

/// The terminal event of a finished generation, if it is finished.
fn terminal(generation: &pose_generations::Model) -> Option<GenerationEvent> {
    let id = &generation.id;
    match generation.status.as_str() {
        COMPLETED | PARTIAL => Some(GenerationEvent {
            status: Some(generation.status.clone()),
            completed: Some(generation.poses_completed),
            failed: Some(generation.poses_failed),
            total: Some(generation.total_expected_poses),
            credit_refunded: Some(generation.credit_refunded),
            ..GenerationEvent::new("completed", id)
        }),
        FAILED => Some(GenerationEvent {
            error: Some(
                generation
                    .error_message
                    .clone()
                    .unwrap_or_else(|| "Generation failed".into()),
            ),
            credit_refunded: Some(generation.credit_refunded),
            ..GenerationEvent::new("failed", id)
        }),
        _ => None,
    }
}

/// The events between two readings.
fn changes(
    seen: &mut Seen,
    generation: &pose_generations::Model,
    poses: &[generated_poses::Model],
) -> Vec<GenerationEvent> {
    let id = &generation.id;
    let mut events = Vec::new();
    if generation.recovery_attempts > seen.recovery_attempts {
        events.push(GenerationEvent {
            recovery_attempts: Some(generation.recovery_attempts),
            ..GenerationEvent::new("requeued", id)
        });
    }
    if generation.status == PROCESSING
        && (seen.status != PROCESSING || generation.recovery_attempts > seen.recovery_attempts)
    {
        events.push(GenerationEvent {
            message: Some("Generation started".into()),
            ..GenerationEvent::new("started", id)
        });
    }
    seen.recovery_attempts = generation.recovery_attempts;
    seen.status = generation.status.clone();
    for pose in poses {
        let state = (pose.status.clone(), pose.output_image_url.clone());
        if seen.poses.get(&pose.id) != Some(&state) {
            seen.poses.insert(pose.id.clone(), state);
            events.push(pose_event(id, pose));
        }
    }
    if (generation.poses_completed, generation.poses_failed) != (seen.completed, seen.failed) {
        seen.completed = generation.poses_completed;
        seen.failed = generation.poses_failed;
        events.push(GenerationEvent {
            completed: Some(generation.poses_completed),
            failed: Some(generation.poses_failed),
            total: Some(generation.total_expected_poses),
            percentage: Some(Progress::of(generation).percentage),
            ..GenerationEvent::new("progress", id)
        });
    }
    events.extend(terminal(generation));
    events
}

async fn read(
    db: &DatabaseConnection,
    id: &str,
) -> Result<Option<(pose_generations::Model, Vec<generated_poses::Model>)>, DbErr> {
    let Some(generation) = pose_generations::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    let poses = generated_poses::Entity::find()
        .filter(generated_poses::Column::GenerationId.eq(id))
        .all(db)
        .await?;
    Ok(Some((generation, poses)))
}

/// The stream of an (already authorised) generation: `retry`, a snapshot, then the
/// changes until the terminal event, the generation's deletion, `max` or the client
/// leaving.
pub fn stream(
    db: DatabaseConnection,
    generation: pose_generations::Model,
    poses: Vec<generated_poses::Model>,
    poll: Duration,
    max: Duration,
) -> Body {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<String, std::io::Error>>(16);
    tokio::spawn(async move {
        let id = generation.id.clone();
        let mut seen = Seen {
            status: generation.status.clone(),
            completed: generation.poses_completed,
            failed: generation.poses_failed,
            recovery_attempts: generation.recovery_attempts,
            poses: poses
                .iter()
                .map(|p| (p.id.clone(), (p.status.clone(), p.output_image_url.clone())))
                .collect(),
        };
        let snapshot = GenerationEvent {
            status: Some(public_status(&generation.status)),
            progress: Some(Progress::of(&generation)),
            ..GenerationEvent::new("snapshot", &id)
        };
        let mut frames = vec![format!("retry: {RETRY_MS}\n\n"), snapshot.frame()];
        let finished = terminal(&generation);
        if let Some(event) = &finished {
            frames.push(event.frame());
        }
        for frame in frames {
            if tx.send(Ok(frame)).await.is_err() {
                return;
            }
        }
        if finished.is_some() {
            return;
        }
        let deadline = tokio::time::Instant::now() + max;
        let mut next_ping = tokio::time::Instant::now() + PING_EVERY;
        loop {
            tokio::select! {
                () = tokio::time::sleep(poll) => {}
                () = tokio::time::sleep_until(deadline) => return,
                () = tx.closed() => return,
            }
            if tokio::time::Instant::now() >= next_ping {
                next_ping += PING_EVERY;
                if tx.send(Ok(": ping\n\n".into())).await.is_err() {
                    return;
                }
            }
            let (generation, poses) = match read(&db, &id).await {
                Ok(Some(found)) => found,
                Ok(None) => return,
                Err(err) => {
                    tracing::warn!(generation = id, error = %err, "progress stream: reading failed");
                    continue;
                }
            };
            for event in changes(&mut seen, &generation, &poses) {
                let last = event.kind == "completed" || event.kind == "failed";
                if tx.send(Ok(event.frame())).await.is_err() || last {
                    return;
                }
            }
        }
    });
    Body::from_bytes_stream(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    }))
}
