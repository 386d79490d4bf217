//! Avatar Creator projects over HTTP (api.md §6.1–§6.5): the runbook's success
//! criteria, validation, ownership and the delete semantics.

use entity::{avatar_generations, avatars, pose_generator_projects};
use migration::sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use poem::http::StatusCode;
use serde_json::{Value, json};
use tests::{TestDb, dual_test};

use crate::api_client::{self, get_as, register, send};

const BASE: &str = "/api/apps/avatar-creator";

fn at() -> chrono::NaiveDateTime {
    chrono::DateTime::from_timestamp_millis(1_760_781_600_000)
        .unwrap()
        .naive_utc()
}

dual_test!(a_user_creates_lists_updates_and_deletes_a_project);
/// The runbook's success criteria: create a project (201), list it (200), read,
/// update and delete it, with no error anywhere.
async fn a_user_creates_lists_updates_and_deletes_a_project(db: TestDb) {
    let (cli, _) = api_client::start(&db, &[]).await;
    let (user_id, token) = register(&cli, "dewi@example.com").await;
    let auth = format!("Bearer {token}");

    let created = send(
        cli.post(format!("{BASE}/projects"))
            .header("Authorization", &auth)
            .body_json(&json!({ "name": "  Brand   Ambassadors ", "description": "Q4 campaign" })),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.body["message"], "Project created successfully");
    let project = &created.body["project"];
    assert_eq!(project["name"], "Brand Ambassadors");
    assert_eq!(project["userId"], user_id.as_str());
    assert_eq!(project["avatars"], json!([]));
    let id = project["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 25);
    assert!(project["createdAt"].as_str().unwrap().ends_with('Z'));

    let listed = get_as(&cli, &format!("{BASE}/projects"), &token).await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.body["projects"].as_array().unwrap().len(), 1);
    assert_eq!(listed.body["projects"][0]["id"], id.as_str());
    assert_eq!(listed.body["projects"][0]["avatars"], json!([]));

    let one = get_as(&cli, &format!("{BASE}/projects/{id}"), &token).await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.body["project"]["description"], "Q4 campaign");

    let updated = send(
        cli.put(format!("{BASE}/projects/{id}"))
            .header("Authorization", &auth)
            .body_json(&json!({ "name": "Brand Ambassadors 2026", "description": null })),
    )
    .await;
    assert_eq!(updated.status, StatusCode::OK, "{:?}", updated.body);
    assert_eq!(updated.body["project"]["name"], "Brand Ambassadors 2026");
    assert_eq!(updated.body["project"]["description"], Value::Null);
    assert!(updated.body["project"].get("avatars").is_none());

    let unchanged = send(
        cli.put(format!("{BASE}/projects/{id}"))
            .header("Authorization", &auth)
            .body_json(&json!({})),
    )
    .await;
    assert_eq!(unchanged.status, StatusCode::OK);
    assert_eq!(
        unchanged.body["project"]["updatedAt"],
        updated.body["project"]["updatedAt"]
    );

    let deleted = send(
        cli.delete(format!("{BASE}/projects/{id}"))
            .header("Authorization", &auth),
    )
    .await;
    assert_eq!(deleted.status, StatusCode::OK);
    assert_eq!(deleted.body["message"], "Project deleted successfully");
    let gone = get_as(&cli, &format!("{BASE}/projects/{id}"), &token).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(gone.error_message(), "Project not found");
}

dual_test!(project_input_is_validated);
/// Names and descriptions are validated with per-field details.
async fn project_input_is_validated(db: TestDb) {
    let (cli, _) = api_client::start(&db, &[]).await;
    let (_, token) = register(&cli, "val@example.com").await;
    let auth = format!("Bearer {token}");
    for (body, field, message) in [
        (json!({ "name": "   " }), "name", "Project name is required"),
        (
            json!({ "name": "x".repeat(101) }),
            "name",
            "Project name must be at most 100 characters",
        ),
        (
            json!({ "name": "ok", "description": "d".repeat(501) }),
            "description",
            "Description must be at most 500 characters",
        ),
        // PostgreSQL text cannot hold U+0000: a 400 on the field, not a 500 (Schemathesis).
        (
            json!({ "name": "a\u{0}b" }),
            "name",
            api::http::text::NUL_MESSAGE,
        ),
        (
            json!({ "name": "ok", "description": "\u{0}" }),
            "description",
            api::http::text::NUL_MESSAGE,
        ),
    ] {
        let reply = send(
            cli.post(format!("{BASE}/projects"))
                .header("Authorization", &auth)
                .body_json(&body),
        )
        .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(reply.error_code(), "VALIDATION_ERROR");
        assert_eq!(
            reply.body["error"]["details"][field][0], message,
            "{:?}",
            reply.body
        );
    }
    let listed = get_as(&cli, &format!("{BASE}/projects"), &token).await;
    assert_eq!(
        listed.body["projects"],
        json!([]),
        "nothing was half-written"
    );
    let made = send(
        cli.post(format!("{BASE}/projects"))
            .header("Authorization", &auth)
            .body_json(&json!({ "name": "ok" })),
    )
    .await;
    let id = made.body["project"]["id"].as_str().unwrap().to_owned();
    let reply = send(
        cli.put(format!("{BASE}/projects/{id}"))
            .header("Authorization", &auth)
            .body_json(&json!({ "name": "\u{0}" })),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{:?}", reply.body);
    assert_eq!(
        reply.body["error"]["details"]["name"][0],
        api::http::text::NUL_MESSAGE
    );
}

dual_test!(projects_are_private);
/// Another user's project does not exist for the caller; neither do malformed ids;
/// every route needs a token.
async fn projects_are_private(db: TestDb) {
    let (cli, _) = api_client::start(&db, &[]).await;
    let (_, alice) = register(&cli, "alice@example.com").await;
    let (_, bob) = register(&cli, "bob@example.com").await;
    let created = send(
        cli.post(format!("{BASE}/projects"))
            .header("Authorization", format!("Bearer {alice}"))
            .body_json(&json!({ "name": "Alice's" })),
    )
    .await;
    let id = created.body["project"]["id"].as_str().unwrap().to_owned();
    let bob_auth = format!("Bearer {bob}");
    for reply in [
        get_as(&cli, &format!("{BASE}/projects/{id}"), &bob).await,
        send(
            cli.put(format!("{BASE}/projects/{id}"))
                .header("Authorization", &bob_auth)
                .body_json(&json!({ "name": "mine" })),
        )
        .await,
        send(
            cli.delete(format!("{BASE}/projects/{id}"))
                .header("Authorization", &bob_auth),
        )
        .await,
        get_as(&cli, &format!("{BASE}/projects/..%2F..%2Fetc"), &bob).await,
    ] {
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{:?}", reply.body);
        assert_eq!(reply.error_message(), "Project not found");
    }
    assert_eq!(
        get_as(&cli, &format!("{BASE}/projects"), &bob).await.body["projects"],
        json!([])
    );
    for path in [format!("{BASE}/projects"), format!("{BASE}/projects/{id}")] {
        let reply = send(cli.get(&path)).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{path}");
    }
}

dual_test!(deleting_a_project_respects_active_work_and_cascades);
/// Deleting a project with an active generation is a 409; otherwise its avatars
/// go with it and Pose Generator projects that used them stay, unlinked.
async fn deleting_a_project_respects_active_work_and_cascades(db: TestDb) {
    let (cli, state) = api_client::start(&db, &[]).await;
    let (user_id, token) = register(&cli, "del@example.com").await;
    let auth = format!("Bearer {token}");
    let created = send(
        cli.post(format!("{BASE}/projects"))
            .header("Authorization", &auth)
            .body_json(&json!({ "name": "To delete" })),
    )
    .await;
    let id = created.body["project"]["id"].as_str().unwrap().to_owned();
    let avatar = tests::rows::uploaded_avatar(
        "cavatar0000000000000000001",
        &user_id,
        &id,
        "A",
        "/uploads/a.png",
        at(),
    );
    avatar.insert(&state.db).await.unwrap();
    pose_generator_projects::ActiveModel {
        id: Set("cposeproj00000000000000001".into()),
        user_id: Set(user_id.clone()),
        project_name: Set("Shoot".into()),
        description: Set(None),
        avatar_image_url: Set(None),
        avatar_source: Set("AVATAR_CREATOR".into()),
        avatar_id: Set(Some("cavatar0000000000000000001".into())),
        total_generations: Set(0),
        total_poses_generated: Set(0),
        status: Set("active".into()),
        created_at: Set(at()),
        updated_at: Set(at()),
    }
    .insert(&state.db)
    .await
    .unwrap();
    avatar_generations::ActiveModel {
        id: Set("cgen00000000000000000000001".into()),
        user_id: Set(user_id.clone()),
        avatar_id: Set(None),
        project_id: Set(id.clone()),
        status: Set("processing".into()),
        prompt: Set("p".into()),
        options: Set(None),
        error_message: Set(None),
        created_at: Set(at()),
        completed_at: Set(None),
    }
    .insert(&state.db)
    .await
    .unwrap();

    let listed = get_as(&cli, &format!("{BASE}/projects"), &token).await;
    assert_eq!(
        listed.body["projects"][0]["avatars"][0]["id"],
        "cavatar0000000000000000001"
    );
    assert_eq!(
        listed.body["projects"][0]["avatars"][0]["personaPersonality"],
        Value::Null
    );

    let refused = send(
        cli.delete(format!("{BASE}/projects/{id}"))
            .header("Authorization", &auth),
    )
    .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert_eq!(refused.body["error"]["details"]["activeGenerations"], 1);

    avatar_generations::Entity::delete_by_id("cgen00000000000000000000001")
        .exec(&state.db)
        .await
        .unwrap();
    let deleted = send(
        cli.delete(format!("{BASE}/projects/{id}"))
            .header("Authorization", &auth),
    )
    .await;
    assert_eq!(deleted.status, StatusCode::OK, "{:?}", deleted.body);
    assert!(
        avatars::Entity::find_by_id("cavatar0000000000000000001")
            .one(&state.db)
            .await
            .unwrap()
            .is_none()
    );
    let kept = pose_generator_projects::Entity::find_by_id("cposeproj00000000000000001")
        .one(&state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.avatar_id, None);
}
