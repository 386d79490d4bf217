//! The progress stream of a generation (api.md §7.13), as Server-Sent Events. The
//! generation is read from the database every `SSE_POLL_MS`, so the stream works
//! whatever process runs the worker, by one poller per generation ([`EventsHub`])
//! however many streams follow it; each stream emits an event for each change it sees.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use entity::{generated_poses, pose_generations};
use migration::sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};
use poem::{Body, IntoResponse, Response, http::header};
use poem_openapi::{
    Object,
    payload::Payload,
    registry::{MetaSchemaRef, Registry},
    types::{ToJSON, Type},
};
use tokio::sync::watch;

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

async fn read(db: &DatabaseConnection, id: &str) -> Result<Reading, DbErr> {
    let Some(generation) = pose_generations::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    let poses = generated_poses::Entity::find()
        .filter(generated_poses::Column::GenerationId.eq(id))
        .all(db)
        .await?;
    Ok(Some(Arc::new((generation, poses))))
}

/// A generation and its poses as a poller read them; `None` once it is deleted.
pub type Reading = Option<Arc<(pose_generations::Model, Vec<generated_poses::Model>)>>;

/// The pollers of the generations being followed: one per generation, however many
/// streams follow it, reading the database every `SSE_POLL_MS` while anyone listens.
pub struct EventsHub {
    db: DatabaseConnection,
    poll: Duration,
    pollers: Mutex<HashMap<String, Arc<watch::Sender<Reading>>>>,
    polls: AtomicU64,
}

impl EventsHub {
    pub fn new(db: DatabaseConnection, poll: Duration) -> Self {
        Self {
            db,
            poll,
            pollers: Mutex::default(),
            polls: AtomicU64::new(0),
        }
    }

    /// Database readings made by all pollers so far.
    pub fn polls(&self) -> u64 {
        self.polls.load(Ordering::Relaxed)
    }

    /// Generations with a poller now.
    pub fn followed(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<watch::Sender<Reading>>>> {
        self.pollers.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The readings of generation `id` from now on; starts its poller if none runs.
    /// `current` is what the caller has just read itself.
    fn subscribe(self: &Arc<Self>, id: &str, current: Reading) -> watch::Receiver<Reading> {
        let mut pollers = self.lock();
        if let Some(sender) = pollers.get(id) {
            return sender.subscribe();
        }
        let (sender, receiver) = watch::channel(current);
        let sender = Arc::new(sender);
        pollers.insert(id.to_owned(), sender.clone());
        tokio::spawn(self.clone().poll_generation(id.to_owned(), sender));
        receiver
    }

    /// Removes the poller of `id` if it is `sender` and, unless `finished`, nobody
    /// listens any more; whether it did. Under the map's lock, so that no stream
    /// subscribes to a poller that is going away.
    fn retire(&self, id: &str, sender: &Arc<watch::Sender<Reading>>, finished: bool) -> bool {
        let mut pollers = self.lock();
        if !finished && sender.receiver_count() > 0 {
            return false;
        }
        if pollers.get(id).is_some_and(|s| Arc::ptr_eq(s, sender)) {
            pollers.remove(id);
        }
        true
    }

    async fn poll_generation(self: Arc<Self>, id: String, sender: Arc<watch::Sender<Reading>>) {
        loop {
            tokio::time::sleep(self.poll).await;
            if self.retire(&id, &sender, false) {
                return;
            }
            self.polls.fetch_add(1, Ordering::Relaxed);
            let reading = match read(&self.db, &id).await {
                Ok(reading) => reading,
                Err(err) => {
                    tracing::warn!(generation = id, error = %err, "progress stream: reading failed");
                    continue;
                }
            };
            // Deleted or finished: the last reading is kept for the streams to
            // report, and nothing more will change.
            let finished = reading.as_ref().is_none_or(|r| terminal(&r.0).is_some());
            sender.send_replace(reading);
            if finished {
                self.retire(&id, &sender, true);
                return;
            }
        }
    }
}

/// The stream of an (already authorised) generation: `retry`, a snapshot, then the
/// changes until the terminal event, the generation's deletion, `max` or the client
/// leaving. `slot` (the user's cap on open streams) is held until the stream ends.
pub fn stream(
    hub: &Arc<EventsHub>,
    generation: pose_generations::Model,
    poses: Vec<generated_poses::Model>,
    max: Duration,
    slot: crate::slots::Slot,
) -> Body {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<String, std::io::Error>>(16);
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
    let mut readings = finished
        .is_none()
        .then(|| hub.subscribe(&id, Some(Arc::new((generation, poses)))));
    tokio::spawn(async move {
        let _slot = slot;
        for frame in frames {
            if tx.send(Ok(frame)).await.is_err() {
                return;
            }
        }
        let Some(readings) = readings.as_mut() else {
            return;
        };
        let deadline = tokio::time::Instant::now() + max;
        let mut ping =
            tokio::time::interval_at(tokio::time::Instant::now() + PING_EVERY, PING_EVERY);
        loop {
            tokio::select! {
                changed = readings.changed() => {
                    // The poller is gone: it stopped after the last reading.
                    if changed.is_err() {
                        return;
                    }
                }
                _ = ping.tick() => {
                    if tx.send(Ok(": ping\n\n".into())).await.is_err() {
                        return;
                    }
                    continue;
                }
                () = tokio::time::sleep_until(deadline) => return,
                () = tx.closed() => return,
            }
            let reading = readings.borrow_and_update().clone();
            let Some(reading) = reading else {
                return; // deleted
            };
            let (generation, poses) = &*reading;
            for event in changes(&mut seen, generation, poses) {
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
