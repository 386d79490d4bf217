//! Avatar Creator avatars and catalogues over HTTP (api.md §6.10–§6.17, §6.19).

use entity::{avatar_generations, avatar_presets, avatar_usage_history, avatars, persona_examples};
use migration::sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection, EntityTrait};
use poem::http::StatusCode;
use serde_json::{Value, json};
use tests::{TestDb, dual_test};

use crate::api_client::{self, get_as, register, send};

const BASE: &str = "/api/apps/avatar-creator";

fn at(ms: i64) -> chrono::NaiveDateTime {
    chrono::DateTime::from_timestamp_millis(1_760_781_600_000 + ms)
        .unwrap()
        .naive_utc()
}

async fn insert_avatar(
    db: &DatabaseConnection,
    id: &str,
    user_id: &str,
    project_id: &str,
    ms: i64,
) {
    tests::rows::uploaded_avatar(
        id,
        user_id,
        project_id,
        &format!("Avatar {id}"),
        &format!("/uploads/avatar-creator/{user_id}/{id}.png"),
        at(ms),
    )
    .insert(db)
    .await
    .unwrap();
}

async fn new_project<E: poem::Endpoint>(
    cli: &poem::test::TestClient<E>,
    token: &str,
    name: &str,
) -> String {
    let reply = send(
        cli.post(format!("{BASE}/projects"))
            .header("Authorization", format!("Bearer {token}"))
            .body_json(&json!({ "name": name })),
    )
    .await;
    reply.body["project"]["id"].as_str().unwrap().to_owned()
}

dual_test!(avatars_are_listed_read_edited_and_deleted);
/// A user lists, reads, edits and deletes avatars; another user sees none of it.
async fn avatars_are_listed_read_edited_and_deleted(db: TestDb) {
    let (cli, state) = api_client::start(&db, &[]).await;
    let (user_id, token) = register(&cli, "ava@example.com").await;
    let (_, other) = register(&cli, "eve@example.com").await;
    let p1 = new_project(&cli, &token, "One").await;
    let p2 = new_project(&cli, &token, "Two").await;
    insert_avatar(&state.db, "ca1", &user_id, &p1, 1).await;
    insert_avatar(&state.db, "ca2", &user_id, &p1, 2).await;
    insert_avatar(&state.db, "ca3", &user_id, &p2, 3).await;

    let all = get_as(&cli, &format!("{BASE}/avatars"), &token).await;
    let ids: Vec<&str> = all.body["avatars"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["ca3", "ca2", "ca1"], "newest first");
    let one_project = get_as(&cli, &format!("{BASE}/avatars?projectId={p1}"), &token).await;
    assert_eq!(one_project.body["avatars"].as_array().unwrap().len(), 2);
    let foreign = get_as(&cli, &format!("{BASE}/avatars?projectId=nope"), &token).await;
    assert_eq!(foreign.body["avatars"], json!([]));

    let got = get_as(&cli, &format!("{BASE}/avatars/ca1"), &token).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body["avatar"]["id"], "ca1");
    assert_eq!(got.body["avatar"]["project"]["id"], p1.as_str());
    assert_eq!(got.body["avatar"]["sourceType"], "uploaded");

    let auth = format!("Bearer {token}");
    let edited = send(cli.put(format!("{BASE}/avatars/ca1")).header("Authorization", &auth).body_json(&json!({
        "name": " Sarah ", "personaName": "Sarah Chen", "personaAge": 32,
        "personaPersonality": [" professional ", "confident"], "gender": "female", "style": "  ", "hairColor": "black",
    }))).await;
    assert_eq!(edited.status, StatusCode::OK, "{:?}", edited.body);
    let avatar = &edited.body["avatar"];
    assert_eq!(avatar["name"], "Sarah");
    assert_eq!(
        avatar["personaPersonality"],
        r#"["professional","confident"]"#
    );
    assert_eq!(avatar["style"], Value::Null);
    assert_eq!(avatar["hairColor"], "black");
    assert!(avatar.get("project").is_none());

    let cleared = send(
        cli.put(format!("{BASE}/avatars/ca1"))
            .header("Authorization", &auth)
            .body_json(&json!({ "personaName": null, "hairColor": "" })),
    )
    .await;
    assert_eq!(cleared.body["avatar"]["personaName"], Value::Null);
    assert_eq!(cleared.body["avatar"]["hairColor"], Value::Null);
    assert_eq!(
        cleared.body["avatar"]["personaAge"], 32,
        "absent fields are kept"
    );

    let invalid = send(
        cli.put(format!("{BASE}/avatars/ca1"))
            .header("Authorization", &auth)
            .body_json(&json!({ "gender": "robot", "personaAge": 200, "name": "" })),
    )
    .await;
    assert_eq!(invalid.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        invalid.body["error"]["details"]["gender"][0],
        "Invalid enum value. Expected 'male' | 'female' | 'unisex'"
    );
    assert!(invalid.body["error"]["details"]["personaAge"].is_array());
    assert!(invalid.body["error"]["details"]["name"].is_array());

    for reply in [
        get_as(&cli, &format!("{BASE}/avatars/ca1"), &other).await,
        send(
            cli.put(format!("{BASE}/avatars/ca1"))
                .header("Authorization", format!("Bearer {other}"))
                .body_json(&json!({ "name": "x" })),
        )
        .await,
        send(
            cli.delete(format!("{BASE}/avatars/ca1"))
                .header("Authorization", format!("Bearer {other}")),
        )
        .await,
        get_as(&cli, &format!("{BASE}/avatars/ca1/usage-history"), &other).await,
    ] {
        assert_eq!(reply.status, StatusCode::NOT_FOUND);
        assert_eq!(reply.error_message(), "Avatar not found");
    }
    assert_eq!(
        get_as(&cli, &format!("{BASE}/avatars"), &other).await.body["avatars"],
        json!([])
    );

    avatar_generations::ActiveModel {
        id: Set("cg1".into()),
        user_id: Set(user_id.clone()),
        avatar_id: Set(Some("ca1".into())),
        project_id: Set(p1.clone()),
        status: Set("completed".into()),
        prompt: Set("p".into()),
        options: Set(None),
        error_message: Set(None),
        created_at: Set(at(5)),
        completed_at: Set(Some(at(6))),
    }
    .insert(&state.db)
    .await
    .unwrap();
    let deleted = send(
        cli.delete(format!("{BASE}/avatars/ca1"))
            .header("Authorization", &auth),
    )
    .await;
    assert_eq!(deleted.status, StatusCode::OK);
    assert_eq!(deleted.body["message"], "Avatar deleted successfully");
    assert_eq!(
        get_as(&cli, &format!("{BASE}/avatars/ca1"), &token)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let generation = avatar_generations::Entity::find_by_id("cg1")
        .one(&state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(generation.avatar_id, None, "generations are kept, unlinked");
}

dual_test!(usage_history_lists_and_summarises);
/// Usage history: the latest rows, and one summary entry per app over all rows.
async fn usage_history_lists_and_summarises(db: TestDb) {
    let (cli, state) = api_client::start(&db, &[]).await;
    let (user_id, token) = register(&cli, "use@example.com").await;
    let p = new_project(&cli, &token, "P").await;
    insert_avatar(&state.db, "cu1", &user_id, &p, 1).await;
    for (i, app) in ["pose-generator", "pose-generator", "carousel"]
        .into_iter()
        .enumerate()
    {
        avatar_usage_history::ActiveModel {
            id: Set(format!("cuh{i}")),
            avatar_id: Set("cu1".into()),
            user_id: Set(user_id.clone()),
            app_id: Set(app.into()),
            app_name: Set(if app == "carousel" {
                "Carousel".into()
            } else {
                "Pose Generator".into()
            }),
            action: Set("generate_pose".into()),
            reference_id: Set(None),
            reference_type: Set(None),
            metadata: Set(Some(r#"{"poseCount":4}"#.into())),
            created_at: Set(at(10 + i as i64)),
        }
        .insert(&state.db)
        .await
        .unwrap();
    }
    let reply = get_as(
        &cli,
        &format!("{BASE}/avatars/cu1/usage-history?limit=2"),
        &token,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let history: Vec<&str> = reply.body["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap())
        .collect();
    assert_eq!(history, ["cuh2", "cuh1"]);
    assert_eq!(reply.body["history"][0]["metadata"], r#"{"poseCount":4}"#);
    assert_eq!(
        reply.body["summary"],
        json!([
            { "appId": "carousel", "appName": "Carousel", "count": 1, "lastUsed": "2025-10-18T10:00:00.012Z" },
            { "appId": "pose-generator", "appName": "Pose Generator", "count": 2, "lastUsed": "2025-10-18T10:00:00.011Z" },
        ])
    );
    // An avatar of the caller's that was never used: empty, not 404.
    insert_avatar(&state.db, "cu2", &user_id, &p, 2).await;
    let unused = get_as(&cli, &format!("{BASE}/avatars/cu2/usage-history"), &token).await;
    assert_eq!(unused.status, StatusCode::OK, "{:?}", unused.body);
    assert_eq!(
        (&unused.body["history"], &unused.body["summary"]),
        (&json!([]), &json!([]))
    );
    for limit in ["0", "101", "x"] {
        let bad = get_as(
            &cli,
            &format!("{BASE}/avatars/cu1/usage-history?limit={limit}"),
            &token,
        )
        .await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST, "limit={limit}");
    }
}

dual_test!(catalogues_are_public_and_filtered);
/// Presets and persona examples are public catalogues with category filters.
async fn catalogues_are_public_and_filtered(db: TestDb) {
    let (cli, state) = api_client::start(&db, &[]).await;
    for (id, category, public, usage) in [
        ("cp1", "professional", true, 5),
        ("cp2", "casual", true, 9),
        ("cp3", "casual", false, 99),
    ] {
        avatar_presets::ActiveModel {
            id: Set(id.into()),
            name: Set(format!("Preset {id}")),
            preview_image_url: Set("/presets/x.png".into()),
            category: Set(category.into()),
            persona_template: Set(
                r#"{"name":"Rina","age":32,"personality":["calm"],"background":"Exec"}"#.into(),
            ),
            visual_attributes: Set(r#"{"gender":"female"}"#.into()),
            generation_prompt: Set("portrait".into()),
            is_public: Set(public),
            usage_count: Set(usage),
            created_at: Set(at(1)),
            updated_at: Set(at(1)),
        }
        .insert(&state.db)
        .await
        .unwrap();
    }
    for (id, category, order, active) in [
        ("ce1", "business", 1, true),
        ("ce2", "business", 0, true),
        ("ce3", "healthcare", 0, false),
    ] {
        persona_examples::ActiveModel {
            id: Set(id.into()),
            name: Set(format!("Example {id}")),
            category: Set(category.into()),
            persona_name: Set("Raka".into()),
            persona_age: Set(34),
            persona_personality: Set(r#"["driven"]"#.into()),
            persona_background: Set("Founder".into()),
            suggested_attributes: Set(None),
            display_order: Set(order),
            is_active: Set(active),
            created_at: Set(at(1)),
        }
        .insert(&state.db)
        .await
        .unwrap();
    }
    let presets = send(cli.get(format!("{BASE}/presets"))).await;
    assert_eq!(presets.status, StatusCode::OK);
    let ids: Vec<&str> = presets.body["presets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["cp2", "cp1"], "public only, most used first");
    assert_eq!(
        presets.body["presets"][0]["personaTemplate"]
            .as_str()
            .unwrap()
            .chars()
            .next(),
        Some('{')
    );
    let casual = send(cli.get(format!("{BASE}/presets?category=casual"))).await;
    assert_eq!(casual.body["presets"].as_array().unwrap().len(), 1);
    assert_eq!(
        send(cli.get(format!("{BASE}/presets?category=space")))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        send(cli.get(format!("{BASE}/presets/cp1"))).await.body["preset"]["id"],
        "cp1"
    );
    let hidden = send(cli.get(format!("{BASE}/presets/cp3"))).await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    assert_eq!(hidden.error_message(), "Preset not found");

    let examples = send(cli.get(format!("{BASE}/persona-examples?category=business"))).await;
    let ids: Vec<&str> = examples.body["personaExamples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["ce2", "ce1"]);
    assert_eq!(
        send(cli.get(format!("{BASE}/persona-examples"))).await.body["personaExamples"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        send(cli.get(format!("{BASE}/persona-examples?category=x")))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );

    let health = send(cli.get(format!("{BASE}/health"))).await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.body["app"], "avatar-creator");
    assert_eq!(health.body["endpoints"]["projects"], "GET, POST /projects");
}

dual_test!(stats_summarise_the_callers_avatars);
/// Stats count the caller's avatars and projects, recent uploads and usage, rank
/// the most used avatars, and show the balance and the price list.
async fn stats_summarise_the_callers_avatars(db: TestDb) {
    let (cli, state) = api_client::start(&db, &[("COST_AVATAR_GENERATE", "11")]).await;
    let (user_id, token) = register(&cli, "stats@example.com").await;
    let empty = get_as(&cli, &format!("{BASE}/stats"), &token).await;
    assert_eq!(empty.status, StatusCode::OK, "{:?}", empty.body);
    assert_eq!(empty.body["stats"]["totalAvatars"], 0);
    assert_eq!(empty.body["stats"]["averageUsage"], 0);
    assert_eq!(empty.body["creditBalance"], 100);
    assert_eq!(empty.body["hasEnterpriseUnlimited"], false);
    assert_eq!(
        empty.body["costs"],
        json!({
            "generateAvatar": 11, "uploadAvatar": 2, "fromPreset": 8, "fromReference": 12, "editPersona": 0
        })
    );

    let p = new_project(&cli, &token, "P").await;
    insert_avatar(&state.db, "cs1", &user_id, &p, 1).await;
    insert_avatar(&state.db, "cs2", &user_id, &p, 2).await;
    insert_avatar(&state.db, "cs3", &user_id, &p, 3).await;
    let now = chrono::Utc::now().naive_utc();
    for (id, usage, last_used) in [
        ("cs1", 3, Some(at(100))),
        ("cs2", 3, None),
        ("cs3", 0, None),
    ] {
        let mut a: avatars::ActiveModel = avatars::Entity::find_by_id(id)
            .one(&state.db)
            .await
            .unwrap()
            .unwrap()
            .into();
        a.usage_count = Set(usage);
        a.last_used_at = Set(last_used);
        if id == "cs3" {
            a.created_at = Set(now);
        }
        a.update(&state.db).await.unwrap();
    }
    let (_, other) = register(&cli, "other-stats@example.com").await;
    let reply = get_as(&cli, &format!("{BASE}/stats"), &token).await;
    let stats = &reply.body["stats"];
    assert_eq!(stats["totalAvatars"], 3);
    assert_eq!(stats["totalProjects"], 1);
    assert_eq!(stats["recentUploads"], 1);
    assert_eq!(stats["totalUsage"], 6);
    assert_eq!(stats["averageUsage"], 2);
    let top: Vec<&str> = stats["topUsedAvatars"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        top,
        ["cs1", "cs2", "cs3"],
        "ties by usage: the used one first, never-used last"
    );
    assert_eq!(
        get_as(&cli, &format!("{BASE}/stats"), &other).await.body["stats"]["totalAvatars"],
        0
    );
}
