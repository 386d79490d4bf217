//! Avatar upload over HTTP (api.md §6.6, §8.12, §8.13): real PNG, JPEG and WebP files,
//! every rejection, and after each rejection nothing on disk or in the database.

use std::path::{Path, PathBuf};

use api::credits::ledger::{self, EntryType, NewEntry};
use entity::{app_usages, avatars, credits, users};
use image::{ExtendedColorType, ImageEncoder, Rgb, RgbImage, RgbaImage};
use migration::sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter,
};
use poem::{
    Endpoint,
    http::StatusCode,
    test::{TestClient, TestForm, TestFormField},
};
use serde_json::{Value, json};
use tests::{TestDb, dual_test, util::TempDir};

use crate::api_client::{self, Reply, get_as, register, send};

const BASE: &str = "/api/apps/avatar-creator";

fn gradient(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, 90]))
}

pub(crate) fn png(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    gradient(w, h)
        .write_with_encoder(image::codecs::png::PngEncoder::new(&mut out))
        .unwrap();
    out
}

fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    gradient(w, h)
        .write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(
            &mut out, 90,
        ))
        .unwrap();
    out
}

fn webp(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let img = RgbaImage::from_fn(w, h, |x, y| image::Rgba([x as u8, y as u8, 40, 255]));
    image::codecs::webp::WebPEncoder::new_lossless(&mut out)
        .write_image(img.as_raw(), w, h, ExtendedColorType::Rgba8)
        .unwrap();
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A ~60-byte PNG whose header claims 100000×100000 pixels.
fn png_bomb() -> Vec<u8> {
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut out = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    for (kind, data) in [
        (b"IHDR", ihdr.as_slice()),
        (
            b"IDAT",
            &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01][..],
        ),
        (b"IEND", &[][..]),
    ] {
        let mut chunk = kind.to_vec();
        chunk.extend_from_slice(data);
        out.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
        out.extend_from_slice(&chunk);
        out.extend_from_slice(&crc32(&chunk).to_be_bytes());
    }
    out
}

/// Every file under `dir`, recursively (temporary files included).
pub(crate) fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_under(&path));
        } else {
            found.push(path);
        }
    }
    found
}

/// A client with its own upload folder, a user with 100 credits and one project.
struct Setup<E> {
    cli: TestClient<E>,
    state: api::AppState,
    db: DatabaseConnection,
    /// Parent of the upload folder: nothing may ever be written beside `uploads`.
    base: TempDir,
    uploads: PathBuf,
    user_id: String,
    token: String,
    project_id: String,
}

async fn setup(db: &tests::TestDb) -> Setup<impl Endpoint> {
    let base = TempDir::new("uploads-").unwrap();
    let uploads = base.path().join("uploads");
    let dir = uploads.to_str().unwrap().to_owned();
    let (cli, state) = api_client::start(db, &[("UPLOAD_DIR", dir.as_str())]).await;
    let (user_id, token) = register(&cli, "uploader@example.com").await;
    let project_id = create_project(&cli, &token).await;
    Setup {
        cli,
        db: state.db.clone(),
        state,
        base,
        uploads,
        user_id,
        token,
        project_id,
    }
}

async fn create_project<E: Endpoint>(cli: &TestClient<E>, token: &str) -> String {
    let created = send(
        cli.post(format!("{BASE}/projects"))
            .header("Authorization", format!("Bearer {token}"))
            .body_json(&json!({ "name": "Uploads" })),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    created.body["project"]["id"].as_str().unwrap().to_owned()
}

pub(crate) fn image_form(bytes: Vec<u8>, file_name: &str) -> TestForm {
    TestForm::new()
        .field(
            TestFormField::bytes(bytes)
                .name("image")
                .filename(file_name)
                .content_type("application/octet-stream"),
        )
        .text("name", "Sarah")
}

impl<E: Endpoint> Setup<E> {
    async fn upload_to(&self, project_id: &str, token: &str, form: TestForm) -> Reply {
        send(
            self.cli
                .post(format!("{BASE}/projects/{project_id}/avatars/upload"))
                .header("Authorization", format!("Bearer {token}"))
                .multipart(form),
        )
        .await
    }

    async fn upload(&self, form: TestForm) -> Reply {
        self.upload_to(&self.project_id, &self.token, form).await
    }

    async fn balance(&self) -> i32 {
        ledger::balance(&self.db, &self.user_id).await.unwrap()
    }

    /// No file anywhere under the base folder, no avatar, no app usage, no charge.
    async fn assert_nothing_stored(&self, balance: i32, context: &str) {
        let files = files_under(self.base.path());
        assert!(files.is_empty(), "{context}: files left behind: {files:?}");
        assert_eq!(
            avatars::Entity::find().count(&self.db).await.unwrap(),
            0,
            "{context}: avatar rows"
        );
        assert_eq!(
            app_usages::Entity::find().count(&self.db).await.unwrap(),
            0,
            "{context}: app usage rows"
        );
        assert_eq!(self.balance().await, balance, "{context}: balance");
    }
}

fn stored_path(uploads: &Path, url: &str) -> PathBuf {
    uploads.join(url.strip_prefix("/uploads/").expect("an /uploads/ URL"))
}

dual_test!(png_jpeg_and_webp_uploads_are_stored_charged_and_served);
/// A PNG, a JPEG and a WebP upload: 201 with the avatar and its project, the
/// original stored unchanged under a random name with the right extension, a
/// 300×300 JPEG thumbnail, 2 credits charged each time, one app-usage row each,
/// and the files served at their URLs.
async fn png_jpeg_and_webp_uploads_are_stored_charged_and_served(db: TestDb) {
    let s = setup(&db).await;
    let cases = [
        (png(400, 300), "portrait.png", "png", "image/png"),
        (jpeg(512, 768), "Portrait.JPEG", "jpg", "image/jpeg"),
        (webp(300, 300), "portrait.webp", "webp", "image/webp"),
    ];
    for (i, (bytes, file_name, ext, mime)) in cases.into_iter().enumerate() {
        let form = image_form(bytes.clone(), file_name)
            .text("personaName", "  Sarah Chen ")
            .text("personaAge", "32")
            .text("personaPersonality", r#"[" friendly ", "professional"]"#)
            .text("gender", "female")
            .text("style", "")
            .text("unknownPart", "ignored");
        let reply = s.upload(form).await;
        assert_eq!(
            reply.status,
            StatusCode::CREATED,
            "{file_name}: {:?}",
            reply.body
        );
        assert_eq!(reply.body["message"], "Avatar uploaded successfully");
        assert_eq!(reply.body["creditUsed"], 2);
        let expected_balance = 100 - 2 * (i as i64 + 1);
        assert_eq!(reply.body["creditBalance"], expected_balance);
        assert_eq!(i64::from(s.balance().await), expected_balance);

        let avatar = &reply.body["avatar"];
        assert_eq!(avatar["sourceType"], "uploaded");
        assert_eq!(avatar["name"], "Sarah");
        assert_eq!(avatar["userId"], s.user_id.as_str());
        assert_eq!(avatar["projectId"], s.project_id.as_str());
        assert_eq!(avatar["project"]["id"], s.project_id.as_str());
        assert_eq!(avatar["personaName"], "Sarah Chen");
        assert_eq!(avatar["personaAge"], 32);
        assert_eq!(
            avatar["personaPersonality"],
            r#"["friendly","professional"]"#
        );
        assert_eq!(avatar["gender"], "female");
        assert_eq!(avatar["style"], Value::Null);
        assert_eq!(avatar["generationPrompt"], Value::Null);
        assert_eq!(avatar["usageCount"], 0);

        let base_url = avatar["baseImageUrl"].as_str().unwrap();
        let prefix = format!("/uploads/avatar-creator/{}/", s.user_id);
        let name = base_url
            .strip_prefix(&prefix)
            .expect("stored under the user's folder");
        let (stem, got_ext) = name.split_once('.').unwrap();
        assert_eq!(got_ext, ext);
        assert_eq!(stem.len(), 32);
        assert!(
            stem.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        let thumb_url = avatar["thumbnailUrl"].as_str().unwrap();
        assert_eq!(thumb_url, format!("{prefix}{stem}_thumb.jpg"));

        assert_eq!(
            std::fs::read(stored_path(&s.uploads, base_url)).unwrap(),
            bytes
        );
        let thumb = image::open(stored_path(&s.uploads, thumb_url)).expect("thumbnail decodes");
        assert_eq!((thumb.width(), thumb.height()), (300, 300));

        let served = s.cli.get(base_url).send().await;
        served.assert_status_is_ok();
        served.assert_header("Content-Type", mime);
        served.assert_header("X-Content-Type-Options", "nosniff");
        served.assert_bytes(bytes).await;
        let served = s.cli.get(thumb_url).send().await;
        served.assert_status_is_ok();
        served.assert_header("Content-Type", "image/jpeg");

        let id = avatar["id"].as_str().unwrap();
        let usage = app_usages::Entity::find()
            .filter(app_usages::Column::UserId.eq(s.user_id.as_str()))
            .all(&s.db)
            .await
            .unwrap();
        assert_eq!(usage.len(), i + 1);
        let row = usage
            .iter()
            .find(|u| u.metadata.as_deref().is_some_and(|m| m.contains(id)))
            .unwrap();
        assert_eq!(
            (row.app_id.as_str(), row.action.as_str(), row.credit_used),
            ("avatar-creator", "upload_avatar", 2)
        );
        let metadata: Value = serde_json::from_str(row.metadata.as_deref().unwrap()).unwrap();
        assert_eq!(
            metadata,
            json!({ "avatarId": id, "projectId": s.project_id })
        );
        let charge = credits::Entity::find()
            .filter(credits::Column::ReferenceId.eq(id))
            .one(&s.db)
            .await
            .unwrap()
            .expect("a ledger row for the avatar");
        assert_eq!(charge.amount, -2);
        assert_eq!(charge.r#type, "usage");
        assert_eq!(
            charge.description.as_deref(),
            Some("avatar-creator: upload_avatar")
        );
        assert_eq!(charge.reference_type.as_deref(), Some("app_usage"));
    }
    // Original + thumbnail per upload, and nothing else (no temporary files).
    assert_eq!(files_under(s.base.path()).len(), 6);
    let project = crate::api_client::get_as(
        &s.cli,
        &format!("{BASE}/projects/{}", s.project_id),
        &s.token,
    )
    .await;
    assert_eq!(
        project.body["project"]["avatars"].as_array().unwrap().len(),
        3
    );
}

dual_test!(refused_uploads_store_nothing);
/// Every refused upload answers the documented status and leaves nothing behind:
/// no file, no avatar, no app usage, no charge.
async fn refused_uploads_store_nothing(db: TestDb) {
    let s = setup(&db).await;
    let (_, other_token) = register(&s.cli, "other@example.com").await;
    let foreign_project = create_project(&s.cli, &other_token).await;

    // Not an image: 415 with the detected type.
    let reply = s
        .upload(image_form(
            b"just some text, not a picture".to_vec(),
            "x.png",
        ))
        .await;
    assert_eq!(
        reply.status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "{:?}",
        reply.body
    );
    assert_eq!(reply.error_code(), "UNSUPPORTED_MEDIA_TYPE");
    assert_eq!(reply.body["error"]["details"]["detected"], "text/plain");
    assert_eq!(
        reply.body["error"]["details"]["allowed"],
        json!(["image/jpeg", "image/png", "image/webp"])
    );
    assert_eq!(
        reply.error_message(),
        "Invalid image format. Only image/jpeg, image/png, image/webp are allowed. Detected: text/plain"
    );
    s.assert_nothing_stored(100, "non-image").await;

    // A PNG named .jpg: 400 on image (the declared part type is ignored anyway).
    let reply = s.upload(image_form(png(300, 300), "photo.jpg")).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{:?}", reply.body);
    assert_eq!(
        reply.body["error"]["details"]["image"][0],
        "File extension does not match the image type"
    );
    s.assert_nothing_stored(100, "mismatched extension").await;

    // Too small and too large sides.
    for (bytes, what) in [(png(255, 300), "< 256 px"), (png(300, 4097), "> 4096 px")] {
        let reply = s.upload(image_form(bytes, "x.png")).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{what}: {:?}",
            reply.body
        );
        assert_eq!(
            reply.body["error"]["details"]["image"][0],
            "Image dimensions must be between 256 and 4096 pixels"
        );
        s.assert_nothing_stored(100, what).await;
    }

    // A decompression bomb: refused from its header, nothing decoded.
    let reply = s.upload(image_form(png_bomb(), "bomb.png")).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{:?}", reply.body);
    s.assert_nothing_stored(100, "bomb").await;

    // A truncated JPEG: cannot be decoded.
    let mut broken = jpeg(400, 400);
    broken.truncate(300);
    let reply = s.upload(image_form(broken, "x.jpg")).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{:?}", reply.body);
    assert_eq!(
        reply.body["error"]["details"]["image"][0],
        "Image could not be decoded"
    );
    s.assert_nothing_stored(100, "truncated").await;

    // Over 10 MiB: just over the file limit, and far over the request limit
    // (refused while streaming).
    for size in [10 * 1024 * 1024 + 1, 12 * 1024 * 1024] {
        let mut big = png(300, 300);
        big.resize(size, 0);
        let reply = s.upload(image_form(big, "big.png")).await;
        assert_eq!(
            reply.status,
            StatusCode::PAYLOAD_TOO_LARGE,
            "{size}: {:?}",
            reply.body
        );
        assert_eq!(reply.error_code(), "PAYLOAD_TOO_LARGE");
        assert_eq!(reply.body["error"]["details"]["maxBytes"], 10_485_760);
        s.assert_nothing_stored(100, "too large").await;
    }

    // Empty file, missing image, missing name.
    let reply = s.upload(image_form(Vec::new(), "x.png")).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        reply.body["error"]["details"]["image"][0],
        "Image file is empty"
    );
    let reply = s.upload(TestForm::new().text("name", "Sarah")).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        reply.body["error"]["details"]["image"][0],
        "Image file is required"
    );
    let reply = s
        .upload(
            TestForm::new().field(
                TestFormField::bytes(png(300, 300))
                    .name("image")
                    .filename("x.png"),
            ),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(
        reply.body["error"]["details"]["name"].is_array(),
        "{:?}",
        reply.body
    );
    let reply = s
        .upload(image_form(png(300, 300), "x.png").text("personaPersonality", "friendly"))
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        reply.body["error"]["details"]["personaPersonality"][0],
        "Must be a JSON array of strings"
    );
    s.assert_nothing_stored(100, "form errors").await;

    // Another user's project (and an unknown one): 404, checked before the content.
    for project in [
        foreign_project.as_str(),
        "cmissingproject0000000000",
        "..%2F..%2Fetc",
    ] {
        let reply = s
            .upload_to(
                project,
                &s.token,
                image_form(b"not an image".to_vec(), "x.png"),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::NOT_FOUND,
            "{project}: {:?}",
            reply.body
        );
        assert_eq!(reply.error_message(), "Project not found");
    }
    s.assert_nothing_stored(100, "foreign project").await;

    // No token: 401.
    let reply = send(
        s.cli
            .post(format!("{BASE}/projects/{}/avatars/upload", s.project_id))
            .multipart(image_form(png(300, 300), "x.png")),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    s.assert_nothing_stored(100, "no token").await;

    // Not enough credits: 402 with required/available, the files written before
    // the transaction are removed again.
    let txn = ledger::begin(&s.db).await.unwrap();
    ledger::append(
        &txn,
        &s.user_id,
        NewEntry::new(-99, EntryType::Usage, "drain"),
    )
    .await
    .unwrap();
    txn.commit().await.unwrap();
    let reply = s.upload(image_form(png(300, 300), "x.png")).await;
    assert_eq!(
        reply.status,
        StatusCode::PAYMENT_REQUIRED,
        "{:?}",
        reply.body
    );
    assert_eq!(reply.error_code(), "INSUFFICIENT_CREDITS");
    assert_eq!(
        reply.body["error"]["details"],
        json!({ "required": 2, "available": 1 })
    );
    s.assert_nothing_stored(1, "no credits").await;
}

dual_test!(client_file_names_never_reach_the_disk);
/// The client's file name is never used for storage: a path-traversal name is
/// stored under a random name inside the user's folder.
async fn client_file_names_never_reach_the_disk(db: TestDb) {
    let s = setup(&db).await;
    for name in [
        "../../x.png",
        "..\\..\\x.png",
        "/etc/x.png",
        "%2e%2e%2fx.png",
    ] {
        let reply = s.upload(image_form(png(300, 300), name)).await;
        assert_eq!(
            reply.status,
            StatusCode::CREATED,
            "{name}: {:?}",
            reply.body
        );
        let url = reply.body["avatar"]["baseImageUrl"].as_str().unwrap();
        assert!(!url.contains("x.png") && !url.contains(".."), "{url}");
    }
    let user_dir = s.uploads.join("avatar-creator").join(&s.user_id);
    for file in files_under(s.base.path()) {
        assert_eq!(file.parent(), Some(user_dir.as_path()), "{file:?}");
        assert!(
            !file
                .file_name()
                .unwrap()
                .to_string_lossy()
                .contains("x.png")
        );
    }
    assert_eq!(files_under(s.base.path()).len(), 8);
}

dual_test!(enterprise_unlimited_uploads_are_free);
/// `enterprise_unlimited` users pay nothing: no ledger row, an app-usage row with
/// `creditUsed 0`.
async fn enterprise_unlimited_uploads_are_free(db: TestDb) {
    let s = setup(&db).await;
    let user = users::Entity::find_by_id(s.user_id.as_str())
        .one(&s.db)
        .await
        .unwrap()
        .unwrap();
    let mut user: users::ActiveModel = user.into();
    user.user_tags = Set(Some(r#"["enterprise_unlimited"]"#.to_owned()));
    user.update(&s.db).await.unwrap();
    let reply = s.upload(image_form(jpeg(300, 300), "x.jpg")).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    assert_eq!(reply.body["creditUsed"], 0);
    assert_eq!(reply.body["creditBalance"], 100);
    assert_eq!(
        credits::Entity::find().count(&s.db).await.unwrap(),
        1,
        "only the bonus"
    );
    let usage = app_usages::Entity::find()
        .one(&s.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(usage.credit_used, 0);
}

dual_test!(deleting_a_project_removes_its_avatars_rows_and_files);
/// The runbook's workflow: an uploaded avatar is read back, its persona edited, an
/// avatar generated from a prompt (202, polled to a PNG of the requested size), and
/// deleting the project removes its rows and its files.
async fn deleting_a_project_removes_its_avatars_rows_and_files(db: TestDb) {
    let s = setup(&db).await;
    let uploaded = s.upload(image_form(png(640, 480), "portrait.png")).await;
    assert_eq!(uploaded.status, StatusCode::CREATED, "{:?}", uploaded.body);
    let avatar_id = uploaded.body["avatar"]["id"].as_str().unwrap().to_owned();
    assert_eq!(files_under(&s.uploads).len(), 2, "original and thumbnail");

    let got = get_as(&s.cli, &format!("{BASE}/avatars/{avatar_id}"), &s.token).await;
    assert_eq!(got.status, StatusCode::OK);
    let edited = send(
        s.cli
            .put(format!("{BASE}/avatars/{avatar_id}"))
            .header("Authorization", format!("Bearer {}", s.token))
            .body_json(&json!({ "personaName": "Sarah Chen", "personaPersonality": ["calm"] })),
    )
    .await;
    assert_eq!(edited.status, StatusCode::OK, "{:?}", edited.body);

    // Generate from a prompt (202), poll until completed: a PNG of the requested size.
    let workers = api::jobs::Workers::start(&s.state, 1);
    let started = send(
        s.cli
            .post(format!("{BASE}/projects/{}/avatars/generate", s.project_id))
            .header("Authorization", format!("Bearer {}", s.token))
            .body_json(&json!({ "name": "Generated Sarah", "prompt": "studio portrait of Sarah in a navy blazer",
                                "width": 768, "height": 1024 })),
    )
    .await;
    assert_eq!(started.status, StatusCode::ACCEPTED, "{:?}", started.body);
    let generation_id = started.body["generation"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut generation = Value::Null;
    for _ in 0..600 {
        let polled = get_as(
            &s.cli,
            &format!("{BASE}/generations/{generation_id}"),
            &s.token,
        )
        .await;
        generation = polled.body["generation"].clone();
        if generation["status"] != "pending" && generation["status"] != "processing" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    workers.stop().await;
    assert_eq!(generation["status"], "completed", "{generation:?}");
    let generated = get_as(
        &s.cli,
        &format!(
            "{BASE}/avatars/{}",
            generation["avatarId"].as_str().unwrap()
        ),
        &s.token,
    )
    .await;
    let url = generated.body["avatar"]["baseImageUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    let bytes = s
        .cli
        .get(&url)
        .send()
        .await
        .0
        .into_body()
        .into_vec()
        .await
        .unwrap();
    assert_eq!(
        image::guess_format(&bytes).unwrap(),
        image::ImageFormat::Png
    );
    let decoded = image::load_from_memory(&bytes).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (768, 1024));
    assert_eq!(
        files_under(&s.uploads).len(),
        4,
        "two originals, two thumbnails"
    );

    // Deleting an avatar removes its two files.
    let gone = send(
        s.cli
            .delete(format!(
                "{BASE}/avatars/{}",
                generation["avatarId"].as_str().unwrap()
            ))
            .header("Authorization", format!("Bearer {}", s.token)),
    )
    .await;
    assert_eq!(gone.status, StatusCode::OK, "{:?}", gone.body);
    assert_eq!(
        files_under(&s.uploads).len(),
        2,
        "the generated avatar's files removed"
    );
    s.cli
        .get(&url)
        .send()
        .await
        .assert_status(StatusCode::NOT_FOUND);

    let deleted = send(
        s.cli
            .delete(format!("{BASE}/projects/{}", s.project_id))
            .header("Authorization", format!("Bearer {}", s.token)),
    )
    .await;
    assert_eq!(deleted.status, StatusCode::OK, "{:?}", deleted.body);
    assert_eq!(avatars::Entity::find().count(&s.db).await.unwrap(), 0);
    assert_eq!(
        entity::avatar_generations::Entity::find()
            .count(&s.db)
            .await
            .unwrap(),
        0
    );
    assert!(
        files_under(&s.uploads).is_empty(),
        "files removed after the commit"
    );
}

/// A TIFF (EXIF) block, little-endian: IFD0 with `Orientation` = `orientation` and a
/// GPS IFD holding a latitude of 52° N.
fn exif_with_gps(orientation: u16) -> Vec<u8> {
    let mut t = b"II*\0".to_vec();
    t.extend_from_slice(&8u32.to_le_bytes()); // IFD0 at 8
    let entry = |tag: u16, kind: u16, count: u32, value: u32| {
        let mut e = tag.to_le_bytes().to_vec();
        e.extend_from_slice(&kind.to_le_bytes());
        e.extend_from_slice(&count.to_le_bytes());
        e.extend_from_slice(&value.to_le_bytes());
        e
    };
    // IFD0: 2 entries (8 + 2 + 24 + 4 = 38 bytes), GPS IFD at 38.
    t.extend_from_slice(&2u16.to_le_bytes());
    t.extend(entry(0x0112, 3, 1, u32::from(orientation)));
    t.extend(entry(0x8825, 4, 1, 38));
    t.extend_from_slice(&0u32.to_le_bytes());
    // GPS IFD: LatitudeRef "N", Latitude 52/1 0/1 0/1 at 38 + 2 + 24 + 4 = 68.
    t.extend_from_slice(&2u16.to_le_bytes());
    t.extend(entry(0x0001, 2, 2, u32::from_le_bytes(*b"N\0\0\0")));
    t.extend(entry(0x0002, 5, 3, 68));
    t.extend_from_slice(&0u32.to_le_bytes());
    for (num, den) in [(52u32, 1u32), (0, 1), (0, 1)] {
        t.extend_from_slice(&num.to_le_bytes());
        t.extend_from_slice(&den.to_le_bytes());
    }
    t
}

/// `jpeg` with an APP1 EXIF segment (`exif`) and a comment right after SOI.
fn jpeg_with_exif(jpeg: &[u8], exif: &[u8]) -> Vec<u8> {
    let mut out = jpeg[..2].to_vec();
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(exif);
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&u16::try_from(app1.len() + 2).unwrap().to_be_bytes());
    out.extend_from_slice(&app1);
    let comment = b"shot at home, 52.0 N";
    out.extend_from_slice(&[0xFF, 0xFE]);
    out.extend_from_slice(&u16::try_from(comment.len() + 2).unwrap().to_be_bytes());
    out.extend_from_slice(comment);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// `png` with `tEXt` and `iTXt` chunks right after IHDR.
fn png_with_text(png: &[u8]) -> Vec<u8> {
    let ihdr_end = 8 + 4 + 4 + 13 + 4;
    let mut out = png[..ihdr_end].to_vec();
    for (kind, data) in [
        (b"tEXt", b"Comment\0secret-location-52N".to_vec()),
        (b"iTXt", b"Author\0\0\0\0\0Dewi at home".to_vec()),
    ] {
        let mut chunk = kind.to_vec();
        chunk.extend_from_slice(&data);
        out.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
        out.extend_from_slice(&chunk);
        out.extend_from_slice(&crc32(&chunk).to_be_bytes());
    }
    out.extend_from_slice(&png[ihdr_end..]);
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

dual_test!(uploads_are_stored_without_their_metadata);
/// Stored originals carry no metadata: a phone photo's EXIF (with its GPS
/// position) and comment are gone, and its orientation was applied to the pixels
/// first; a PNG's text chunks are gone and its pixels are the same.
async fn uploads_are_stored_without_their_metadata(db: TestDb) {
    let s = setup(&db).await;
    // 640×480 pixels, EXIF orientation 6: shown rotated 90° clockwise, 480×640.
    let photo = jpeg_with_exif(&jpeg(640, 480), &exif_with_gps(6));
    assert!(contains(&photo, b"Exif\0\0") && contains(&photo, b"52.0 N"));
    let uploaded = s.upload(image_form(photo, "phone.jpg")).await;
    assert_eq!(uploaded.status, StatusCode::CREATED, "{:?}", uploaded.body);
    let url = uploaded.body["avatar"]["baseImageUrl"].as_str().unwrap();
    let stored = s
        .cli
        .get(url)
        .send()
        .await
        .0
        .into_body()
        .into_vec()
        .await
        .unwrap();
    assert!(!contains(&stored, b"Exif"), "EXIF left in the stored file");
    assert!(
        !contains(&stored, b"52.0 N"),
        "comment left in the stored file"
    );
    let decoded = image::load_from_memory(&stored).unwrap();
    assert_eq!(
        (decoded.width(), decoded.height()),
        (480, 640),
        "orientation applied"
    );

    let plain = png(320, 400);
    let tagged = png_with_text(&plain);
    assert!(contains(&tagged, b"secret-location-52N"));
    let uploaded = s.upload(image_form(tagged, "me.png")).await;
    assert_eq!(uploaded.status, StatusCode::CREATED, "{:?}", uploaded.body);
    let url = uploaded.body["avatar"]["baseImageUrl"].as_str().unwrap();
    let stored = s
        .cli
        .get(url)
        .send()
        .await
        .0
        .into_body()
        .into_vec()
        .await
        .unwrap();
    assert!(!contains(&stored, b"secret-location-52N") && !contains(&stored, b"Dewi at home"));
    assert_eq!(stored, plain, "only the text chunks were removed");

    // An image without metadata is stored byte for byte.
    let clean = jpeg(300, 300);
    let uploaded = s.upload(image_form(clean.clone(), "clean.jpg")).await;
    let url = uploaded.body["avatar"]["baseImageUrl"].as_str().unwrap();
    let stored = s
        .cli
        .get(url)
        .send()
        .await
        .0
        .into_body()
        .into_vec()
        .await
        .unwrap();
    assert_eq!(stored, clean);
}
