//! `STORAGE=s3` (api.md §8.12) against a real S3 protocol server (`s3_server`, a
//! separate process): uploads and
//! generated images go to the bucket under the same keys and `/uploads/…` URLs as on
//! disk, are served from it with the same headers, and are removed with their rows.
//! Nothing is written to `UPLOAD_DIR`.

use std::time::Duration;

use api::jobs::Workers;
use poem::http::StatusCode;
use serde_json::json;
use tests::{TestDb, dual_test, util::TempDir};

use crate::{
    api_client::{self, get_as, register, send},
    avatar_upload::{files_under, image_form, png},
    s3_server::S3Server,
};

const BASE: &str = "/api/apps/avatar-creator";

fn object_key(url: &str) -> String {
    url.strip_prefix("/uploads/").unwrap().to_owned()
}

dual_test!(files_live_in_the_bucket_when_storage_is_s3);
async fn files_live_in_the_bucket_when_storage_is_s3(db: TestDb) {
    let s3 = S3Server::start().await;
    let uploads = TempDir::new("s3-uploads-").unwrap();
    let mut vars: Vec<(&str, String)> = s3.vars();
    vars.push(("UPLOAD_DIR", uploads.path().to_str().unwrap().to_owned()));
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (cli, state) = api_client::start(&db, &vars).await;
    let (_, token) = register(&cli, "bucket@example.com").await;
    let bearer = format!("Bearer {token}");
    let project = send(
        cli.post(format!("{BASE}/projects"))
            .header("Authorization", &bearer)
            .body_json(&json!({ "name": "In the bucket" })),
    )
    .await;
    let project_id = project.body["project"]["id"].as_str().unwrap().to_owned();

    // Upload: both files in the bucket, none on disk.
    let original = png(320, 400);
    let uploaded = send(
        cli.post(format!("{BASE}/projects/{project_id}/avatars/upload"))
            .header("Authorization", &bearer)
            .multipart(image_form(original.clone(), "me.png")),
    )
    .await;
    assert_eq!(uploaded.status, StatusCode::CREATED, "{:?}", uploaded.body);
    let image_url = uploaded.body["avatar"]["baseImageUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    let thumb_url = uploaded.body["avatar"]["thumbnailUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut expected = vec![object_key(&image_url), object_key(&thumb_url)];
    expected.sort();
    assert_eq!(s3.keys().await, expected);
    assert_eq!(s3.object(&object_key(&image_url)).await.unwrap(), original);
    assert!(files_under(uploads.path()).is_empty());

    // Served from the bucket with the usual headers.
    let resp = cli.get(&image_url).send().await;
    resp.assert_status_is_ok();
    resp.assert_header("Content-Type", "image/png");
    resp.assert_header("X-Content-Type-Options", "nosniff");
    resp.assert_header("Cache-Control", "private, max-age=3600");
    resp.assert_bytes(original).await;
    let thumb = cli.get(&thumb_url).send().await;
    thumb.assert_status_is_ok();
    thumb.assert_header("Content-Type", "image/jpeg");
    let decoded = image::load_from_memory(&thumb.0.into_body().into_vec().await.unwrap()).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (300, 300));
    for missing in [
        "/uploads/avatar-creator/nobody/0123.png",
        "/uploads/avatar-creator/x/../y.png",
    ] {
        cli.get(missing)
            .send()
            .await
            .assert_status(StatusCode::NOT_FOUND);
    }

    // A generated avatar goes to the bucket too.
    let workers = Workers::start(&state, 1);
    let started = send(
        cli.post(format!("{BASE}/projects/{project_id}/avatars/generate"))
            .header("Authorization", &bearer)
            .body_json(&json!({ "name": "Generated", "prompt": "portrait in a bucket" })),
    )
    .await;
    assert_eq!(started.status, StatusCode::ACCEPTED, "{:?}", started.body);
    let id = started.body["generation"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut done = json!(null);
    for _ in 0..300 {
        done = get_as(&cli, &format!("{BASE}/generations/{id}"), &token)
            .await
            .body["generation"]
            .clone();
        if done["status"] == "completed" || done["status"] == "failed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(done["status"], "completed", "{done:?}");
    workers.stop().await;
    assert_eq!(s3.keys().await.len(), 4);
    let avatar = get_as(
        &cli,
        &format!("{BASE}/avatars/{}", done["avatarId"].as_str().unwrap()),
        &token,
    )
    .await;
    let generated_url = avatar.body["avatar"]["baseImageUrl"].as_str().unwrap();
    cli.get(generated_url).send().await.assert_status_is_ok();
    assert!(files_under(uploads.path()).is_empty());

    // Deleting an avatar removes its objects (image and thumbnail).
    let deleted = send(
        cli.delete(format!(
            "{BASE}/avatars/{}",
            done["avatarId"].as_str().unwrap()
        ))
        .header("Authorization", &bearer),
    )
    .await;
    assert_eq!(deleted.status, StatusCode::OK, "{:?}", deleted.body);
    assert_eq!(
        s3.keys().await,
        expected,
        "only the uploaded avatar's objects are left"
    );
    cli.get(generated_url)
        .send()
        .await
        .assert_status(StatusCode::NOT_FOUND);

    // Deleting the project removes every object.
    let deleted = send(
        cli.delete(format!("{BASE}/projects/{project_id}"))
            .header("Authorization", &bearer),
    )
    .await;
    assert_eq!(deleted.status, StatusCode::OK, "{:?}", deleted.body);
    assert_eq!(s3.keys().await, Vec::<String>::new());
    cli.get(&image_url)
        .send()
        .await
        .assert_status(StatusCode::NOT_FOUND);
}
