//! JSON values of the wrong type in request bodies (api.md §1.3): a number, a boolean,
//! an object or an array where a string is expected is a 400 `VALIDATION_ERROR` on
//! that field, for every operation that takes a JSON body, and nothing is written.
//! (poem-openapi's own `String` would have taken `5` as `"5"`.)

use std::fmt::Debug;

use entity::{
    app_usages, avatar_generations, avatar_projects, avatar_usage_history, avatars, credits, jobs,
    pose_generations, pose_generator_projects, pose_request_votes, pose_requests, sessions, users,
};
use migration::sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection, EntityTrait};
use poem::http::{Method, StatusCode};
use serde_json::{Value, json};
use tests::{TestDb, dual_test};

use crate::api_client::{self, PASSWORD, register, send};

const AC: &str = "/api/apps/avatar-creator";
const PG: &str = "/api/apps/pose-generator";

/// Who sends the request.
#[derive(Clone, Copy)]
enum As {
    Anonymous,
    User,
    Admin,
}

/// Every row of the tables a body-taking route could write, each row as text, sorted.
async fn snapshot(db: &DatabaseConnection) -> Vec<Vec<String>> {
    async fn rows<E: EntityTrait>(db: &DatabaseConnection) -> Vec<String>
    where
        E::Model: Debug,
    {
        let mut rows: Vec<String> = E::find()
            .all(db)
            .await
            .unwrap()
            .iter()
            .map(|row| format!("{row:?}"))
            .collect();
        rows.sort();
        rows
    }
    vec![
        rows::<users::Entity>(db).await,
        rows::<sessions::Entity>(db).await,
        rows::<credits::Entity>(db).await,
        rows::<app_usages::Entity>(db).await,
        rows::<avatar_projects::Entity>(db).await,
        rows::<avatars::Entity>(db).await,
        rows::<avatar_generations::Entity>(db).await,
        rows::<avatar_usage_history::Entity>(db).await,
        rows::<pose_generator_projects::Entity>(db).await,
        rows::<pose_generations::Entity>(db).await,
        rows::<pose_requests::Entity>(db).await,
        rows::<pose_request_votes::Entity>(db).await,
        rows::<jobs::Entity>(db).await,
    ]
}

/// `body` with `field` (`name` or `name[i]`) set to `value`.
fn with(body: &Value, field: &str, value: &Value) -> Value {
    let mut body = body.clone();
    match field.strip_suffix(']').and_then(|f| f.split_once('[')) {
        Some((name, index)) => body[name][index.parse::<usize>().unwrap()] = value.clone(),
        None => body[field] = value.clone(),
    }
    body
}

dual_test!(a_string_field_of_another_json_type_is_a_400_on_that_field);
/// One representative request per body-taking operation, each with a string field
/// (or an item of a string list) replaced by a value of each other JSON type. The
/// body is checked before the path resource, so unknown ids still answer 400.
async fn a_string_field_of_another_json_type_is_a_400_on_that_field(db: TestDb) {
    let (cli, state) = api_client::start(&db, &[]).await;
    let (_, user) = register(&cli, "dewi@example.com").await;
    let (admin_id, admin) = register(&cli, "root@example.com").await;
    users::ActiveModel {
        id: Set(admin_id),
        role: Set("admin".into()),
        ..Default::default()
    }
    .update(&state.db)
    .await
    .unwrap();
    let created = send(
        cli.post(format!("{AC}/projects"))
            .header("Authorization", format!("Bearer {user}"))
            .body_json(&json!({ "name": "Campaign" })),
    )
    .await;
    let ac_project = created.body["project"]["id"].as_str().unwrap().to_owned();
    let created = send(
        cli.post(format!("{PG}/projects"))
            .header("Authorization", format!("Bearer {user}"))
            .body_json(&json!({ "projectName": "Shoot" })),
    )
    .await;
    let pg_project = created.body["project"]["id"].as_str().unwrap().to_owned();
    let created = send(
        cli.post(format!("{PG}/requests"))
            .header("Authorization", format!("Bearer {user}"))
            .body_json(&json!({ "poseName": "Jump", "description": "Mid-air jump" })),
    )
    .await;
    let request = created.body["request"]["id"].as_str().unwrap().to_owned();
    let notes = json!({ "adminNotes": "Looks good" });

    use As::*;
    use Method as M;
    let cases: Vec<(Method, String, As, Value, &str)> = vec![
        (
            M::POST,
            "/api/auth/register".into(),
            Anonymous,
            json!({ "email": "new@example.com", "password": PASSWORD, "name": "New" }),
            "email",
        ),
        (
            M::POST,
            "/api/auth/login".into(),
            Anonymous,
            json!({ "email": "dewi@example.com", "password": PASSWORD }),
            "password",
        ),
        (
            M::PUT,
            "/api/auth/profile".into(),
            User,
            json!({ "name": "Dewi L" }),
            "name",
        ),
        (
            M::POST,
            format!("{AC}/projects"),
            User,
            json!({ "name": "Second", "description": "d" }),
            "name",
        ),
        (
            M::PUT,
            format!("{AC}/projects/{ac_project}"),
            User,
            json!({ "name": "Renamed", "description": "d" }),
            "description",
        ),
        (
            M::PUT,
            format!("{AC}/avatars/unknown-avatar"),
            User,
            json!({ "name": "Sarah", "personaPersonality": ["calm", "bold"] }),
            "personaPersonality[1]",
        ),
        (
            M::POST,
            format!("{AC}/projects/{ac_project}/avatars/generate"),
            User,
            json!({ "name": "Sarah", "prompt": "A professional portrait photo", "width": 1024 }),
            "prompt",
        ),
        (
            M::POST,
            format!("{AC}/projects/{ac_project}/avatars/from-preset"),
            User,
            json!({ "presetId": "preset-1", "customName": "Mine" }),
            "customName",
        ),
        (
            M::POST,
            format!("{PG}/projects"),
            User,
            json!({ "projectName": "Third", "description": "d" }),
            "projectName",
        ),
        (
            M::PUT,
            format!("{PG}/projects/{pg_project}"),
            User,
            json!({ "projectName": "Renamed", "status": "archived" }),
            "status",
        ),
        (
            M::POST,
            format!("{PG}/generate"),
            User,
            json!({ "projectId": pg_project, "generationType": "GALLERY_REFERENCE",
                    "selectedPoseIds": ["pose-1", "pose-2"], "batchSize": 1 }),
            "selectedPoseIds[1]",
        ),
        (
            M::POST,
            format!("{PG}/poses/unknown-pose/background"),
            User,
            json!({ "backgroundMode": "color", "backgroundColor": "#ffffff" }),
            "backgroundColor",
        ),
        (
            M::POST,
            format!("{PG}/poses/unknown-pose/regenerate-export"),
            User,
            json!({ "format": "instagram_post" }),
            "format",
        ),
        (
            M::POST,
            format!("{PG}/requests"),
            User,
            json!({ "poseName": "Wave", "description": "Waving hello" }),
            "poseName",
        ),
        (
            M::POST,
            format!("{PG}/admin/pose-requests/{request}/approve"),
            Admin,
            notes.clone(),
            "adminNotes",
        ),
        (
            M::POST,
            format!("{PG}/admin/pose-requests/{request}/reject"),
            Admin,
            notes.clone(),
            "adminNotes",
        ),
        (
            M::POST,
            format!("{PG}/admin/pose-requests/{request}/mark-in-progress"),
            Admin,
            notes.clone(),
            "adminNotes",
        ),
        (
            M::POST,
            format!("{PG}/admin/pose-requests/{request}/mark-completed"),
            Admin,
            json!({ "completedPoseId": "pose-1", "adminNotes": "Done" }),
            "completedPoseId",
        ),
        (
            M::PUT,
            format!("{PG}/admin/pose-requests/{request}/notes"),
            Admin,
            notes,
            "adminNotes",
        ),
    ];
    let wrong = [
        (json!(5), "number"),
        (json!(true), "boolean"),
        (json!({ "a": "b" }), "object"),
        (json!(["a"]), "array"),
    ];

    let before = snapshot(&state.db).await;
    for (method, path, who, body, field) in &cases {
        for (value, kind) in &wrong {
            let body = with(body, field, value);
            let mut req = cli.request(method.clone(), path).body_json(&body);
            match who {
                Anonymous => {}
                User => req = req.header("Authorization", format!("Bearer {user}")),
                Admin => req = req.header("Authorization", format!("Bearer {admin}")),
            }
            let reply = send(req).await;
            let case = format!("{method} {path} {body}: {:?}", reply.body);
            assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{case}");
            assert_eq!(reply.error_code(), "VALIDATION_ERROR", "{case}");
            let message = format!("Expected string, received {kind}");
            assert_eq!(
                reply.body["error"]["details"],
                json!({ *field: [message] }),
                "{case}"
            );
            assert_eq!(
                reply.error_message(),
                format!("{field}: {message}"),
                "{case}"
            );
        }
    }
    assert_eq!(snapshot(&state.db).await, before, "nothing was written");
    assert_eq!(cases.len(), 19, "every operation with a JSON body");
}

dual_test!(other_type_errors_name_their_fields_too);
/// Other shapes are named the same way: an integer or a boolean of the wrong type,
/// a missing or null required string; several at once are all reported.
async fn other_type_errors_name_their_fields_too(db: TestDb) {
    let (cli, state) = api_client::start(&db, &[]).await;
    let (_, user) = register(&cli, "dewi@example.com").await;
    let auth = format!("Bearer {user}");
    let created = send(
        cli.post(format!("{AC}/projects"))
            .header("Authorization", &auth)
            .body_json(&json!({ "name": "Campaign" })),
    )
    .await;
    let project = created.body["project"]["id"].as_str().unwrap().to_owned();
    let before = snapshot(&state.db).await;

    let reply = send(cli.post(format!("{AC}/projects/{project}/avatars/generate")).header("Authorization", &auth)
        .body_json(&json!({ "name": false, "prompt": "A professional portrait photo", "personaAge": "32",
                            "width": 1024.5, "personaPersonality": "calm" }))).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        reply.body["error"]["details"],
        json!({
            "name": ["Expected string, received boolean"],
            "personaAge": ["Expected integer, received string"],
            "width": ["Expected integer, received float"],
            "personaPersonality": ["Expected array, received string"],
        })
    );
    assert_eq!(
        reply.error_message(),
        "Invalid name, personaAge and 2 more field(s)"
    );

    let reply = send(
        cli.post(format!("{PG}/generate"))
            .header("Authorization", &auth)
            .body_json(&json!({ "projectId": "p", "useBackgroundChanger": "yes" })),
    )
    .await;
    assert_eq!(
        reply.body["error"]["details"],
        json!({ "useBackgroundChanger": ["Expected boolean, received string"] })
    );

    // A required field left out or null gets its handler's own message.
    for (body, details) in [
        (json!({}), json!({ "name": ["Project name is required"] })),
        (
            json!({ "name": null }),
            json!({ "name": ["Project name is required"] }),
        ),
    ] {
        let reply = send(
            cli.post(format!("{AC}/projects"))
                .header("Authorization", &auth)
                .body_json(&body),
        )
        .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(reply.body["error"]["details"], details, "{body}");
    }

    // A body that is not an object at all keeps the message about the whole body.
    let reply = send(
        cli.post(format!("{AC}/projects"))
            .header("Authorization", &auth)
            .body_json(&json!(["x"])),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(
        reply.body["error"]["details"]["body"][0].is_string(),
        "{:?}",
        reply.body
    );
    assert_eq!(snapshot(&state.db).await, before, "nothing was written");
}
