//! Background changes (api.md §7.15, §8.3.5, §8.2.6) and the app's figures (§7.17):
//! one pose at a time for 10 credits, the new image with its thumbnail and renditions,
//! refunded once on failure; the background step of a generation, refunded per pose
//! when only it fails.

use api::jobs::Workers;
use entity::{app_usages, credits, generated_poses, jobs};
use migration::sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use poem::http::StatusCode;
use serde_json::{Value, json};
use tests::{TestDb, dual_test};

use crate::pose_generation::{dimensions, library, setup};

fn pixel(bytes: &[u8], x: u32, y: u32) -> [u8; 3] {
    image::load_from_memory(bytes)
        .unwrap()
        .to_rgb8()
        .get_pixel(x, y)
        .0
}

dual_test!(a_pose_gets_a_new_background_or_its_credits_back);
async fn a_pose_gets_a_new_background_or_its_credits_back(db: TestDb) {
    let s = setup(&db, &[]).await;
    let poses = library(&s.state, false).await;
    let project = s.project(json!({ "projectName": "Backdrops" })).await;
    let workers = Workers::start(&s.state, 1);
    let reply = s
        .post("/generate", &json!({ "projectId": project, "generationType": "GALLERY_REFERENCE",
                                    "selectedPoseIds": [poses[0]], "batchSize": 1, "exportFormats": ["tiktok"] }))
        .await;
    let id = reply.body["generationId"].as_str().unwrap().to_owned();
    let done = s.wait(&id).await;
    workers.stop().await;
    let pose = done["generation"]["poses"][0].clone();
    let pose_id = pose["id"].as_str().unwrap().to_owned();
    let before = pose["outputImageUrl"].as_str().unwrap().to_owned();
    assert_eq!(s.balance().await, 70);

    for (body, field) in [
        (json!({}), "backgroundMode"),
        (
            json!({ "backgroundMode": "solid_color", "backgroundColor": "#12345" }),
            "backgroundColor",
        ),
        (
            json!({ "backgroundMode": "ai_generate", "backgroundPrompt": "   " }),
            "backgroundPrompt",
        ),
        (
            json!({ "backgroundMode": "upload", "backgroundImageUrl": "file:///etc/passwd" }),
            "backgroundImageUrl",
        ),
    ] {
        let reply = s.post(&format!("/poses/{pose_id}/background"), &body).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
        assert!(
            reply.body["error"]["details"].get(field).is_some(),
            "{body}: {:?}",
            reply.body
        );
    }
    assert_eq!(
        s.post(
            "/poses/nope/background",
            &json!({ "backgroundMode": "solid_color", "backgroundColor": "#00FF00" })
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );

    let queued = s
        .post(
            &format!("/poses/{pose_id}/background"),
            &json!({ "backgroundMode": "solid_color", "backgroundColor": "#00ff00" }),
        )
        .await;
    assert_eq!(queued.status, StatusCode::ACCEPTED, "{:?}", queued.body);
    assert_eq!(queued.body["creditCharged"], 10);
    assert_eq!(queued.body["creditBalance"], 60);
    assert_eq!(queued.body["status"], "queued");
    assert_eq!(queued.body["outputImageUrl"], before.as_str());
    let again = s
        .post(
            &format!("/poses/{pose_id}/background"),
            &json!({ "backgroundMode": "solid_color", "backgroundColor": "#0000FF" }),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(
        again.error_message(),
        "A background change is already in progress for this pose"
    );
    let usage = app_usages::Entity::find()
        .filter(app_usages::Column::Action.eq("change_background"))
        .all(&s.state.db)
        .await
        .unwrap();
    assert_eq!(usage.len(), 1);
    assert_eq!(usage[0].app_id, "pose-generator");

    let workers = Workers::start(&s.state, 1);
    let changed = wait_for_pose(&s, &id, &pose_id, |p| p["backgroundChanged"] == true).await;
    let after = changed["outputImageUrl"].as_str().unwrap();
    assert_ne!(after, before);
    assert_eq!(changed["originalImageUrl"], before.as_str());
    assert_eq!(changed["backgroundPrompt"], "#00FF00");
    let (status, bytes) = s.fetch(after).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        pixel(&bytes, 2, 2),
        [0, 255, 0],
        "the corner shows the new colour"
    );
    let tiktok = changed["exportFormats"]["tiktok"].as_str().unwrap();
    assert_ne!(
        tiktok,
        pose["exportFormats"]["tiktok"].as_str().unwrap(),
        "renditions follow the new image"
    );
    let (_, bytes) = s.fetch(tiktok).await;
    assert_eq!(dimensions(&bytes), (1080, 1920));
    // The old rendition is gone; the original image is kept.
    assert_eq!(
        s.fetch(pose["exportFormats"]["tiktok"].as_str().unwrap())
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(s.fetch(&before).await.0, StatusCode::OK);

    // A failing change: the image stays, the error is noted, 10 credits come back once.
    let failing = s
        .post(
            &format!("/poses/{pose_id}/background"),
            &json!({ "backgroundMode": "ai_generate", "backgroundPrompt": "a [fail] beach" }),
        )
        .await;
    assert_eq!(failing.status, StatusCode::ACCEPTED);
    assert_eq!(s.balance().await, 50);
    let failed = wait_for_pose(&s, &id, &pose_id, |p| p["errorMessage"].is_string()).await;
    workers.stop().await;
    assert!(
        failed["errorMessage"]
            .as_str()
            .unwrap()
            .starts_with("Background change failed: ")
    );
    assert_eq!(failed["outputImageUrl"], after);
    assert_eq!(s.balance().await, 60);
    let job_id = failing.body["jobId"].as_str().unwrap();
    let refunds = credits::Entity::find()
        .filter(credits::Column::Type.eq("refund"))
        .filter(credits::Column::ReferenceType.eq("background_change"))
        .filter(credits::Column::ReferenceId.eq(job_id))
        .count(&s.state.db)
        .await
        .unwrap();
    assert_eq!(refunds, 1);
    let job = jobs::Entity::find_by_id(job_id)
        .one(&s.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(job.status, "failed");

    // Figures.
    let stats = s.get("/stats").await;
    assert_eq!(stats.status, StatusCode::OK);
    assert_eq!(stats.body["totalPosesGenerated"], 1);
    assert_eq!(stats.body["totalProjects"], 1);
    assert_eq!(stats.body["recentGenerations"], 1);
    assert_eq!(
        stats.body["creditUsage"],
        json!({ "totalSpent": 30, "last30Days": 30, "averagePerGeneration": 30 })
    );
    assert_eq!(stats.body["topUsedPoses"][0]["poseId"], poses[0].as_str());
    assert_eq!(stats.body["topUsedPoses"][0]["usageCount"], 1);
}

dual_test!(the_generation_background_step_is_refunded_per_pose);
/// The background changer inside a generation: 40 credits per pose; a pose whose
/// background step fails is kept with its first image and gets 10 back.
async fn the_generation_background_step_is_refunded_per_pose(db: TestDb) {
    let s = setup(&db, &[]).await;
    s.grant(100).await;
    let project = s.project(json!({ "projectName": "Studio" })).await;
    let workers = Workers::start(&s.state, 1);
    let ok = s
        .post("/generate", &json!({ "projectId": project, "generationType": "TEXT_DESCRIPTION",
                                    "textPrompt": "standing pose", "variationCount": 2,
                                    "useBackgroundChanger": true, "backgroundMode": "solid_color", "backgroundColor": "#FF0000" }))
        .await;
    assert_eq!(ok.status, StatusCode::ACCEPTED, "{:?}", ok.body);
    assert_eq!(ok.body["creditCharged"], 80);
    let done = s.wait(ok.body["generationId"].as_str().unwrap()).await;
    for pose in done["generation"]["poses"].as_array().unwrap() {
        assert_eq!(pose["backgroundChanged"], true);
        assert_eq!(pose["backgroundPrompt"], "#FF0000");
        let (_, bytes) = s.fetch(pose["outputImageUrl"].as_str().unwrap()).await;
        assert_eq!(pixel(&bytes, 1, 1), [255, 0, 0]);
    }
    assert_eq!(done["generation"]["creditRefunded"], 0);

    let broken = s
        .post("/generate", &json!({ "projectId": project, "generationType": "TEXT_DESCRIPTION",
                                    "textPrompt": "sitting pose", "variationCount": 2,
                                    "useBackgroundChanger": true, "backgroundMode": "ai_generate", "backgroundPrompt": "[fail] jungle" }))
        .await;
    assert_eq!(broken.status, StatusCode::ACCEPTED, "{:?}", broken.body);
    let done = s.wait(broken.body["generationId"].as_str().unwrap()).await;
    workers.stop().await;
    let generation = &done["generation"];
    assert_eq!(generation["status"], "completed");
    assert_eq!(generation["creditRefunded"], 20);
    for pose in generation["poses"].as_array().unwrap() {
        assert_eq!(pose["status"], "completed");
        assert_eq!(pose["backgroundChanged"], false);
        assert!(
            pose["errorMessage"]
                .as_str()
                .unwrap()
                .starts_with("Background change failed")
        );
    }
    assert_eq!(s.balance().await, 200 - 80 - 80 + 20);
    assert_eq!(
        generated_poses::Entity::find()
            .count(&s.state.db)
            .await
            .unwrap(),
        4
    );
}

/// Polls the generation until the pose satisfies `done` (at most 60 s).
async fn wait_for_pose<E: poem::Endpoint>(
    s: &crate::pose_generation::Setup<E>,
    generation_id: &str,
    pose_id: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    for _ in 0..600 {
        let reply = s.get(&format!("/generations/{generation_id}")).await;
        let pose = reply.body["generation"]["poses"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == pose_id)
            .cloned()
            .unwrap();
        if done(&pose) {
            return pose;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("pose {pose_id} never reached the expected state");
}
