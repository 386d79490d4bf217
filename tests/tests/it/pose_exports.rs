//! Export renditions and the ZIP (api.md §7.14, §7.16, §8.11): each requested format
//! at its pixel size, aliases normalised, renditions kept and reused, download
//! counters, and the error cases.

use std::io::{Cursor, Read};

use api::jobs::Workers;
use entity::generated_poses;
use migration::sea_orm::EntityTrait;
use poem::http::StatusCode;
use serde_json::json;
use tests::{TestDb, dual_test};

use crate::pose_generation::{dimensions, library, setup};

const PG: &str = "/api/apps/pose-generator";

dual_test!(the_zip_holds_every_format_at_its_size);
async fn the_zip_holds_every_format_at_its_size(db: TestDb) {
    let s = setup(&db, &[]).await;
    let poses = library(&s.state, true).await;
    s.grant(100).await;
    let project = s.project(json!({ "projectName": "Exports" })).await;
    let workers = Workers::start(&s.state, 2);
    // Pose 2 fails ([fail]): the ZIP holds the 2 completed ones.
    let reply = s
        .post(
            "/generate",
            &json!({ "projectId": project, "generationType": "GALLERY_REFERENCE",
                                    "selectedPoseIds": poses, "batchSize": 1,
                                    "exportFormats": ["instagram_story"] }),
        )
        .await;
    let id = reply.body["generationId"].as_str().unwrap().to_owned();
    let done = s.wait(&id).await;
    workers.stop().await;
    assert_eq!(done["generation"]["status"], "partial");

    let bad = s
        .get(&format!(
            "/generations/{id}/export-zip?formats=tiktok,myspace"
        ))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.error_message().contains("Allowed:"), "{:?}", bad.body);

    let resp = s
        .cli
        .get(format!("{PG}/generations/{id}/export-zip?formats=original,print_standard,instagram_story,linkedin_post"))
        .header("Authorization", format!("Bearer {}", s.token))
        .send()
        .await;
    resp.assert_status_is_ok();
    resp.assert_header("Content-Type", "application/zip");
    resp.assert_header(
        "Content-Disposition",
        format!("attachment; filename=\"poses-{id}.zip\""),
    );
    let bytes = resp.0.into_body().into_vec().await.unwrap();
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut names: Vec<String> = archive
        .file_names()
        .map(|n| n.unwrap().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "instagram_story/01_pose-0-v0.jpg",
            "instagram_story/02_pose-1-v0.jpg",
            "linkedin_post/01_pose-0-v0.jpg",
            "linkedin_post/02_pose-1-v0.jpg",
            "original/01_pose-0-v0.png",
            "original/02_pose-1-v0.png",
            "print_4x6/01_pose-0-v0.jpg",
            "print_4x6/02_pose-1-v0.jpg",
        ]
    );
    for name in names {
        let mut data = Vec::new();
        archive
            .by_name(&name)
            .unwrap()
            .read_to_end(&mut data)
            .unwrap();
        let expected = match name.split('/').next().unwrap() {
            "original" => (1024, 1024),
            "print_4x6" => (1800, 1200),
            "instagram_story" => (1080, 1920),
            _ => (1200, 627),
        };
        assert_eq!(dimensions(&data), expected, "{name}");
    }
    // Renditions were kept: a second export reuses them; download counts grow.
    let before = generated_poses::Entity::find()
        .all(&s.state.db)
        .await
        .unwrap();
    s.cli
        .get(format!(
            "{PG}/generations/{id}/export-zip?formats=print_4x6"
        ))
        .header("Authorization", format!("Bearer {}", s.token))
        .send()
        .await
        .assert_status_is_ok();
    let after = generated_poses::Entity::find()
        .all(&s.state.db)
        .await
        .unwrap();
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(b.export_formats["print_4x6"], a.export_formats["print_4x6"]);
        if a.status == "completed" {
            assert_eq!(a.download_count, 2);
        } else {
            assert_eq!(a.download_count, 0);
        }
    }

    // Regenerate one rendition: a new URL for it, the others kept.
    let completed = after.iter().find(|p| p.status == "completed").unwrap();
    let failed = after.iter().find(|p| p.status == "failed").unwrap();
    let regenerated = s
        .post(
            &format!("/poses/{}/regenerate-export", completed.id),
            &json!({ "format": "print_standard" }),
        )
        .await;
    assert_eq!(regenerated.status, StatusCode::OK, "{:?}", regenerated.body);
    assert_eq!(regenerated.body["format"], "print_4x6");
    let url = regenerated.body["exportUrl"].as_str().unwrap();
    assert_ne!(url, completed.export_formats["print_4x6"].as_str().unwrap());
    let (status, bytes) = s.fetch(url).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(dimensions(&bytes), (1800, 1200));
    let row = generated_poses::Entity::find_by_id(completed.id.as_str())
        .one(&s.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.export_formats["print_4x6"], url);
    assert_eq!(
        row.export_formats["instagram_story"],
        completed.export_formats["instagram_story"]
    );
    for (body, status) in [
        (json!({}), StatusCode::BAD_REQUEST),
        (json!({ "format": "myspace" }), StatusCode::BAD_REQUEST),
    ] {
        let reply = s
            .post(&format!("/poses/{}/regenerate-export", completed.id), &body)
            .await;
        assert_eq!(reply.status, status, "{body}");
    }
    let reply = s
        .post(
            &format!("/poses/{}/regenerate-export", failed.id),
            &json!({ "format": "tiktok" }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    let reply = s
        .post(
            "/poses/nope/regenerate-export",
            &json!({ "format": "tiktok" }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.error_message(), "Pose not found");

    // Regenerating again and again leaves no orphan: the files stored for the
    // generation are exactly those its rows reference.
    for _ in 0..5 {
        let reply = s
            .post(
                &format!("/poses/{}/regenerate-export", completed.id),
                &json!({ "format": "print_4x6" }),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK);
    }
    let rows = generated_poses::Entity::find()
        .all(&s.state.db)
        .await
        .unwrap();
    let mut referenced: Vec<String> = rows
        .iter()
        .flat_map(|p| {
            let exports = p
                .export_formats
                .as_object()
                .unwrap()
                .values()
                .map(|v| v.as_str().unwrap().to_owned());
            [p.output_image_url.clone(), p.thumbnail_url.clone()]
                .into_iter()
                .chain(exports)
                .collect::<Vec<_>>()
        })
        .filter(|url| url.starts_with("/uploads/"))
        .collect();
    referenced.sort();
    referenced.dedup();
    let stored = stored_urls(&s.state.config.upload_dir, &format!("poses/{id}"));
    assert_eq!(
        stored, referenced,
        "files in storage vs files the database references"
    );
}

/// The `/uploads/…` URL of every file stored under `folder` of the upload root.
pub fn stored_urls(root: &std::path::Path, folder: &str) -> Vec<String> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(&root.join(folder), &mut files);
    let mut urls: Vec<String> = files
        .iter()
        .map(|p| format!("/uploads/{}", p.strip_prefix(root).unwrap().display()))
        .collect();
    urls.sort();
    urls
}

dual_test!(nothing_to_export_is_a_conflict);
/// Nothing completed: 409; unknown or foreign generation: 404.
async fn nothing_to_export_is_a_conflict(db: TestDb) {
    let s = setup(&db, &[]).await;
    library(&s.state, true).await;
    let project = s.project(json!({ "projectName": "Empty" })).await;
    let workers = Workers::start(&s.state, 1);
    let reply = s
        .post(
            "/generate",
            &json!({ "projectId": project, "generationType": "GALLERY_REFERENCE",
                                    "selectedPoseIds": ["pose-2"], "batchSize": 1 }),
        )
        .await;
    let id = reply.body["generationId"].as_str().unwrap().to_owned();
    let done = s.wait(&id).await;
    workers.stop().await;
    assert_eq!(done["generation"]["status"], "failed");
    assert_eq!(done["generation"]["creditRefunded"], 30);
    let zip = s.get(&format!("/generations/{id}/export-zip")).await;
    assert_eq!(zip.status, StatusCode::CONFLICT);
    assert_eq!(zip.error_message(), "No completed poses to export");
    let results = s.get(&format!("/generations/{id}/results")).await;
    assert_eq!(results.status, StatusCode::CONFLICT);
    assert_eq!(results.body["error"]["details"]["status"], "failed");
    assert_eq!(
        s.get("/generations/nope/export-zip").await.status,
        StatusCode::NOT_FOUND
    );
}

dual_test!(a_pose_deleted_while_rendering_is_not_found);
/// A pose deleted while its exports render (its project or generation deleted
/// meanwhile) is a 404, not a 500 (Schemathesis met it: export-zip racing a
/// DELETE of the project).
async fn a_pose_deleted_while_rendering_is_not_found(db: TestDb) {
    let s = setup(&db, &[]).await;
    library(&s.state, true).await;
    let project = s.project(json!({ "projectName": "Vanishing" })).await;
    let workers = Workers::start(&s.state, 1);
    let reply = s
        .post(
            "/generate",
            &json!({ "projectId": project, "generationType": "GALLERY_REFERENCE",
                                    "selectedPoseIds": ["pose-0"], "batchSize": 1 }),
        )
        .await;
    let id = reply.body["generationId"].as_str().unwrap().to_owned();
    assert_eq!(s.wait(&id).await["generation"]["status"], "completed");
    workers.stop().await;
    let pose = generated_poses::Entity::find()
        .one(&s.state.db)
        .await
        .unwrap()
        .unwrap();
    generated_poses::Entity::delete_by_id(pose.id.clone())
        .exec(&s.state.db)
        .await
        .unwrap();
    let err = api::pose_generator::exports::ensure_renditions(
        &s.state.db,
        &s.state.storage,
        &pose,
        &["tiktok"],
        false,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            err,
            api::pose_generator::error::PoseGeneratorError::PoseNotFound
        ),
        "{err:?}"
    );
    assert_eq!(
        api::error::ApiError::from(err).status(),
        StatusCode::NOT_FOUND
    );
}

dual_test!(concurrent_exports_are_capped_per_user);
/// A user may stream `MAX_EXPORTS_PER_USER` ZIPs at once: the next is a 429 with
/// `Retry-After`, until one of them ends.
async fn concurrent_exports_are_capped_per_user(db: TestDb) {
    let s = setup(&db, &[("MAX_EXPORTS_PER_USER", "2")]).await;
    library(&s.state, true).await;
    let project = s.project(json!({ "projectName": "Capped" })).await;
    let workers = Workers::start(&s.state, 1);
    let reply = s
        .post(
            "/generate",
            &json!({ "projectId": project, "generationType": "GALLERY_REFERENCE",
                                    "selectedPoseIds": ["pose-0"], "batchSize": 1 }),
        )
        .await;
    let id = reply.body["generationId"].as_str().unwrap().to_owned();
    s.wait(&id).await;
    workers.stop().await;
    let export = || {
        s.cli
            .get(format!("{PG}/generations/{id}/export-zip?formats=original"))
            .header("Authorization", format!("Bearer {}", s.token))
            .send()
    };
    // Two downloads in flight, their bodies not read yet.
    let first = export().await;
    first.assert_status_is_ok();
    let second = export().await;
    second.assert_status_is_ok();
    let third = export().await;
    third.assert_status(StatusCode::TOO_MANY_REQUESTS);
    third.assert_header("Retry-After", "5");
    assert_eq!(s.state.exports.in_use(), 2);
    // Reading one to its end gives its slot back.
    let bytes = first.0.into_body().into_vec().await.unwrap();
    assert!(zip::ZipArchive::new(Cursor::new(bytes)).is_ok());
    for _ in 0..100 {
        if s.state.exports.in_use() < 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    export().await.assert_status_is_ok();
    drop(second);
}
