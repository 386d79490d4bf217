//! Fewer bytes and fewer round trips (api.md §1.3): `Content-Encoding` negotiated by
//! `Accept-Encoding`, strong `ETag`s with `If-None-Match` → 304, and the cache policy
//! of each kind of answer.

use entity::{avatars, pose_library};
use migration::sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, EntityTrait, QueryFilter,
    sea_query::{Expr, ExprTrait},
};
use migration::seed::{self, pose_images::PoseImagePaths, poses::LIBRARY_POSES};
use poem::{Endpoint, http::StatusCode, test::TestClient};
use serde_json::{Value, json};
use tests::{Backend, TestDb, dual_test};
use tokio::io::AsyncReadExt;

use crate::api_client::{get_as, register, send};
use crate::pose_generation::{Setup, setup};

const AC: &str = "/api/apps/avatar-creator";
const PG: &str = "/api/apps/pose-generator";

/// Seeds the reference data with empty image files (the library's JSON is what matters).
async fn seeded<E: Endpoint>(s: &Setup<E>) {
    let dir = s._presets.path();
    for pose in &LIBRARY_POSES {
        for path in PoseImagePaths::of(dir, pose).all() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, b"").unwrap();
        }
    }
    seed::seed(&s.state.db, dir).await.unwrap();
}

/// A raw answer: status, headers, body bytes as sent.
struct Raw {
    status: StatusCode,
    headers: poem::http::HeaderMap,
    body: Vec<u8>,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn etag(&self) -> String {
        self.header("etag").expect("an ETag").to_owned()
    }
}

async fn raw<E: Endpoint>(
    cli: &TestClient<E>,
    path: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
) -> Raw {
    let mut req = cli.get(path);
    if let Some(token) = token {
        req = req.header("Authorization", format!("Bearer {token}"));
    }
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let resp = req.send().await.0;
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp.into_body().into_vec().await.unwrap();
    Raw {
        status,
        headers,
        body,
    }
}

async fn decode(coding: &str, body: &[u8]) -> Vec<u8> {
    use async_compression::tokio::bufread::{BrotliDecoder, GzipDecoder, ZstdDecoder};
    let mut out = Vec::new();
    match coding {
        "br" => BrotliDecoder::new(body).read_to_end(&mut out).await,
        "gzip" => GzipDecoder::new(body).read_to_end(&mut out).await,
        "zstd" => ZstdDecoder::new(body).read_to_end(&mut out).await,
        other => panic!("unexpected coding {other}"),
    }
    .unwrap();
    out
}

fn varies_by_encoding(answer: &Raw) -> bool {
    answer.headers.get_all("vary").iter().any(|v| {
        v.to_str()
            .unwrap()
            .to_ascii_lowercase()
            .contains("accept-encoding")
    })
}

dual_test!(answers_are_compressed_as_the_client_prefers);
/// JSON and YAML of at least 1 KB come as br, zstd or gzip by the client's
/// q-values, decode to the identity bytes, and say `Vary: Accept-Encoding`; small
/// answers and images are sent as they are.
async fn answers_are_compressed_as_the_client_prefers(db: TestDb) {
    let s = setup(&db, &[]).await;
    seeded(&s).await;
    let library = format!("{PG}/library");
    let plain = raw(&s.cli, &library, Some(&s.token), &[]).await;
    assert_eq!(plain.status, StatusCode::OK);
    assert!(plain.body.len() >= 1024, "{} bytes", plain.body.len());
    assert_eq!(plain.header("content-encoding"), None);
    assert!(varies_by_encoding(&plain));
    let tag = plain.etag();

    for (accept, expected) in [
        ("gzip, br", Some("br")),
        ("gzip", Some("gzip")),
        ("zstd", Some("zstd")),
        ("br;q=0.5, zstd;q=0.9, gzip;q=0.1", Some("zstd")),
        ("br;q=0, gzip", Some("gzip")),
        ("*", Some("br")),
        ("gzip;q=0, deflate", None),
        ("identity", None),
        ("gzip;q=0.4, identity;q=1", None),
    ] {
        let answer = raw(
            &s.cli,
            &library,
            Some(&s.token),
            &[("Accept-Encoding", accept)],
        )
        .await;
        assert_eq!(answer.status, StatusCode::OK, "{accept}");
        assert!(varies_by_encoding(&answer), "{accept}");
        assert_eq!(answer.header("content-encoding"), expected, "{accept}");
        match expected {
            Some(coding) => {
                assert!(
                    answer.body.len() < plain.body.len() / 3,
                    "{accept}: {} bytes",
                    answer.body.len()
                );
                assert_eq!(decode(coding, &answer.body).await, plain.body, "{accept}");
                // The compressed representation has a validator of its own, and a
                // client revalidating with it gets a 304.
                let etag = answer.etag();
                assert_eq!(etag, format!("{}-{coding}\"", tag.trim_end_matches('"')));
                let again = raw(
                    &s.cli,
                    &library,
                    Some(&s.token),
                    &[("Accept-Encoding", accept), ("If-None-Match", &etag)],
                )
                .await;
                assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{accept}");
                assert!(again.body.is_empty());
                assert!(varies_by_encoding(&again));
            }
            None => assert_eq!(answer.body, plain.body, "{accept}"),
        }
    }

    // The YAML document too.
    let yaml = raw(&s.cli, "/openapi.yaml", None, &[("Accept-Encoding", "br")]).await;
    assert_eq!(yaml.header("content-encoding"), Some("br"));
    assert!(varies_by_encoding(&yaml));

    // A small answer is not worth compressing (but still says what it varies by).
    let small = raw(
        &s.cli,
        "/api/credits/balance",
        Some(&s.token),
        &[("Accept-Encoding", "gzip, br")],
    )
    .await;
    assert_eq!(small.status, StatusCode::OK);
    assert!(small.body.len() < 1024);
    assert_eq!(small.header("content-encoding"), None);

    // Images are compressed already: sent as stored, whatever the client accepts.
    let mut png = Vec::new();
    let noise = image::RgbImage::from_fn(64, 64, |x, y| {
        image::Rgb([(x * 7 + y * 13) as u8, (x ^ y) as u8, (x * y) as u8])
    });
    image::DynamicImage::ImageRgb8(noise)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    assert!(png.len() >= 1024);
    std::fs::write(s._presets.path().join("noise.png"), &png).unwrap();
    let image = raw(
        &s.cli,
        "/presets/noise.png",
        None,
        &[("Accept-Encoding", "gzip, br, zstd")],
    )
    .await;
    assert_eq!(image.status, StatusCode::OK);
    assert_eq!(image.header("content-encoding"), None);
    assert_eq!(image.body, png);
}

dual_test!(project_list_etag_follows_every_change);
/// `GET /projects`: the validator changes with every create, update and delete of
/// the caller's projects and avatars (the Pose Generator's usage counter included),
/// never with another user's; a match is a 304 with no body, after the token check.
async fn project_list_etag_follows_every_change(db: TestDb) {
    let s = setup(&db, &[]).await;
    let cli = &s.cli;
    let token = s.token.as_str();
    let list = format!("{AC}/projects");
    let (bob_id, bob) = register(cli, "bob-etag@example.com").await;
    let auth = format!("Bearer {token}");
    let bob_auth = format!("Bearer {bob}");

    let first = raw(cli, &list, Some(token), &[]).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.header("cache-control"), Some("private, no-cache"));
    assert_eq!(first.header("pragma"), None);
    let mut seen = vec![first.etag()];

    // Revalidates: 304, no body, the same tag.
    let check = async |tag: &str| raw(cli, &list, Some(token), &[("If-None-Match", tag)]).await;
    let unchanged = check(&seen[0]).await;
    assert_eq!(unchanged.status, StatusCode::NOT_MODIFIED);
    assert!(unchanged.body.is_empty());
    assert_eq!(unchanged.etag(), seen[0]);
    assert_eq!(unchanged.header("cache-control"), Some("private, no-cache"));
    assert!(unchanged.header("x-request-id").is_some());

    // After each change of the caller's data the old tag gets a 200 with a new one.
    let changed = async |seen: &mut Vec<String>, what: &str| {
        let last = seen.last().unwrap().clone();
        let answer = check(&last).await;
        assert_eq!(answer.status, StatusCode::OK, "after {what}");
        let tag = answer.etag();
        // (An answer equal to an earlier one may have its tag again: the avatar
        // deleted below leaves the list as it was after the update.)
        assert_ne!(tag, last, "after {what}");
        let body: Value = serde_json::from_slice(&answer.body).unwrap();
        let plain = get_as(cli, &list, token).await;
        assert_eq!(body, plain.body, "after {what}");
        assert_eq!(
            check(&tag).await.status,
            StatusCode::NOT_MODIFIED,
            "after {what}"
        );
        seen.push(tag);
        body
    };

    let created = send(
        cli.post(&list)
            .header("Authorization", &auth)
            .body_json(&json!({ "name": "One" })),
    )
    .await;
    let id = created.body["project"]["id"].as_str().unwrap().to_owned();
    let body = changed(&mut seen, "create").await;
    assert_eq!(body["projects"][0]["name"], "One");

    // Another user's create, update and delete are not the caller's answer.
    let theirs = send(
        cli.post(&list)
            .header("Authorization", &bob_auth)
            .body_json(&json!({ "name": "Bob's" })),
    )
    .await;
    let theirs = theirs.body["project"]["id"].as_str().unwrap().to_owned();
    send(
        cli.put(format!("{list}/{theirs}"))
            .header("Authorization", &bob_auth)
            .body_json(&json!({ "name": "Bob 2" })),
    )
    .await;
    avatar(&s, "cavatarbob0000000000000001", &theirs, &bob_id).await;
    send(
        cli.delete(format!("{list}/{theirs}"))
            .header("Authorization", &bob_auth),
    )
    .await;
    assert_eq!(
        check(seen.last().unwrap()).await.status,
        StatusCode::NOT_MODIFIED
    );

    send(
        cli.put(format!("{list}/{id}"))
            .header("Authorization", &auth)
            .body_json(&json!({ "description": "d" })),
    )
    .await;
    changed(&mut seen, "update").await;

    avatar(&s, "cavatar0000000000000000001", &id, &s.user_id).await;
    let body = changed(&mut seen, "avatar created").await;
    assert_eq!(
        body["projects"][0]["avatars"][0]["id"],
        "cavatar0000000000000000001"
    );

    // The Pose Generator counts a use without touching updatedAt.
    avatars::Entity::update_many()
        .col_expr(
            avatars::Column::UsageCount,
            Expr::col(avatars::Column::UsageCount).add(1),
        )
        .filter(avatars::Column::Id.eq("cavatar0000000000000000001"))
        .exec(&s.state.db)
        .await
        .unwrap();
    let body = changed(&mut seen, "avatar used").await;
    assert_eq!(body["projects"][0]["avatars"][0]["usageCount"], 1);

    let later = chrono::Utc::now().naive_utc() + chrono::Duration::seconds(5);
    avatars::ActiveModel {
        id: Set("cavatar0000000000000000001".into()),
        name: Set("Renamed".into()),
        updated_at: Set(later),
        ..Default::default()
    }
    .update(&s.state.db)
    .await
    .unwrap();
    changed(&mut seen, "avatar updated").await;

    avatars::Entity::delete_by_id("cavatar0000000000000000001")
        .exec(&s.state.db)
        .await
        .unwrap();
    changed(&mut seen, "avatar deleted").await;

    // The session is still checked on the cheap path: an ended one is a 401.
    let logout = send(cli.post("/api/auth/logout").header("Authorization", &auth)).await;
    assert_eq!(logout.status, StatusCode::OK);
    let ended = check(seen.last().unwrap()).await;
    assert_eq!(ended.status, StatusCode::UNAUTHORIZED);
}

dual_test!(project_list_tag_and_kept_page_are_the_callers);
/// Two users whose projects have the same counts and times (rows written together, a
/// seed, an import) still get their own tags, so no cache keyed by the tag — the kept
/// page, the compressed bytes — ever hands one user's list to the other.
async fn project_list_tag_and_kept_page_are_the_callers(db: TestDb) {
    let s = setup(&db, &[]).await;
    let cli = &s.cli;
    let (bob_id, bob) = register(cli, "bob-same-times@example.com").await;
    for (user, letter) in [(&s.user_id, "a"), (&bob_id, "b")] {
        for n in 0..3 {
            entity::avatar_projects::ActiveModel {
                id: Set(format!("cproj{letter}{n:0>20}")),
                user_id: Set(user.clone()),
                name: Set(format!("Project {n}")),
                description: Set(Some(letter.repeat(500))),
                created_at: Set(at(0)),
                updated_at: Set(at(0)),
            }
            .insert(&s.state.db)
            .await
            .unwrap();
        }
    }
    let list = format!("{AC}/projects");
    let mut tags = Vec::new();
    for (token, letter) in [(s.token.as_str(), "a"), (bob.as_str(), "b")] {
        let mine = letter.repeat(500);
        for coding in ["br", "gzip", "identity"] {
            // Twice: the second answer comes from what the first one left behind.
            for _ in 0..2 {
                let answer = raw(cli, &list, Some(token), &[("Accept-Encoding", coding)]).await;
                assert_eq!(answer.status, StatusCode::OK);
                let body = match coding {
                    "identity" => answer.body.clone(),
                    coding => {
                        assert_eq!(answer.header("content-encoding"), Some(coding));
                        decode(coding, &answer.body).await
                    }
                };
                let body: Value = serde_json::from_slice(&body).unwrap();
                let projects = body["projects"].as_array().unwrap();
                assert_eq!(projects.len(), 3);
                for project in projects {
                    assert_eq!(project["description"], mine.as_str(), "{coding}");
                }
            }
        }
        tags.push(raw(cli, &list, Some(token), &[]).await.etag());
    }
    assert_ne!(tags[0], tags[1]);
}

dual_test!(project_list_tag_moves_with_writes_that_do_not_move_the_latest_time);
/// A write whose `updatedAt` is not after the latest one (two writes in the same
/// millisecond, or a replica whose clock is behind) still changes the tag, so neither
/// a client nor the page this process keeps is left with the old list.
async fn project_list_tag_moves_with_writes_that_do_not_move_the_latest_time(db: TestDb) {
    let s = setup(&db, &[]).await;
    let cli = &s.cli;
    let list = format!("{AC}/projects");
    let project = entity::avatar_projects::ActiveModel {
        id: Set("cprojclock0000000000000001".into()),
        user_id: Set(s.user_id.clone()),
        name: Set("Clock".into()),
        description: Set(None),
        created_at: Set(at(0)),
        updated_at: Set(at(10)),
    }
    .insert(&s.state.db)
    .await
    .unwrap();
    for (id, updated) in [
        ("cavatarclock00000000000001", 10),
        ("cavatarclock00000000000002", 5),
    ] {
        let mut row = tests::rows::uploaded_avatar(
            id,
            &s.user_id,
            &project.id,
            "Before",
            "/uploads/a.png",
            at(0),
        );
        row.updated_at = Set(at(updated));
        row.insert(&s.state.db).await.unwrap();
    }
    let before = raw(cli, &list, Some(&s.token), &[]).await;
    assert_eq!(before.status, StatusCode::OK);
    // Kept: the same answer again.
    assert_eq!(raw(cli, &list, Some(&s.token), &[]).await.body, before.body);

    // The older avatar renamed at the latest time the list already shows.
    avatars::ActiveModel {
        id: Set("cavatarclock00000000000002".into()),
        name: Set("After".into()),
        updated_at: Set(at(10)),
        ..Default::default()
    }
    .update(&s.state.db)
    .await
    .unwrap();
    let after = raw(cli, &list, Some(&s.token), &[]).await;
    assert_ne!(after.etag(), before.etag());
    let body: Value = serde_json::from_slice(&after.body).unwrap();
    let names: Vec<&str> = body["projects"][0]["avatars"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"After"), "{names:?}");
    let revalidated = raw(
        cli,
        &list,
        Some(&s.token),
        &[("If-None-Match", &before.etag())],
    )
    .await;
    assert_eq!(revalidated.status, StatusCode::OK);

    // An older project renamed the same way.
    let other = entity::avatar_projects::ActiveModel {
        id: Set("cprojclock0000000000000002".into()),
        user_id: Set(s.user_id.clone()),
        name: Set("Other".into()),
        description: Set(None),
        created_at: Set(at(0)),
        updated_at: Set(at(5)),
    }
    .insert(&s.state.db)
    .await
    .unwrap();
    let with_other = raw(cli, &list, Some(&s.token), &[]).await;
    entity::avatar_projects::ActiveModel {
        id: Set(other.id.clone()),
        name: Set("Renamed".into()),
        updated_at: Set(at(10)),
        ..Default::default()
    }
    .update(&s.state.db)
    .await
    .unwrap();
    let renamed = raw(cli, &list, Some(&s.token), &[]).await;
    assert_ne!(renamed.etag(), with_other.etag());
    let body: Value = serde_json::from_slice(&renamed.body).unwrap();
    let names: Vec<&str> = body["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"Renamed"), "{names:?}");
}

dual_test!(other_lists_are_tagged_by_their_content);
/// Lists without a validator of their own are tagged from their bytes: a new tag
/// with each change of the caller's rows, the same one after another user's.
async fn other_lists_are_tagged_by_their_content(db: TestDb) {
    let s = setup(&db, &[]).await;
    seeded(&s).await;
    let cli = &s.cli;
    let token = s.token.as_str();
    let (_, bob) = register(cli, "bob-lists@example.com").await;
    let list = format!("{PG}/projects");
    let first = raw(cli, &list, Some(token), &[]).await;
    assert_eq!(first.header("cache-control"), Some("private, no-cache"));
    let mut tag = first.etag();
    let pg_project =
        |name: &str| json!({ "projectName": name, "avatarImageUrl": "https://example.com/a.png" });

    let mine = send(
        cli.post(&list)
            .header("Authorization", format!("Bearer {token}"))
            .body_json(&pg_project("Mine")),
    )
    .await;
    assert_eq!(mine.status, StatusCode::CREATED, "{:?}", mine.body);
    let id = mine.body["project"]["id"].as_str().unwrap().to_owned();
    let theirs = send(
        cli.post(&list)
            .header("Authorization", format!("Bearer {bob}"))
            .body_json(&pg_project("Theirs")),
    )
    .await;
    assert_eq!(theirs.status, StatusCode::CREATED);
    let steps: [(&str, Option<Value>); 3] = [
        ("create", None),
        ("update", Some(json!({ "projectName": "Renamed" }))),
        ("delete", None),
    ];
    for (what, update) in steps {
        match (what, update) {
            ("update", Some(body)) => {
                send(
                    cli.put(format!("{list}/{id}"))
                        .header("Authorization", format!("Bearer {token}"))
                        .body_json(&body),
                )
                .await;
            }
            ("delete", _) => {
                send(
                    cli.delete(format!("{list}/{id}"))
                        .header("Authorization", format!("Bearer {token}")),
                )
                .await;
            }
            _ => {}
        }
        let answer = raw(cli, &list, Some(token), &[("If-None-Match", &tag)]).await;
        assert_eq!(answer.status, StatusCode::OK, "after {what}");
        assert_ne!(answer.etag(), tag, "after {what}");
        tag = answer.etag();
        // Bob's project changes: not the caller's answer.
        let bob_id = theirs.body["project"]["id"].as_str().unwrap();
        send(
            cli.put(format!("{list}/{bob_id}"))
                .header("Authorization", format!("Bearer {bob}"))
                .body_json(&json!({ "projectName": what })),
        )
        .await;
        let again = raw(cli, &list, Some(token), &[("If-None-Match", &tag)]).await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED, "after {what}");
    }

    // Reference data: a few minutes' reuse, then the same revalidation.
    let library = format!("{PG}/library");
    let first = raw(cli, &library, Some(token), &[]).await;
    assert_eq!(first.header("cache-control"), Some("private, max-age=300"));
    let tag = first.etag();
    assert_eq!(
        raw(cli, &library, Some(token), &[("If-None-Match", &tag)])
            .await
            .status,
        StatusCode::NOT_MODIFIED
    );
    // Its encoded form is kept by tag (api::http::compression): fetch it once now.
    let old_br = raw(cli, &library, Some(token), &[("Accept-Encoding", "br")]).await;
    assert_eq!(decode("br", &old_br.body).await, first.body);
    let pose = pose_library::Entity::find()
        .one(&s.state.db)
        .await
        .unwrap()
        .unwrap();
    pose_library::Entity::update_many()
        .col_expr(
            pose_library::Column::Name,
            Expr::value(format!("{} (new)", pose.name)),
        )
        .filter(pose_library::Column::Id.eq(pose.id.as_str()))
        .exec(&s.state.db)
        .await
        .unwrap();
    let answer = raw(cli, &library, Some(token), &[("If-None-Match", &tag)]).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_ne!(answer.etag(), tag);
    // The changed answer is encoded anew, never the kept bytes of the old one.
    let new_br = raw(cli, &library, Some(token), &[("Accept-Encoding", "br")]).await;
    assert_eq!(decode("br", &new_br.body).await, answer.body);
    assert_ne!(new_br.body, old_br.body);

    // Writes and errors are never stored.
    let denied = raw(cli, &list, None, &[]).await;
    assert_eq!(denied.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        denied.header("cache-control"),
        Some("no-cache, no-store, must-revalidate")
    );
    assert_eq!(denied.header("etag"), None);
}

dual_test!(database_written_project_list_equals_the_entity_path);
/// PostgreSQL writes the `GET /projects` page itself; it must be byte for byte what
/// the entity path serialises (SQLite's path), nulls, escapes and order included.
async fn database_written_project_list_equals_the_entity_path(db: TestDb) {
    if db.backend != Backend::Postgres {
        return;
    }
    let s = setup(&db, &[]).await;
    let cli = &s.cli;
    let auth = format!("Bearer {}", s.token);
    let mut ids = Vec::new();
    for name in [
        "Alpha \"quoted\" \\ slash",
        "Ünïcödé ✓ 🙂",
        "Tabs\tand\nnewlines",
    ] {
        let made = send(
            cli.post(format!("{AC}/projects"))
                .header("Authorization", &auth)
                .body_json(&json!({ "name": name, "description": "ctrl \u{1} </script>" })),
        )
        .await;
        ids.push(made.body["project"]["id"].as_str().unwrap().to_owned());
    }
    send(
        cli.post(format!("{AC}/projects"))
            .header("Authorization", &auth)
            .body_json(&json!({ "name": "Empty" })),
    )
    .await;
    avatar(&s, "cavatar0000000000000000001", &ids[0], &s.user_id).await;
    let full = avatars::ActiveModel {
        id: Set("cavatar0000000000000000002".into()),
        user_id: Set(s.user_id.clone()),
        project_id: Set(ids[0].clone()),
        name: Set("Full \u{7f} \u{1f}".into()),
        base_image_url: Set("/uploads/b.png".into()),
        thumbnail_url: Set(Some("/uploads/t.png".into())),
        persona_name: Set(Some("Sarah".into())),
        persona_age: Set(Some(32)),
        persona_personality: Set(Some("[\"a\",\"b\"]".into())),
        persona_background: Set(Some("line\r\nbreak".into())),
        gender: Set(Some("female".into())),
        age_range: Set(Some("adult".into())),
        ethnicity: Set(Some("e".into())),
        body_type: Set(Some("b".into())),
        hair_style: Set(Some("h".into())),
        hair_color: Set(Some("c".into())),
        eye_color: Set(Some("e".into())),
        skin_tone: Set(Some("s".into())),
        style: Set(Some("st".into())),
        source_type: Set("text_to_image".into()),
        generation_prompt: Set(Some("p".into())),
        seed_used: Set(Some(-7)),
        usage_count: Set(3),
        last_used_at: Set(Some(at(1))),
        created_at: Set(at(2)),
        updated_at: Set(at(3)),
    };
    full.insert(&s.state.db).await.unwrap();
    avatar(&s, "cavatar0000000000000000003", &ids[1], &s.user_id).await;

    let from_entities = serde_json::to_vec(
        &api::avatar_creator::project_list::entity_page(&s.state.db, &s.user_id)
            .await
            .unwrap(),
    )
    .unwrap();
    let from_database = api::avatar_creator::project_list::database_page(&s.state.db, &s.user_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        String::from_utf8(from_entities.clone()).unwrap(),
        from_database
    );
    // And that is what the route sends.
    let answer = raw(cli, &format!("{AC}/projects"), Some(&s.token), &[]).await;
    assert_eq!(answer.body, from_entities);
}

fn at(seconds: i64) -> chrono::NaiveDateTime {
    chrono::DateTime::from_timestamp_millis(1_760_781_600_123 + seconds * 1000)
        .unwrap()
        .naive_utc()
}

/// An avatar in `project` with only the required fields.
async fn avatar<E: Endpoint>(s: &Setup<E>, id: &str, project: &str, user: &str) {
    tests::rows::uploaded_avatar(
        id,
        user,
        project,
        "A",
        "/uploads/a.png",
        chrono::Utc::now().naive_utc(),
    )
    .insert(&s.state.db)
    .await
    .unwrap();
}
