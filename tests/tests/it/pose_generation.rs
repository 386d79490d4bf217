//! Pose Generator generation end to end (api.md §7.4–§7.12, §8.2, §8.3.4): projects,
//! gallery and text generation on the job queue with the offline provider, real
//! images with their thumbnails and export renditions, exact charges and refunds,
//! quota, recovery, and deletion rules.

use std::time::Duration;

use api::{
    AppState,
    credits::ledger::{self, EntryType, NewEntry},
    jobs::{Workers, queue, worker},
};
use entity::{
    avatar_usage_history, avatars, generated_poses, jobs, pose_categories, pose_generations,
    pose_library, users,
};
use migration::sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
};
use poem::{Endpoint, http::StatusCode, test::TestClient};
use serde_json::{Value, json};
use tests::{TestDb, dual_test, util::TempDir};

use crate::api_client::{self, Reply, get_as, register, send};
use api::vocabulary::JobStatus;

const PG: &str = "/api/apps/pose-generator";
const AC: &str = "/api/apps/avatar-creator";

pub(crate) struct Setup<E> {
    pub(crate) cli: TestClient<E>,
    pub(crate) state: AppState,
    pub(crate) _uploads: TempDir,
    pub(crate) _presets: TempDir,
    pub(crate) user_id: String,
    pub(crate) token: String,
}

pub(crate) async fn setup(
    db: &tests::TestDb,
    extra: &[(&str, &str)],
) -> Setup<impl Endpoint + use<>> {
    let uploads = TempDir::new("pose-uploads-").unwrap();
    let presets = TempDir::new("pose-presets-").unwrap();
    let (u, p) = (
        uploads.path().to_str().unwrap().to_owned(),
        presets.path().to_str().unwrap().to_owned(),
    );
    let mut vars = vec![
        ("UPLOAD_DIR", u.as_str()),
        ("PRESETS_DIR", p.as_str()),
        ("LOCAL_PROVIDER_FAULTS", "true"),
    ];
    vars.extend_from_slice(extra);
    let (cli, state) = api_client::start(db, &vars).await;
    let (user_id, token) = register(&cli, "poser@example.com").await;
    Setup {
        cli,
        state,
        _uploads: uploads,
        _presets: presets,
        user_id,
        token,
    }
}

/// A category and poses: `Standing Tall`, `Arms Crossed` and, when asked, one whose
/// name makes the local provider fail (`[fail]`).
pub(crate) async fn library(state: &AppState, with_broken: bool) -> Vec<String> {
    let now = chrono::Utc::now().naive_utc();
    pose_categories::ActiveModel {
        id: Set("cat-root".into()),
        name: Set("professional".into()),
        display_name: Set("Professional".into()),
        description: Set(None),
        slug: Set("professional".into()),
        parent_id: Set(None),
        icon: Set("briefcase".into()),
        display_order: Set(0),
        color: Set("#3B82F6".into()),
        pose_count: Set(0),
        is_active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&state.db)
    .await
    .unwrap();
    let mut names = ["Standing Tall", "Arms Crossed", "Hands On Hips"];
    if with_broken {
        names[2] = "Broken [fail] Pose";
    }
    let mut ids = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let id = format!("pose-{i}");
        pose_library::ActiveModel {
            id: Set(id.clone()),
            name: Set((*name).into()),
            description: Set(Some(format!("{name}, facing the camera"))),
            category_id: Set("cat-root".into()),
            preview_image_url: Set("/presets/none.jpg".into()),
            reference_image_url: Set("/presets/none.jpg".into()),
            controlnet_image_url: Set("/presets/none_pose.png".into()),
            thumbnail_url: Set(None),
            difficulty: Set("beginner".into()),
            gender_suitability: Set("unisex".into()),
            tags: Set(entity::TextList::new(["test"])),
            source_type: Set("curated".into()),
            source_credit: Set(None),
            license_type: Set("platform".into()),
            usage_count: Set(0),
            favorite_count: Set(0),
            rating_avg: Set(0.0),
            popularity_score: Set(0),
            is_public: Set(true),
            is_featured: Set(false),
            is_premium: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&state.db)
        .await
        .unwrap();
        ids.push(id);
    }
    ids
}

/// An `admin_grant` of `amount` credits to `user_id`, through the ledger.
pub(crate) async fn grant_in(
    db: &migration::sea_orm::DatabaseConnection,
    user_id: &str,
    amount: i32,
) {
    let txn = ledger::begin(db).await.unwrap();
    ledger::append(
        &txn,
        user_id,
        NewEntry::new(amount, EntryType::AdminGrant, "test grant"),
    )
    .await
    .unwrap();
    txn.commit().await.unwrap();
}

impl<E: Endpoint> Setup<E> {
    pub(crate) async fn post(&self, path: &str, body: &Value) -> Reply {
        send(
            self.cli
                .post(format!("{PG}{path}"))
                .header("Authorization", format!("Bearer {}", self.token))
                .body_json(body),
        )
        .await
    }

    pub(crate) async fn get(&self, path: &str) -> Reply {
        get_as(&self.cli, &format!("{PG}{path}"), &self.token).await
    }

    pub(crate) async fn project(&self, body: Value) -> String {
        let reply = self.post("/projects", &body).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
        reply.body["project"]["id"].as_str().unwrap().to_owned()
    }

    pub(crate) async fn grant(&self, amount: i32) {
        grant_in(&self.state.db, &self.user_id, amount).await;
    }

    pub(crate) async fn balance(&self) -> i32 {
        ledger::balance(&self.state.db, &self.user_id)
            .await
            .unwrap()
    }

    /// Polls until the generation is final (at most 60 s).
    pub(crate) async fn wait(&self, id: &str) -> Value {
        for _ in 0..600 {
            let reply = self.get(&format!("/generations/{id}")).await;
            assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
            let status = reply.body["generation"]["status"]
                .as_str()
                .unwrap()
                .to_owned();
            if ["completed", "partial", "failed"].contains(&status.as_str()) {
                return reply.body;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let jobs = jobs::Entity::find().all(&self.state.db).await.unwrap();
        let generation = pose_generations::Entity::find_by_id(id)
            .one(&self.state.db)
            .await
            .unwrap();
        panic!("generation {id} did not finish: {generation:?}; jobs: {jobs:?}");
    }

    pub(crate) async fn fetch(&self, url: &str) -> (StatusCode, Vec<u8>) {
        let resp = self.cli.get(url).send().await.0;
        (resp.status(), resp.into_body().into_vec().await.unwrap())
    }
}

pub(crate) fn dimensions(bytes: &[u8]) -> (u32, u32) {
    let image = image::load_from_memory(bytes).unwrap();
    (image.width(), image.height())
}

async fn refunds(state: &AppState, generation_id: &str) -> Vec<i32> {
    entity::credits::Entity::find()
        .filter(entity::credits::Column::Type.eq("refund"))
        .filter(entity::credits::Column::ReferenceId.eq(generation_id))
        .all(&state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.amount)
        .collect()
}

dual_test!(gallery_generation_makes_every_variation);
/// Gallery: 3 poses × 2 variations → 6 real 1024×1024 images with 400×400
/// thumbnails and the requested renditions at their sizes; 180 credits charged,
/// nothing refunded; library counters bumped; results listed in plan order.
async fn gallery_generation_makes_every_variation(db: TestDb) {
    let s = setup(&db, &[]).await;
    let poses = library(&s.state, false).await;
    s.grant(200).await;
    let project = s.project(json!({ "projectName": "Campaign" })).await;
    let workers = Workers::start(&s.state, 2);
    let reply = s
        .post(
            "/generate",
            &json!({ "projectId": project, "generationType": "GALLERY_REFERENCE",
                     "selectedPoseIds": poses, "batchSize": 2,
                     "exportFormats": ["instagram_post", "tiktok"], "outputFormats": ["original"] }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{:?}", reply.body);
    assert_eq!(reply.body["totalPosesExpected"], 6);
    assert_eq!(reply.body["creditCharged"], 180);
    assert_eq!(reply.body["estimatedCompletionTime"], 180);
    assert_eq!(s.balance().await, 120);
    let id = reply.body["generationId"].as_str().unwrap().to_owned();

    let done = s.wait(&id).await;
    let generation = &done["generation"];
    assert_eq!(generation["status"], "completed", "{generation:?}");
    assert_eq!(generation["posesCompleted"], 6);
    assert_eq!(generation["posesFailed"], 0);
    assert_eq!(generation["progress"], 100);
    assert_eq!(generation["creditRefunded"], 0);
    assert_eq!(
        generation["exportFormats"],
        json!(["instagram_feed", "tiktok", "original"])
    );
    assert_eq!(generation["project"]["totalPosesGenerated"], 6);
    assert_eq!(done["progress"]["percentage"], 100);

    // The project list counts each project's totals in the page's own statement, and
    // a page past the end still reports the total.
    let empty = s.project(json!({ "projectName": "Empty" })).await;
    let listed = s.get("/projects?limit=10").await;
    assert_eq!(listed.status, StatusCode::OK, "{:?}", listed.body);
    let totals = |id: &str| {
        let p = listed.body["projects"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == id)
            .unwrap();
        (
            p["totalGenerations"].clone(),
            p["totalPosesGenerated"].clone(),
        )
    };
    assert_eq!(totals(&project), (json!(1), json!(6)));
    assert_eq!(totals(&empty), (json!(0), json!(0)));
    assert_eq!(listed.body["pagination"]["total"], 2);
    let past_end = s.get("/projects?limit=2&page=2").await;
    assert_eq!(past_end.body["projects"], json!([]));
    assert_eq!(
        (
            past_end.body["pagination"]["total"].clone(),
            past_end.body["pagination"]["totalPages"].clone()
        ),
        (json!(2), json!(1))
    );
    assert!(generation["startedAt"].is_string() && generation["completedAt"].is_string());

    let results = s.get(&format!("/generations/{id}/results")).await;
    assert_eq!(results.status, StatusCode::OK);
    let keys: Vec<&str> = results.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["variationKey"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "pose-0-v0",
            "pose-0-v1",
            "pose-1-v0",
            "pose-1-v1",
            "pose-2-v0",
            "pose-2-v1"
        ]
    );
    let mut seeds = std::collections::HashSet::new();
    for pose in results.body["results"].as_array().unwrap() {
        assert_eq!(pose["status"], "completed");
        assert!(
            pose["promptUsed"]
                .as_str()
                .unwrap()
                .contains("full body photo")
        );
        seeds.insert(pose["seedUsed"].as_i64().unwrap());
        let (status, bytes) = s.fetch(pose["outputImageUrl"].as_str().unwrap()).await;
        assert_eq!(status, StatusCode::OK);
        assert!(bytes.starts_with(b"\x89PNG"));
        assert_eq!(dimensions(&bytes), (1024, 1024));
        let (_, thumb) = s.fetch(pose["thumbnailUrl"].as_str().unwrap()).await;
        assert_eq!(dimensions(&thumb), (400, 400));
        let exports = pose["exportFormats"].as_object().unwrap();
        assert_eq!(exports.len(), 3);
        assert_eq!(exports["original"], pose["outputImageUrl"]);
        for (format, size) in [("instagram_feed", (1080, 1080)), ("tiktok", (1080, 1920))] {
            let (status, bytes) = s.fetch(exports[format].as_str().unwrap()).await;
            assert_eq!(status, StatusCode::OK, "{format}");
            assert_eq!(dimensions(&bytes), size, "{format}");
        }
    }
    assert_eq!(seeds.len(), 6, "every variation has its own seed");
    assert_eq!(results.body["generation"]["successCount"], 6);
    assert_eq!(s.balance().await, 120);
    assert!(refunds(&s.state, &id).await.is_empty());
    let pose = pose_library::Entity::find_by_id("pose-0")
        .one(&s.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((pose.usage_count, pose.popularity_score), (1, 1));
    workers.stop().await;
}

dual_test!(partial_failure_refunds_exactly_the_failed_part_once);
/// A provider that fails 2 of the 6 images: `partial`, exactly 60 credits refunded
/// in one row, even when finalisation is attempted again.
async fn partial_failure_refunds_exactly_the_failed_part_once(db: TestDb) {
    let s = setup(&db, &[]).await;
    let poses = library(&s.state, true).await;
    s.grant(200).await;
    let project = s.project(json!({ "projectName": "Partial" })).await;
    let workers = Workers::start(&s.state, 1);
    let reply = s
        .post(
            "/generate",
            &json!({ "projectId": project, "generationType": "GALLERY_REFERENCE",
                                    "selectedPoseIds": poses, "batchSize": 2 }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{:?}", reply.body);
    let id = reply.body["generationId"].as_str().unwrap().to_owned();
    let done = s.wait(&id).await;
    workers.stop().await;
    let generation = &done["generation"];
    assert_eq!(generation["status"], "partial", "{generation:?}");
    assert_eq!(
        (
            generation["posesCompleted"].as_i64(),
            generation["posesFailed"].as_i64()
        ),
        (Some(4), Some(2))
    );
    assert_eq!(generation["creditRefunded"], 60);
    assert_eq!(refunds(&s.state, &id).await, vec![60]);
    assert_eq!(s.balance().await, 300 - 180 + 60);
    let failed: Vec<&Value> = generation["poses"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["status"] == "failed")
        .collect();
    assert_eq!(failed.len(), 2);
    for pose in failed {
        assert_eq!(pose["outputImageUrl"], "");
        assert_eq!(pose["exportFormats"], json!({}));
        assert!(pose["errorMessage"].is_string());
    }
    // A second finalisation (a racing recovery) changes nothing.
    let job = jobs::Entity::find()
        .filter(jobs::Column::ReferenceId.eq(id.as_str()))
        .one(&s.state.db)
        .await
        .unwrap()
        .unwrap();
    let again =
        api::pose_generator::job::finalise(&s.state.db, &id, None, &job.id, None, Some("again"))
            .await
            .unwrap();
    assert!(!again);
    assert_eq!(refunds(&s.state, &id).await, vec![60]);
    let results = s.get(&format!("/generations/{id}/results")).await;
    assert_eq!(results.body["generation"]["creditRefunded"], 60);
    assert_eq!(results.body["generation"]["failedCount"], 2);
}

dual_test!(text_generation_makes_exactly_the_variation_count);
/// Text mode makes exactly `variationCount` images and charges for exactly those;
/// the avatar used gets one usage row and its counters.
async fn text_generation_makes_exactly_the_variation_count(db: TestDb) {
    let s = setup(&db, &[]).await;
    s.grant(100).await;
    // An Avatar Creator avatar to use.
    let ac = send(
        s.cli
            .post(format!("{AC}/projects"))
            .header("Authorization", format!("Bearer {}", s.token))
            .body_json(&json!({"name": "Faces"})),
    )
    .await;
    let ac_project = ac.body["project"]["id"].as_str().unwrap().to_owned();
    let now = chrono::Utc::now().naive_utc();
    avatars::ActiveModel {
        id: Set("avatar-1".into()),
        user_id: Set(s.user_id.clone()),
        project_id: Set(ac_project.clone()),
        name: Set("Sarah".into()),
        base_image_url: Set("/uploads/x.png".into()),
        gender: Set(Some("female".into())),
        age_range: Set(Some("adult".into())),
        source_type: Set("uploaded".into()),
        usage_count: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&s.state.db)
    .await
    .unwrap();
    let project = s.project(json!({ "projectName": "Text", "avatarSource": "AVATAR_CREATOR", "avatarId": "avatar-1" })).await;
    let workers = Workers::start(&s.state, 2);
    let reply = s
        .post(
            "/generate",
            &json!({ "projectId": project, "generationType": "TEXT_DESCRIPTION",
                                    "textPrompt": "standing by a window with arms crossed",
                                    "variationCount": 5, "batchSize": 9 }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{:?}", reply.body);
    assert_eq!(reply.body["creditCharged"], 150);
    assert_eq!(reply.body["totalPosesExpected"], 5);
    let id = reply.body["generationId"].as_str().unwrap().to_owned();
    let done = s.wait(&id).await;
    workers.stop().await;
    let generation = &done["generation"];
    assert_eq!(generation["status"], "completed");
    assert_eq!(generation["batchSize"], 5);
    assert_eq!(generation["avatarId"], "avatar-1");
    assert_eq!(
        generation["avatarAttributes"]
            .as_str()
            .map(|t| serde_json::from_str::<Value>(t).unwrap()),
        Some(json!({"gender": "female", "ageRange": "adult", "ethnicity": null, "style": null}))
    );
    let poses = generation["poses"].as_array().unwrap();
    assert_eq!(poses.len(), 5);
    assert!(poses[0]["promptUsed"].as_str().unwrap().starts_with("standing by a window with arms crossed, female, adult (30-50 years old), professional studio"));
    assert_eq!(
        generated_poses::Entity::find()
            .count(&s.state.db)
            .await
            .unwrap(),
        5
    );
    assert_eq!(s.balance().await, 50);
    let usage = avatar_usage_history::Entity::find()
        .all(&s.state.db)
        .await
        .unwrap();
    assert_eq!(usage.len(), 1);
    assert_eq!(usage[0].reference_id.as_deref(), Some(id.as_str()));
    let avatar = avatars::Entity::find_by_id("avatar-1")
        .one(&s.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(avatar.usage_count, 1);
    assert!(avatar.last_used_at.is_some());

    // Deleting the Avatar Creator project keeps the Pose Generator rows, unlinked.
    let deleted = send(
        s.cli
            .delete(format!("{AC}/projects/{ac_project}"))
            .header("Authorization", format!("Bearer {}", s.token)),
    )
    .await;
    assert_eq!(deleted.status, StatusCode::OK, "{:?}", deleted.body);
    let project_row = s.get(&format!("/projects/{project}")).await;
    assert_eq!(project_row.status, StatusCode::OK);
    assert_eq!(project_row.body["project"]["avatarId"], Value::Null);
    assert_eq!(
        project_row.body["project"]["generations"][0]["avatarId"],
        Value::Null
    );
}

dual_test!(generate_rules_credits_and_quota);
/// Validation (400 with the field), ownership (404), credits (402) and the daily
/// quota of the unlimited tier (403, nothing written; accepted requests cost no
/// credits and run first).
async fn generate_rules_credits_and_quota(db: TestDb) {
    let s = setup(&db, &[]).await;
    let poses = library(&s.state, false).await;
    let project = s.project(json!({ "projectName": "Rules" })).await;
    let cases = [
        (
            json!({ "generationType": "GALLERY_REFERENCE", "selectedPoseIds": poses }),
            "projectId",
        ),
        (
            json!({ "projectId": project, "generationType": "gallery" }),
            "generationType",
        ),
        (
            json!({ "projectId": project, "generationType": "GALLERY_REFERENCE", "selectedPoseIds": [] }),
            "selectedPoseIds",
        ),
        (
            json!({ "projectId": project, "generationType": "GALLERY_REFERENCE", "selectedPoseIds": poses, "batchSize": 11 }),
            "batchSize",
        ),
        (
            json!({ "projectId": project, "generationType": "TEXT_DESCRIPTION", "textPrompt": "a red apple on a table" }),
            "textPrompt",
        ),
        (
            json!({ "projectId": project, "generationType": "TEXT_DESCRIPTION", "textPrompt": "naked standing pose" }),
            "textPrompt",
        ),
        (
            json!({ "projectId": project, "generationType": "TEXT_DESCRIPTION", "textPrompt": "standing", "variationCount": 21 }),
            "variationCount",
        ),
        (
            json!({ "projectId": project, "generationType": "TEXT_DESCRIPTION", "textPrompt": "standing", "exportFormats": ["myspace"] }),
            "exportFormats",
        ),
        (
            json!({ "projectId": project, "generationType": "TEXT_DESCRIPTION", "textPrompt": "standing", "useBackgroundChanger": true, "backgroundMode": "solid_color", "backgroundColor": "red" }),
            "backgroundColor",
        ),
        (
            json!({ "projectId": project, "generationType": "GALLERY_REFERENCE", "selectedPoseIds": ["pose-0", "nope"] }),
            "selectedPoseIds[1]",
        ),
    ];
    for (body, field) in cases {
        let reply = s.post("/generate", &body).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{body}: {:?}",
            reply.body
        );
        assert!(
            reply.body["error"]["details"].get(field).is_some(),
            "{body}: {:?}",
            reply.body
        );
    }
    let foreign = s.post("/generate", &json!({ "projectId": "nope", "generationType": "TEXT_DESCRIPTION", "textPrompt": "standing" })).await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    assert_eq!(foreign.error_message(), "Project not found");
    let avatar = s.post("/generate", &json!({ "projectId": project, "generationType": "TEXT_DESCRIPTION", "textPrompt": "standing", "avatarId": "nope" })).await;
    assert_eq!(avatar.error_message(), "Avatar not found");

    // 100 credits cannot pay 4 poses with background (160).
    let poor = s.post("/generate", &json!({ "projectId": project, "generationType": "TEXT_DESCRIPTION", "textPrompt": "standing", "useBackgroundChanger": true, "backgroundMode": "ai_generate", "backgroundPrompt": "a beach" })).await;
    assert_eq!(poor.status, StatusCode::PAYMENT_REQUIRED);
    assert_eq!(
        poor.body["error"]["details"],
        json!({ "required": 160, "available": 100 })
    );
    assert_eq!(
        pose_generations::Entity::find()
            .count(&s.state.db)
            .await
            .unwrap(),
        0
    );
    assert_eq!(jobs::Entity::find().count(&s.state.db).await.unwrap(), 0);

    // The unlimited tier: 5 a day.
    users::ActiveModel {
        id: Set(s.user_id.clone()),
        unlimited_pose_active: Set(true),
        unlimited_pose_daily_quota: Set(5),
        unlimited_pose_quota_used: Set(0),
        ..Default::default()
    }
    .update(&s.state.db)
    .await
    .unwrap();
    let ok = s.post("/generate", &json!({ "projectId": project, "generationType": "TEXT_DESCRIPTION", "textPrompt": "standing", "variationCount": 3 })).await;
    assert_eq!(ok.status, StatusCode::ACCEPTED, "{:?}", ok.body);
    assert_eq!(ok.body["creditCharged"], 0);
    let over = s.post("/generate", &json!({ "projectId": project, "generationType": "TEXT_DESCRIPTION", "textPrompt": "standing", "variationCount": 3 })).await;
    assert_eq!(over.status, StatusCode::FORBIDDEN);
    assert_eq!(over.error_code(), "INSUFFICIENT_QUOTA");
    assert_eq!(over.body["error"]["details"]["remaining"], 2);
    assert_eq!(over.body["error"]["details"]["dailyQuota"], 5);
    assert_eq!(s.balance().await, 100);
    let job = jobs::Entity::find()
        .one(&s.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(job.priority, 10);
    let user = users::Entity::find_by_id(s.user_id.as_str())
        .one(&s.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.unlimited_pose_quota_used, 3);
    assert!(user.unlimited_pose_quota_reset_at.unwrap() > chrono::Utc::now().naive_utc());

    // 409 while it is pending; the files and rows go once it is done.
    let blocked = send(
        s.cli
            .delete(format!("{PG}/projects/{project}"))
            .header("Authorization", format!("Bearer {}", s.token)),
    )
    .await;
    assert_eq!(blocked.status, StatusCode::CONFLICT);
    assert_eq!(blocked.body["error"]["details"]["activeGenerations"], 1);
    let workers = Workers::start(&s.state, 1);
    s.wait(ok.body["generationId"].as_str().unwrap()).await;
    workers.stop().await;
    let deleted = send(
        s.cli
            .delete(format!("{PG}/projects/{project}"))
            .header("Authorization", format!("Bearer {}", s.token)),
    )
    .await;
    assert_eq!(deleted.status, StatusCode::OK, "{:?}", deleted.body);
    assert_eq!(
        generated_poses::Entity::find()
            .count(&s.state.db)
            .await
            .unwrap(),
        0
    );
    let folder = s
        ._uploads
        .path()
        .join("poses")
        .join(ok.body["generationId"].as_str().unwrap());
    assert!(!folder.exists(), "generation files removed");
}

dual_test!(failed_poses_return_their_quota_units);
/// The unlimited tier: the failed part of a generation gives its quota units back
/// (the same day), and no credit moves.
async fn failed_poses_return_their_quota_units(db: TestDb) {
    let s = setup(&db, &[]).await;
    let poses = library(&s.state, true).await;
    let project = s.project(json!({ "projectName": "Quota" })).await;
    users::ActiveModel {
        id: Set(s.user_id.clone()),
        unlimited_pose_active: Set(true),
        unlimited_pose_daily_quota: Set(10),
        unlimited_pose_quota_used: Set(0),
        ..Default::default()
    }
    .update(&s.state.db)
    .await
    .unwrap();
    let reply = s
        .post(
            "/generate",
            &json!({ "projectId": project, "generationType": "GALLERY_REFERENCE",
                                    "selectedPoseIds": poses, "batchSize": 2 }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{:?}", reply.body);
    assert_eq!(reply.body["creditCharged"], 0);
    let user = users::Entity::find_by_id(s.user_id.as_str())
        .one(&s.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.unlimited_pose_quota_used, 6);
    let workers = Workers::start(&s.state, 1);
    let done = s.wait(reply.body["generationId"].as_str().unwrap()).await;
    workers.stop().await;
    assert_eq!(done["generation"]["status"], "partial");
    assert_eq!(done["generation"]["posesFailed"], 2);
    let user = users::Entity::find_by_id(s.user_id.as_str())
        .one(&s.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        user.unlimited_pose_quota_used, 4,
        "the 2 failed units came back"
    );
    assert_eq!(s.balance().await, 100, "the sign-up credits are untouched");
    assert!(
        refunds(&s.state, reply.body["generationId"].as_str().unwrap())
            .await
            .is_empty()
    );
}

dual_test!(a_dead_workers_generation_is_finished_by_another);
/// A worker dies mid-generation: its lease expires, recovery puts the generation
/// back to `pending` (one recovery counted), and the next worker finishes only the
/// variations that were missing: no duplicate rows, one charge, no refund.
async fn a_dead_workers_generation_is_finished_by_another(db: TestDb) {
    let s = setup(&db, &[]).await;
    let poses = library(&s.state, false).await;
    s.grant(100).await;
    let project = s.project(json!({ "projectName": "Crash" })).await;
    let reply = s
        .post(
            "/generate",
            &json!({ "projectId": project, "generationType": "GALLERY_REFERENCE",
                                    "selectedPoseIds": poses, "batchSize": 1 }),
        )
        .await;
    let id = reply.body["generationId"].as_str().unwrap().to_owned();
    // The first worker claims with a lease that is already over and dies before
    // doing anything; recovery requeues it.
    let job = queue::claim(&s.state.db, "dead", Duration::ZERO)
        .await
        .unwrap()
        .unwrap();
    pose_generations::ActiveModel {
        id: Set(id.clone()),
        status: Set("processing".into()),
        ..Default::default()
    }
    .update(&s.state.db)
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let recovery = worker::recover_report(&s.state).await.unwrap();
    assert_eq!((recovery.recovered, recovery.failed), (1, 0));
    let generation = pose_generations::Entity::find_by_id(id.as_str())
        .one(&s.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (generation.status.as_str(), generation.recovery_attempts),
        ("pending", 1)
    );
    assert!(generation.last_recovery_at.is_some());
    // Make it due now, and let a live worker finish it.
    jobs::ActiveModel {
        id: Set(job.id.clone()),
        run_after: Set(chrono::Utc::now().naive_utc() - chrono::Duration::seconds(1)),
        ..Default::default()
    }
    .update(&s.state.db)
    .await
    .unwrap();
    let workers = Workers::start(&s.state, 2);
    let done = s.wait(&id).await;
    workers.stop().await;
    assert_eq!(done["generation"]["status"], "completed");
    assert_eq!(
        generated_poses::Entity::find()
            .count(&s.state.db)
            .await
            .unwrap(),
        3
    );
    assert_eq!(s.balance().await, 200 - 90);
    assert!(refunds(&s.state, &id).await.is_empty());
    let job = jobs::Entity::find_by_id(job.id.as_str())
        .one(&s.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (job.status.as_str(), job.attempts),
        (JobStatus::Succeeded.as_str(), 2)
    );
}
