//! The progress stream of a generation (api.md §7.13), as Server-Sent Events. The
//! generation is read from the database every `SSE_POLL_MS`, so the stream works
//! whatever process runs the worker, by one poller per generation ([`EventsHub`])
//! however many streams follow it; each stream emits an event for each change it sees.

use crate::http::presence::Nullable;
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
    Enum, Object, Union,
    payload::Payload,
    registry::{MetaSchemaRef, Registry},
    types::{ToJSON, Type},
};
use tokio::sync::watch;

use super::generations::Progress;
use super::views::public_status;
use crate::timestamp::Timestamp;
use crate::vocabulary::{GeneratedPoseStatus, PoseGenerationStatus, Vocabulary, Word};

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
    pub variation_key: Nullable<String>,
    pub status: Word<GeneratedPoseStatus>,
    pub output_image_url: String,
    pub thumbnail_url: String,
    #[oai(nullable)]
    pub error_message: Nullable<String>,
}

/// `snapshot`: the generation as the stream found it on connecting.
#[derive(Object, Debug, Clone, PartialEq)]
#[oai(rename_all = "camelCase")]
pub struct SnapshotEvent {
    pub generation_id: String,
    pub timestamp: Timestamp,
    pub status: Word<PoseGenerationStatus>,
    pub progress: Progress,
}

/// `started`: the generation went to `processing` (again, after a recovery).
#[derive(Object, Debug, Clone, PartialEq)]
#[oai(rename_all = "camelCase")]
pub struct StartedEvent {
    pub generation_id: String,
    pub timestamp: Timestamp,
    /// `Generation started`.
    pub message: String,
}

/// `pose`: an image was stored (completed or failed).
#[derive(Object, Debug, Clone, PartialEq)]
#[oai(rename_all = "camelCase")]
pub struct PoseStoredEvent {
    pub generation_id: String,
    pub timestamp: Timestamp,
    pub pose: PoseEventPose,
}

/// `progress`: the counts changed.
#[derive(Object, Debug, Clone, PartialEq)]
#[oai(rename_all = "camelCase")]
pub struct ProgressEvent {
    pub generation_id: String,
    pub timestamp: Timestamp,
    pub completed: i32,
    pub failed: i32,
    pub total: i32,
    pub percentage: i64,
}

/// `requeued`: a stalled job was put back in the queue (api.md §8.3.6).
#[derive(Object, Debug, Clone, PartialEq)]
#[oai(rename_all = "camelCase")]
pub struct RequeuedEvent {
    pub generation_id: String,
    pub timestamp: Timestamp,
    pub recovery_attempts: i32,
}

/// How a generation that produced images ended.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[oai(rename_all = "lowercase")]
pub enum FinishedStatus {
    Completed,
    Partial,
}

/// `completed`, terminal: every image made (`completed`) or some (`partial`; the
/// failed part refunded).
#[derive(Object, Debug, Clone, PartialEq)]
#[oai(rename_all = "camelCase")]
pub struct CompletedEvent {
    pub generation_id: String,
    pub timestamp: Timestamp,
    pub status: FinishedStatus,
    pub completed: i32,
    pub failed: i32,
    pub total: i32,
    pub credit_refunded: i32,
}

/// `failed`, terminal: no image could be made; what was charged is refunded.
#[derive(Object, Debug, Clone, PartialEq)]
#[oai(rename_all = "camelCase")]
pub struct FailedEvent {
    pub generation_id: String,
    pub timestamp: Timestamp,
    pub error: String,
    pub credit_refunded: i32,
}

/// One event of the progress stream: the JSON of its `data:` line, told apart by
/// `type` (also the SSE `event:` name). The frame is `event: <type>` then
/// `data: <this object>` on one line, then an empty line (api.md §7.13).
#[derive(Union, Debug, Clone, PartialEq)]
#[oai(discriminator_name = "type", one_of)]
pub enum GenerationEvent {
    #[oai(mapping = "snapshot")]
    Snapshot(SnapshotEvent),
    #[oai(mapping = "started")]
    Started(StartedEvent),
    #[oai(mapping = "pose")]
    Pose(PoseStoredEvent),
    #[oai(mapping = "progress")]
    Progress(ProgressEvent),
    #[oai(mapping = "requeued")]
    Requeued(RequeuedEvent),
    #[oai(mapping = "completed")]
    Completed(CompletedEvent),
    #[oai(mapping = "failed")]
    Failed(FailedEvent),
}

impl GenerationEvent {
    /// The `type`, which is also the SSE event name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Snapshot(_) => "snapshot",
            Self::Started(_) => "started",
            Self::Pose(_) => "pose",
            Self::Progress(_) => "progress",
            Self::Requeued(_) => "requeued",
            Self::Completed(_) => "completed",
            Self::Failed(_) => "failed",
        }
    }

    /// Whether the stream ends after this event.
    pub fn is_terminal(&self) -> bool {
        matches!(self, Self::Completed(_) | Self::Failed(_))
    }

    /// `event: <type>` and one `data:` line of JSON.
    fn frame(&self) -> String {
        let data = self
            .to_json()
            .map(|v| v.to_string())
            .unwrap_or_else(|| "{}".into());
        format!("event: {}\ndata: {data}\n\n", self.name())
    }
}

/// The `text/event-stream` body. Stream-aware generators (hey-api, openapi-ts) read
/// the media type's schema as the type of each event's parsed `data`: a
/// [`GenerationEvent`].
pub struct EventStreamBody(pub Body);

impl Payload for EventStreamBody {
    const CONTENT_TYPE: &'static str = "text/event-stream";

    fn schema_ref() -> MetaSchemaRef {
        GenerationEvent::schema_ref()
    }

    fn register(registry: &mut Registry) {
        GenerationEvent::register(registry);
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
    GenerationEvent::Pose(PoseStoredEvent {
        generation_id: generation_id.to_owned(),
        timestamp: Timestamp::now(),
        pose: PoseEventPose {
            id: pose.id.clone(),
            variation_key: pose.variation_key.clone().into(),
            status: Word::stored(&pose.status),
            output_image_url: pose.output_image_url.clone(),
            thumbnail_url: pose.thumbnail_url.clone(),
            error_message: pose.error_message.clone().into(),
        },
    })
}

/// The terminal event of a finished generation, if it is finished.
fn terminal(generation: &pose_generations::Model) -> Option<GenerationEvent> {
    let generation_id = generation.id.clone();
    let timestamp = Timestamp::now();
    let status = match PoseGenerationStatus::parse(&generation.status) {
        Some(PoseGenerationStatus::Completed) => FinishedStatus::Completed,
        Some(PoseGenerationStatus::Partial) => FinishedStatus::Partial,
        Some(PoseGenerationStatus::Failed) => {
            return Some(GenerationEvent::Failed(FailedEvent {
                generation_id,
                timestamp,
                error: generation
                    .error_message
                    .clone()
                    .unwrap_or_else(|| "Generation failed".into()),
                credit_refunded: generation.credit_refunded,
            }));
        }
        _ => return None,
    };
    Some(GenerationEvent::Completed(CompletedEvent {
        generation_id,
        timestamp,
        status,
        completed: generation.poses_completed,
        failed: generation.poses_failed,
        total: generation.total_expected_poses,
        credit_refunded: generation.credit_refunded,
    }))
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
        events.push(GenerationEvent::Requeued(RequeuedEvent {
            generation_id: id.clone(),
            timestamp: Timestamp::now(),
            recovery_attempts: generation.recovery_attempts,
        }));
    }
    if generation.status == PoseGenerationStatus::Processing.as_str()
        && (seen.status != PoseGenerationStatus::Processing.as_str()
            || generation.recovery_attempts > seen.recovery_attempts)
    {
        events.push(GenerationEvent::Started(StartedEvent {
            generation_id: id.clone(),
            timestamp: Timestamp::now(),
            message: "Generation started".into(),
        }));
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
        events.push(GenerationEvent::Progress(ProgressEvent {
            generation_id: id.clone(),
            timestamp: Timestamp::now(),
            completed: generation.poses_completed,
            failed: generation.poses_failed,
            total: generation.total_expected_poses,
            percentage: Progress::of(generation).percentage,
        }));
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
    slot: crate::http::slots::Slot,
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
    let snapshot = GenerationEvent::Snapshot(SnapshotEvent {
        generation_id: id.clone(),
        timestamp: Timestamp::now(),
        status: Word::stored(&public_status(&generation.status)),
        progress: Progress::of(&generation),
    });
    let mut frames = vec![format!("retry: {RETRY_MS}\n\n"), snapshot.frame()];
    let finished = terminal(&generation);
    if let Some(event) = &finished {
        frames.push(event.frame());
    }
    let mut readings = finished
        .is_none()
        .then(|| hub.subscribe(&id, Some(Arc::new((generation, poses)))));
    let open = crate::metrics::OpenStream::new();
    tokio::spawn(async move {
        let _slot = slot;
        let _open = open;
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
                let last = event.is_terminal();
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
