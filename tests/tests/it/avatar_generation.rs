//! Avatar generation end to end (api.md §6.7–§6.9, §8.2.6, §8.3): the charge and the
//! job in one transaction, workers with the offline `local` provider, the resulting
//! PNG, preset personas, refunds exactly once, recovery of expired leases, and credits
//! under 50 concurrent requests.

use std::time::Duration;

use api::{
    AppState,
    avatar_creator::generations,
    credits::ledger,
    jobs::{Workers, queue, worker},
};
use entity::{avatar_generations, avatar_presets, credits, jobs};
use migration::sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};
use poem::{Endpoint, http::StatusCode, test::TestClient};
use serde_json::{Value, json};
use tests::{TestDb, dual_test, util::TempDir};

use crate::api_client::{self, Reply, get_as, register, send};
use crate::stubs::{ImageAnswer, ImageApi};
use api::vocabulary::JobStatus;

const BASE: &str = "/api/apps/avatar-creator";

struct Setup<E> {
    cli: TestClient<E>,
    state: AppState,
    _uploads: TempDir,
    user_id: String,
    token: String,
    project_id: String,
}

async fn setup(db: &tests::TestDb, extra: &[(&str, &str)]) -> Setup<impl Endpoint + use<>> {
    let uploads = TempDir::new("generation-").unwrap();
    let dir = uploads.path().to_str().unwrap().to_owned();
    let mut vars = vec![("UPLOAD_DIR", dir.as_str())];
    vars.extend_from_slice(extra);
    let (cli, state) = api_client::start(db, &vars).await;
    let (user_id, token) = register(&cli, "generator@example.com").await;
    let project_id = create_project(&cli, &token).await;
    Setup {
        cli,
        state,
        _uploads: uploads,
        user_id,
        token,
        project_id,
    }
}

async fn create_project<E: Endpoint>(cli: &TestClient<E>, token: &str) -> String {
    let created = send(
        cli.post(format!("{BASE}/projects"))
            .header("Authorization", format!("Bearer {token}"))
            .body_json(&json!({ "name": "Generated" })),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    created.body["project"]["id"].as_str().unwrap().to_owned()
}

impl<E: Endpoint> Setup<E> {
    async fn post(&self, path: &str, body: &Value) -> Reply {
        send(
            self.cli
                .post(format!(
                    "{BASE}/projects/{}/avatars/{path}",
                    self.project_id
                ))
                .header("Authorization", format!("Bearer {}", self.token))
                .body_json(body),
        )
        .await
    }

    /// Polls the generation until it is final (at most 60 s).
    async fn wait(&self, id: &str) -> Value {
        for _ in 0..600 {
            let reply = get_as(&self.cli, &format!("{BASE}/generations/{id}"), &self.token).await;
            assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
            let generation = reply.body["generation"].clone();
            if matches!(generation["status"].as_str(), Some("completed" | "failed")) {
                return generation;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("generation {id} did not finish");
    }

    async fn fetch_bytes(&self, url: &str) -> (StatusCode, Option<String>, Vec<u8>) {
        let resp = self.cli.get(url).send().await.0;
        let status = resp.status();
        let content_type = resp
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned());
        (
            status,
            content_type,
            resp.into_body().into_vec().await.unwrap(),
        )
    }

    async fn balance(&self) -> i32 {
        ledger::balance(&self.state.db, &self.user_id)
            .await
            .unwrap()
    }
}

async fn insert_preset(state: &AppState, id: &str, public: bool) {
    let now = chrono::Utc::now().naive_utc();
    avatar_presets::ActiveModel {
        id: Set(id.to_owned()),
        name: Set("Executive".into()),
        preview_image_url: Set("/uploads/presets/executive.png".into()),
        category: Set("professional".into()),
        persona_template: Set(json!({
            "name": "Victoria Hale", "age": 45,
            "personality": ["decisive", "warm"], "background": "Runs a logistics firm.",
            "unknownKey": "ignored"
        })
        .to_string()),
        visual_attributes: Set(json!({
            "gender": "female", "ageRange": "mature", "hairColor": "silver",
            "style": "business", "ethnicity": "x".repeat(80)
        })
        .to_string()),
        generation_prompt: Set("executive portrait of a confident business leader".into()),
        is_public: Set(public),
        usage_count: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&state.db)
    .await
    .unwrap();
}

fn dimensions(bytes: &[u8]) -> (image::ImageFormat, u32, u32) {
    let format = image::guess_format(bytes).unwrap();
    let decoded = image::load_from_memory(bytes).unwrap();
    (format, decoded.width(), decoded.height())
}

dual_test!(prompt_and_preset_generations_complete_with_real_images);
/// Generate from a prompt (202, 10 credits), poll to `completed`, and the avatar's
/// image is a PNG of the requested size with a 300×300 thumbnail; then from a
/// preset (8 credits), whose persona and attributes the avatar carries.
async fn prompt_and_preset_generations_complete_with_real_images(db: TestDb) {
    let s = setup(&db, &[]).await;
    let workers = Workers::start(&s.state, 2);

    let reply = s
        .post(
            "generate",
            &json!({
                "name": "  Sarah  ",
                "prompt": "professional   portrait of a confident\nwoman in a navy blazer",
                "personaName": "Sarah Chen", "personaAge": 32,
                "personaPersonality": ["friendly", "sharp"], "gender": "female",
                "width": 640, "height": 512, "seed": 1837465
            }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{:?}", reply.body);
    assert_eq!(reply.body["message"], "Avatar generation started");
    assert_eq!(reply.body["creditUsed"], 10);
    assert_eq!(reply.body["creditBalance"], 90);
    let generation = &reply.body["generation"];
    assert_eq!(generation["status"], "pending");
    assert_eq!(
        generation["prompt"],
        "professional portrait of a confident woman in a navy blazer"
    );
    let options: Value = serde_json::from_str(generation["options"].as_str().unwrap()).unwrap();
    assert_eq!(
        options,
        json!({"width": 640, "height": 512, "seed": 1837465,
               "modelKey": "local:deterministic-v1", "modelName": "Local deterministic renderer"})
    );
    let id = generation["id"].as_str().unwrap().to_owned();

    let done = s.wait(&id).await;
    assert_eq!(done["status"], "completed", "{done:?}");
    assert!(done["completedAt"].is_string());
    let avatar_id = done["avatarId"].as_str().unwrap();
    let avatar = get_as(&s.cli, &format!("{BASE}/avatars/{avatar_id}"), &s.token).await;
    assert_eq!(avatar.status, StatusCode::OK);
    let avatar = &avatar.body["avatar"];
    assert_eq!(avatar["name"], "Sarah");
    assert_eq!(avatar["personaName"], "Sarah Chen");
    assert_eq!(avatar["personaAge"], 32);
    assert_eq!(avatar["sourceType"], "text_to_image");
    assert_eq!(avatar["seedUsed"], 1837465);

    let (status, content_type, bytes) = s
        .fetch_bytes(avatar["baseImageUrl"].as_str().unwrap())
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type.as_deref(), Some("image/png"));
    assert_eq!(dimensions(&bytes), (image::ImageFormat::Png, 640, 512));
    let (_, _, thumb) = s
        .fetch_bytes(avatar["thumbnailUrl"].as_str().unwrap())
        .await;
    assert_eq!(dimensions(&thumb), (image::ImageFormat::Jpeg, 300, 300));
    assert_eq!(s.balance().await, 90);

    // From a preset.
    insert_preset(&s.state, "preset-executive-01", true).await;
    insert_preset(&s.state, "preset-hidden", false).await;
    let hidden = s
        .post("from-preset", &json!({ "presetId": "preset-hidden" }))
        .await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    assert_eq!(hidden.error_message(), "Preset not found");
    let reply = s
        .post(
            "from-preset",
            &json!({ "presetId": "preset-executive-01", "customName": " " }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{:?}", reply.body);
    assert_eq!(
        reply.body["message"],
        "Avatar generation from preset started"
    );
    assert_eq!(reply.body["creditUsed"], 8);
    assert_eq!(reply.body["creditBalance"], 82);
    let id = reply.body["generation"]["id"].as_str().unwrap().to_owned();
    let done = s.wait(&id).await;
    assert_eq!(done["status"], "completed", "{done:?}");
    assert_eq!(
        done["prompt"],
        "executive portrait of a confident business leader"
    );
    let avatar = get_as(
        &s.cli,
        &format!("{BASE}/avatars/{}", done["avatarId"].as_str().unwrap()),
        &s.token,
    )
    .await;
    let avatar = &avatar.body["avatar"];
    assert_eq!(avatar["name"], "Executive");
    assert_eq!(avatar["personaName"], "Victoria Hale");
    assert_eq!(avatar["personaAge"], 45);
    assert_eq!(avatar["personaPersonality"], r#"["decisive","warm"]"#);
    assert_eq!(avatar["personaBackground"], "Runs a logistics firm.");
    assert_eq!(avatar["gender"], "female");
    assert_eq!(avatar["ageRange"], "mature");
    assert_eq!(avatar["hairColor"], "silver");
    assert_eq!(avatar["ethnicity"].as_str().unwrap().len(), 50);
    assert_eq!(avatar["sourceType"], "from_preset");
    let preset = avatar_presets::Entity::find_by_id("preset-executive-01")
        .one(&s.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(preset.usage_count, 1);

    // Every job finished.
    let open = jobs::Entity::find()
        .filter(jobs::Column::Status.ne(JobStatus::Succeeded))
        .count(&s.state.db)
        .await
        .unwrap();
    assert_eq!(open, 0);
    workers.stop().await;
}

dual_test!(a_failed_generation_is_refunded_exactly_once);
/// A provider failure fails the generation with a safe message and refunds the 10
/// credits once; finalising it again (a second worker, or recovery) refunds nothing.
async fn a_failed_generation_is_refunded_exactly_once(db: TestDb) {
    let s = setup(&db, &[("LOCAL_PROVIDER_FAULTS", "true")]).await;
    let reply = s
        .post(
            "generate",
            &json!({ "name": "Broken", "prompt": "a portrait that will [fail] to render" }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{:?}", reply.body);
    // Charged before any worker runs (a running worker may fail and refund it first).
    assert_eq!(s.balance().await, 90);
    let workers = Workers::start(&s.state, 1);
    let id = reply.body["generation"]["id"].as_str().unwrap().to_owned();
    let done = s.wait(&id).await;
    assert_eq!(done["status"], "failed");
    assert!(done["avatarId"].is_null());
    let message = done["errorMessage"].as_str().unwrap();
    assert!(
        !message.is_empty() && message.chars().count() <= 500,
        "{message}"
    );
    workers.stop().await;
    assert_eq!(s.balance().await, 100);

    let refunds = || {
        credits::Entity::find()
            .filter(credits::Column::Type.eq("refund"))
            .filter(credits::Column::ReferenceId.eq(id.as_str()))
            .filter(credits::Column::ReferenceType.eq("avatar_generation"))
    };
    assert_eq!(refunds().count(&s.state.db).await.unwrap(), 1);
    let refund = refunds().one(&s.state.db).await.unwrap().unwrap();
    assert_eq!(refund.amount, 10);

    // A second finaliser finds it final: no refund, no change.
    let generation = avatar_generations::Entity::find_by_id(id.as_str())
        .one(&s.state.db)
        .await
        .unwrap()
        .unwrap();
    let job = jobs::Entity::find()
        .filter(jobs::Column::ReferenceId.eq(id.as_str()))
        .one(&s.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(job.status, JobStatus::Failed.as_str());
    let again = generations::fail(&s.state.db, &generation, &job.id, None, "again", None, 10)
        .await
        .unwrap();
    assert!(!again);
    assert_eq!(refunds().count(&s.state.db).await.unwrap(), 1);
    assert_eq!(s.balance().await, 100);
}

dual_test!(expired_leases_are_recovered_then_given_up_with_one_refund);
/// A job whose worker died (lease expired) goes back to the queue and its
/// generation to `pending`; after the last attempt it is failed with "Maximum
/// recovery attempts exceeded" and refunded once, however often recovery runs.
async fn expired_leases_are_recovered_then_given_up_with_one_refund(db: TestDb) {
    let s = setup(&db, &[]).await;
    let reply = s
        .post(
            "generate",
            &json!({ "name": "Orphan", "prompt": "a portrait whose worker dies" }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{:?}", reply.body);
    let id = reply.body["generation"]["id"].as_str().unwrap().to_owned();
    let db_conn = &s.state.db;

    // A worker claims it with a lease that is already over, and "dies".
    let job = queue::claim(db_conn, "dead-worker", Duration::ZERO)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (job.status.as_str(), job.attempts),
        (JobStatus::Running.as_str(), 1)
    );
    assert!(
        queue::claim(db_conn, "other", Duration::from_secs(60))
            .await
            .unwrap()
            .is_none()
    );
    avatar_generations::ActiveModel {
        id: Set(id.clone()),
        status: Set("processing".into()),
        ..Default::default()
    }
    .update(db_conn)
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(worker::recover(&s.state).await.unwrap(), 1);
    let job = jobs::Entity::find_by_id(job.id.as_str())
        .one(db_conn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(job.status, JobStatus::Queued.as_str());
    assert!(job.lease_owner.is_none());
    assert!(job.run_after > job.updated_at, "backoff");
    let generation = avatar_generations::Entity::find_by_id(id.as_str())
        .one(db_conn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(generation.status, "pending");
    // Its renewal now fails: the dead worker no longer owns it.
    assert!(
        !queue::renew(db_conn, &job.id, "dead-worker", Duration::from_secs(60))
            .await
            .unwrap()
    );

    // The last attempt dies too.
    jobs::ActiveModel {
        id: Set(job.id.clone()),
        status: Set(JobStatus::Running.into()),
        attempts: Set(3),
        lease_owner: Set(Some("dead-worker".into())),
        lease_expires_at: Set(Some(
            chrono::Utc::now().naive_utc() - chrono::Duration::seconds(5),
        )),
        ..Default::default()
    }
    .update(db_conn)
    .await
    .unwrap();
    assert_eq!(worker::recover(&s.state).await.unwrap(), 1);
    assert_eq!(worker::recover(&s.state).await.unwrap(), 0);
    let generation = avatar_generations::Entity::find_by_id(id.as_str())
        .one(db_conn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(generation.status, "failed");
    assert_eq!(
        generation.error_message.as_deref(),
        Some("Maximum recovery attempts exceeded")
    );
    let refunds = credits::Entity::find()
        .filter(credits::Column::Type.eq("refund"))
        .filter(credits::Column::ReferenceId.eq(id.as_str()))
        .count(db_conn)
        .await
        .unwrap();
    assert_eq!(refunds, 1);
    assert_eq!(s.balance().await, 100);
}

dual_test!(a_job_whose_generation_was_deleted_ends_quietly);
/// A job whose generation was deleted under it (api.md §8.3.4 point 5, §8.6) ends
/// `succeeded` with "reference deleted" and writes nothing else, whether a worker
/// claims it or recovery gives it up after its last attempt.
async fn a_job_whose_generation_was_deleted_ends_quietly(db: TestDb) {
    let s = setup(&db, &[]).await;
    let db_conn = &s.state.db;
    let mut ids = Vec::new();
    for name in ["Claimed", "Given up"] {
        let reply = s
            .post("generate", &json!({ "name": name, "prompt": "a portrait" }))
            .await;
        assert_eq!(reply.status, StatusCode::ACCEPTED, "{:?}", reply.body);
        ids.push(reply.body["generation"]["id"].as_str().unwrap().to_owned());
    }
    let balance = s.balance().await;
    let job_of = |id: String| async move {
        jobs::Entity::find()
            .filter(jobs::Column::ReferenceId.eq(id))
            .one(db_conn)
            .await
            .unwrap()
            .unwrap()
    };
    let claimed = job_of(ids[0].clone()).await;
    let given_up = job_of(ids[1].clone()).await;
    for id in &ids {
        avatar_generations::Entity::delete_by_id(id.as_str())
            .exec(db_conn)
            .await
            .unwrap();
    }

    // A worker claims the first and finds nothing to do.
    jobs::ActiveModel {
        id: Set(given_up.id.clone()),
        run_after: Set(chrono::Utc::now().naive_utc() + chrono::Duration::hours(1)),
        ..Default::default()
    }
    .update(db_conn)
    .await
    .unwrap();
    let job = queue::claim(db_conn, "worker-1", Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(job.id, claimed.id);
    generations::run(&s.state, &job, "worker-1").await.unwrap();

    // The second dies on its last attempt; recovery gives it up.
    jobs::ActiveModel {
        id: Set(given_up.id.clone()),
        status: Set(JobStatus::Running.into()),
        attempts: Set(queue::MAX_ATTEMPTS),
        lease_owner: Set(Some("dead-worker".into())),
        lease_expires_at: Set(Some(
            chrono::Utc::now().naive_utc() - chrono::Duration::seconds(5),
        )),
        ..Default::default()
    }
    .update(db_conn)
    .await
    .unwrap();
    assert_eq!(worker::recover(&s.state).await.unwrap(), 1);

    for job in [claimed, given_up] {
        let job = jobs::Entity::find_by_id(job.id.as_str())
            .one(db_conn)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (
                job.status.as_str(),
                job.last_error.as_deref(),
                job.lease_owner.as_deref()
            ),
            (
                JobStatus::Succeeded.as_str(),
                Some("reference deleted"),
                None
            ),
            "{job:?}"
        );
        assert!(job.finished_at.is_some());
    }
    assert_eq!(s.balance().await, balance, "no refund or other write");
    let refunds = credits::Entity::find()
        .filter(credits::Column::Type.eq("refund"))
        .count(db_conn)
        .await
        .unwrap();
    assert_eq!(refunds, 0);
}

dual_test!(fifty_concurrent_generates_accept_exactly_what_the_balance_allows);
/// 50 simultaneous generate requests from a user who can afford 10: exactly 10
/// accepted, 40 answered 402, balance 100 − 100, and a contiguous ledger.
async fn fifty_concurrent_generates_accept_exactly_what_the_balance_allows(db: TestDb) {
    let s = setup(&db, &[]).await;
    assert_eq!(s.balance().await, 100);
    let body = json!({ "name": "Rush", "prompt": "a portrait requested in a rush" });
    let replies = futures_util::future::join_all((0..50).map(|_| s.post("generate", &body))).await;
    let accepted = replies
        .iter()
        .filter(|r| r.status == StatusCode::ACCEPTED)
        .count();
    let refused: Vec<_> = replies
        .iter()
        .filter(|r| r.status == StatusCode::PAYMENT_REQUIRED)
        .collect();
    assert_eq!(
        accepted,
        10,
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert_eq!(refused.len(), 40);
    assert_eq!(refused[0].error_code(), "INSUFFICIENT_CREDITS");
    assert_eq!(s.balance().await, 0);

    let rows = credits::Entity::find()
        .filter(credits::Column::UserId.eq(s.user_id.as_str()))
        .order_by_asc(credits::Column::CreatedAt)
        .order_by_asc(credits::Column::Id)
        .all(&s.state.db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 11);
    let mut running = 0;
    for row in &rows {
        running += row.amount;
        assert_eq!(row.balance, running, "ledger not contiguous at {row:?}");
    }
    let count = |status: &'static str| {
        avatar_generations::Entity::find()
            .filter(avatar_generations::Column::Status.eq(status))
            .count(&s.state.db)
    };
    assert_eq!(count("pending").await.unwrap(), 10);
    assert_eq!(jobs::Entity::find().count(&s.state.db).await.unwrap(), 10);
}

dual_test!(generation_requests_are_validated_and_owned);
/// Bad input is a 400 with every field named and nothing charged; someone else's
/// project or generation is 404; no token is 401.
async fn generation_requests_are_validated_and_owned(db: TestDb) {
    let s = setup(&db, &[]).await;
    let reply = s
        .post(
            "generate",
            &json!({ "name": " ", "prompt": "short", "width": 100, "height": 4096,
                     "seed": -1, "gender": "robot", "personaAge": 0 }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{:?}", reply.body);
    let details = &reply.body["error"]["details"];
    for field in [
        "name",
        "prompt",
        "width",
        "height",
        "seed",
        "gender",
        "personaAge",
    ] {
        assert!(details.get(field).is_some(), "{field} missing in {details}");
    }
    let missing = s.post("generate", &json!({ "name": "No prompt" })).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    let preset = s.post("from-preset", &json!({ "presetId": "" })).await;
    assert_eq!(preset.status, StatusCode::BAD_REQUEST);
    assert_eq!(s.balance().await, 100);
    assert_eq!(
        avatar_generations::Entity::find()
            .count(&s.state.db)
            .await
            .unwrap(),
        0
    );

    let ok = s
        .post(
            "generate",
            &json!({ "name": "Mine", "prompt": "a portrait that belongs to A" }),
        )
        .await;
    assert_eq!(ok.status, StatusCode::ACCEPTED);
    let id = ok.body["generation"]["id"].as_str().unwrap().to_owned();

    let (_, other) = register(&s.cli, "other@example.com").await;
    let theirs = send(
        s.cli
            .post(format!("{BASE}/projects/{}/avatars/generate", s.project_id))
            .header("Authorization", format!("Bearer {other}"))
            .body_json(
                &json!({ "name": "Intruder", "prompt": "a portrait in someone else's project" }),
            ),
    )
    .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    assert_eq!(theirs.error_message(), "Project not found");
    let peek = get_as(&s.cli, &format!("{BASE}/generations/{id}"), &other).await;
    assert_eq!(peek.status, StatusCode::NOT_FOUND);
    assert_eq!(peek.error_message(), "Generation not found");
    let anonymous = send(s.cli.get(format!("{BASE}/generations/{id}"))).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

dual_test!(a_generation_past_the_hard_timeout_is_failed_and_refunded);
/// A generation past `GENERATION_TIMEOUT_SECONDS` is failed and refunded once even
/// though its worker still holds a live lease; that worker's next renewal fails.
async fn a_generation_past_the_hard_timeout_is_failed_and_refunded(db: TestDb) {
    let s = setup(&db, &[("GENERATION_TIMEOUT_SECONDS", "1")]).await;
    let reply = s
        .post(
            "generate",
            &json!({ "name": "Slow", "prompt": "a portrait that takes forever" }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{:?}", reply.body);
    let id = reply.body["generation"]["id"].as_str().unwrap().to_owned();
    let db_conn = &s.state.db;
    let job = queue::claim(db_conn, "slow-worker", Duration::from_secs(600))
        .await
        .unwrap()
        .unwrap();
    // Not yet over the limit: nothing happens.
    assert_eq!(worker::recover(&s.state).await.unwrap(), 0);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(worker::recover(&s.state).await.unwrap(), 1);
    assert_eq!(worker::recover(&s.state).await.unwrap(), 0);
    let generation = avatar_generations::Entity::find_by_id(id.as_str())
        .one(db_conn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(generation.status, "failed");
    assert_eq!(
        generation.error_message.as_deref(),
        Some("Generation timeout - exceeded 1 second limit")
    );
    assert!(
        !queue::renew(db_conn, &job.id, "slow-worker", Duration::from_secs(600))
            .await
            .unwrap()
    );
    assert_eq!(s.balance().await, 100);
}

dual_test!(the_http_provider_generates_through_a_hosted_model);
/// `IMAGE_PROVIDER=http` end to end against a stub of a hosted model: the job calls
/// it with the documented request (token, size, seed, negative prompt), the avatar
/// gets its PNG of the requested size, and the model is recorded in `options`. A
/// model that refuses (HTTP 400) fails the generation with a safe message, no
/// token in sight, and refunds the 10 credits.
async fn the_http_provider_generates_through_a_hosted_model(db: TestDb) {
    let token = "hf_workflow_token_42";
    let api = ImageApi::start(|n| {
        if n == 0 {
            ImageAnswer::Png
        } else {
            ImageAnswer::Status(
                400,
                r#"{"error":"Input validation error: prompt flagged"}"#.into(),
            )
        }
    })
    .await;
    let url = api.url();
    let s = setup(
        &db,
        &[
            ("IMAGE_PROVIDER", "http"),
            ("IMAGE_HTTP_URL", &url),
            ("IMAGE_HTTP_TOKEN", token),
        ],
    )
    .await;
    let workers = Workers::start(&s.state, 1);

    let reply = s
        .post(
            "generate",
            &json!({ "name": "Hosted", "prompt": "studio portrait of a violinist",
                     "width": 512, "height": 768, "seed": 77 }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{:?}", reply.body);
    let options: Value =
        serde_json::from_str(reply.body["generation"]["options"].as_str().unwrap()).unwrap();
    assert_eq!(options["modelKey"], "http:stub-model");
    assert_eq!(options["modelName"], "stub-model");
    let done = s
        .wait(reply.body["generation"]["id"].as_str().unwrap())
        .await;
    assert_eq!(done["status"], "completed", "{done:?}");
    let call = &api.calls()[0];
    assert_eq!(
        call.authorization.as_deref(),
        Some("Bearer hf_workflow_token_42")
    );
    assert!(
        call.body["inputs"]
            .as_str()
            .unwrap()
            .starts_with("studio portrait of a violinist, professional studio portrait photo"),
        "{:?}",
        call.body
    );
    assert_eq!(
        call.body["parameters"]["negative_prompt"],
        api::providers::NEGATIVE_PROMPT
    );
    assert_eq!(call.body["parameters"]["width"], 512);
    assert_eq!(call.body["parameters"]["height"], 768);
    assert_eq!(call.body["parameters"]["seed"], 77);
    let avatar = get_as(
        &s.cli,
        &format!("{BASE}/avatars/{}", done["avatarId"].as_str().unwrap()),
        &s.token,
    )
    .await;
    let (status, _, bytes) = s
        .fetch_bytes(avatar.body["avatar"]["baseImageUrl"].as_str().unwrap())
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(dimensions(&bytes), (image::ImageFormat::Png, 512, 768));
    assert_eq!(s.balance().await, 90);

    let reply = s
        .post(
            "generate",
            &json!({ "name": "Refused", "prompt": "something the model refuses" }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{:?}", reply.body);
    let done = s
        .wait(reply.body["generation"]["id"].as_str().unwrap())
        .await;
    assert_eq!(done["status"], "failed");
    let message = done["errorMessage"].as_str().unwrap();
    assert_eq!(message, "The image provider could not generate this image");
    assert_eq!(api.calls().len(), 2, "a refusal is not retried");
    assert_eq!(s.balance().await, 90, "the failed generation was refunded");
    let job = jobs::Entity::find()
        .filter(jobs::Column::Status.ne(JobStatus::Succeeded))
        .one(&s.state.db)
        .await
        .unwrap()
        .unwrap();
    let last_error = job.last_error.unwrap_or_default();
    assert!(
        last_error.contains("prompt flagged") && !last_error.contains(token),
        "{last_error}"
    );
    workers.stop().await;
}
