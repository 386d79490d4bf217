//! Pose requests end to end (api.md §7.18–§7.23, §8.10): creating with validation and
//! the duplicate guard, listing with votes, voting (also concurrently), and the admin
//! routes: role checks, statistics, popular, every state transition and the notes.
//! Then the recovery status and trigger (§7.24, §7.25) and the public health (§7.26).

use api::vocabulary::JobStatus;
use std::time::Duration;

use api::jobs::queue;
use entity::{jobs, pose_generations, pose_request_votes, pose_requests, users};
use migration::sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
};
use poem::{
    Endpoint,
    http::{Method, StatusCode},
    test::TestClient,
};
use serde_json::{Value, json};
use tests::{TestDb, dual_test};

use crate::api_client::{Reply, get_as, register, send};
use crate::pose_generation::{library, setup};

const PG: &str = "/api/apps/pose-generator";
const ADMIN: &str = "/api/apps/pose-generator/admin/pose-requests";

/// `method path` as `token` (none: anonymous) with an optional JSON body.
async fn call<E: Endpoint>(
    cli: &TestClient<E>,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> Reply {
    let mut req = cli.request(method, path);
    if let Some(token) = token {
        req = req.header("Authorization", format!("Bearer {token}"));
    }
    if let Some(body) = body {
        req = req.body_json(body);
    }
    send(req).await
}

async fn post<E: Endpoint>(cli: &TestClient<E>, path: &str, token: &str, body: &Value) -> Reply {
    call(cli, Method::POST, path, Some(token), Some(body)).await
}

/// Creates a request as `token`; returns its id.
async fn create<E: Endpoint>(cli: &TestClient<E>, token: &str, name: &str) -> String {
    let reply = post(
        cli,
        &format!("{PG}/requests"),
        token,
        &json!({ "poseName": name, "description": format!("{name}, please") }),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    reply.body["request"]["id"].as_str().unwrap().to_owned()
}

async fn vote<E: Endpoint>(cli: &TestClient<E>, token: &str, id: &str) -> Reply {
    call(
        cli,
        Method::POST,
        &format!("{PG}/requests/{id}/vote"),
        Some(token),
        None,
    )
    .await
}

/// Registers `email` and gives it the `admin` role; returns its token.
async fn admin<E: Endpoint>(cli: &TestClient<E>, state: &api::AppState, email: &str) -> String {
    let (id, token) = register(cli, email).await;
    users::ActiveModel {
        id: Set(id),
        role: Set("admin".into()),
        ..Default::default()
    }
    .update(&state.db)
    .await
    .unwrap();
    token
}

async fn set_status(state: &api::AppState, id: &str, status: &str) {
    pose_requests::ActiveModel {
        id: Set(id.to_owned()),
        status: Set(status.to_owned()),
        ..Default::default()
    }
    .update(&state.db)
    .await
    .unwrap();
}

async fn row(state: &api::AppState, id: &str) -> pose_requests::Model {
    pose_requests::Entity::find_by_id(id)
        .one(&state.db)
        .await
        .unwrap()
        .unwrap()
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

fn detail_fields(reply: &Reply) -> Vec<String> {
    let mut fields: Vec<String> = reply.body["error"]["details"]
        .as_object()
        .map(|d| d.keys().cloned().collect())
        .unwrap_or_default();
    fields.sort();
    fields
}

dual_test!(creating_a_request_validates_and_refuses_duplicates);
/// A new request is `pending` with no votes and its category; every field rule is a
/// 400 on that field, an unknown category too; the same name again (any case, any
/// surrounding spaces) while the first is open is a 409.
async fn creating_a_request_validates_and_refuses_duplicates(db: TestDb) {
    let s = setup(&db, &[]).await;
    library(&s.state, false).await;
    let url = format!("{PG}/requests");

    let reply = post(
        &s.cli,
        &url,
        &s.token,
        &json!({
            "poseName": "  Hijab mirror selfie ", "description": " Full-body mirror selfie ",
            "categoryId": "cat-root", "useCase": "social",
            "referenceImageUrl": "https://example.com/ref.jpg", "unknownField": 1,
        }),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    assert_eq!(
        reply.body["message"],
        "Pose request submitted successfully. Our team will review it soon!"
    );
    let request = &reply.body["request"];
    assert_eq!(request["poseName"], "Hijab mirror selfie");
    assert_eq!(request["description"], "Full-body mirror selfie");
    assert_eq!(request["userId"], s.user_id.as_str());
    assert_eq!(request["status"], "pending");
    assert_eq!(request["votesCount"], 0);
    assert_eq!(request["useCase"], "social");
    assert_eq!(request["referenceImageUrl"], "https://example.com/ref.jpg");
    assert_eq!(request["categoryId"], "cat-root");
    assert_eq!(request["category"]["slug"], "professional");
    assert_eq!(request["category"]["poseCount"], 3);
    for field in ["adminNotes", "completedPoseId", "completedPose"] {
        assert!(request[field].is_null(), "{field}: {request}");
    }
    assert!(request["createdAt"].as_str().unwrap().ends_with('Z'));
    let id = request["id"].as_str().unwrap();
    let stored = row(&s.state, id).await;
    assert_eq!((stored.status.as_str(), stored.votes_count), ("pending", 0));

    // Optional fields may be null or left out; the category object is then null.
    let reply = post(&s.cli, &url, &s.token, &json!({
        "poseName": "Seated lotus", "description": "Cross-legged", "categoryId": null, "useCase": null,
    })).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    assert!(reply.body["request"]["category"].is_null());

    let long = |n: usize| "x".repeat(n);
    let cases = [
        (json!({}), vec!["description", "poseName"]),
        (
            json!({ "poseName": "   ", "description": "d" }),
            vec!["poseName"],
        ),
        (
            json!({ "poseName": long(101), "description": "d" }),
            vec!["poseName"],
        ),
        (
            json!({ "poseName": "n", "description": long(501) }),
            vec!["description"],
        ),
        (
            json!({ "poseName": "n", "description": "d", "useCase": long(101) }),
            vec!["useCase"],
        ),
        (
            json!({ "poseName": "n", "description": "d", "referenceImageUrl": "ftp://x/y.png" }),
            vec!["referenceImageUrl"],
        ),
        (
            json!({ "poseName": "n", "description": "d", "referenceImageUrl": format!("https://e.com/{}", long(2048)) }),
            vec!["referenceImageUrl"],
        ),
        (
            json!({ "poseName": "n", "description": "d", "categoryId": "nope" }),
            vec!["categoryId"],
        ),
    ];
    for (body, fields) in cases {
        let reply = post(&s.cli, &url, &s.token, &body).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{body}: {:?}",
            reply.body
        );
        assert_eq!(reply.error_code(), "VALIDATION_ERROR");
        assert_eq!(detail_fields(&reply), fields, "{body}: {:?}", reply.body);
    }
    let reply = post(
        &s.cli,
        &url,
        &s.token,
        &json!({ "poseName": "n", "description": "d", "categoryId": "nope" }),
    )
    .await;
    assert_eq!(reply.error_message(), "categoryId: Category nope not found");
    // Maximum lengths are accepted.
    let reply = post(
        &s.cli,
        &url,
        &s.token,
        &json!({ "poseName": long(100), "description": long(500), "useCase": long(100) }),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);

    // The duplicate guard: same user, same name ignoring case and spaces, still open.
    let reply = post(
        &s.cli,
        &url,
        &s.token,
        &json!({ "poseName": " HIJAB MIRROR SELFIE", "description": "again" }),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{:?}", reply.body);
    assert_eq!(reply.error_code(), "CONFLICT");
    assert_eq!(
        reply.error_message(),
        "You already have a pending request for \"Hijab mirror selfie\""
    );
    for status in ["approved", "in_progress"] {
        set_status(&s.state, id, status).await;
        let reply = post(
            &s.cli,
            &url,
            &s.token,
            &json!({ "poseName": "hijab mirror selfie", "description": "again" }),
        )
        .await;
        assert_eq!(reply.status, StatusCode::CONFLICT);
        assert_eq!(
            reply.error_message(),
            format!("You already have a {status} request for \"Hijab mirror selfie\"")
        );
    }
    // Another user may ask for the same pose, and so may the owner once it is closed.
    let (_, other) = register(&s.cli, "other@example.com").await;
    create(&s.cli, &other, "Hijab mirror selfie").await;
    set_status(&s.state, id, "rejected").await;
    create(&s.cli, &s.token, "Hijab Mirror Selfie").await;

    let anonymous = call(
        &s.cli,
        Method::POST,
        &url,
        None,
        Some(&json!({ "poseName": "n", "description": "d" })),
    )
    .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let count = pose_requests::Entity::find()
        .count(&s.state.db)
        .await
        .unwrap();
    assert_eq!(count, 5);
}

dual_test!(listing_shows_mine_and_everyones_requests);
/// `scope=mine` lists the caller's requests newest first in every status;
/// `scope=all` hides rejected ones, orders by votes, marks the caller's votes and
/// hides other users' admin notes.
async fn listing_shows_mine_and_everyones_requests(db: TestDb) {
    let s = setup(&db, &[]).await;
    let (_, bob) = register(&s.cli, "bob@example.com").await;
    let first = create(&s.cli, &s.token, "First").await;
    let second = create(&s.cli, &s.token, "Second").await;
    let bobs = create(&s.cli, &bob, "Bobs").await;
    // Distinct creation times, so the order is certain.
    for (i, id) in [&first, &second, &bobs].into_iter().enumerate() {
        pose_requests::ActiveModel {
            id: Set(id.clone()),
            created_at: Set(chrono::NaiveDate::from_ymd_opt(2025, 10, 1 + i as u32)
                .unwrap()
                .and_hms_opt(10, 0, 0)
                .unwrap()),
            ..Default::default()
        }
        .update(&s.state.db)
        .await
        .unwrap();
    }
    let root = admin(&s.cli, &s.state, "root@example.com").await;
    let reply = post(
        &s.cli,
        &format!("{ADMIN}/{second}/reject"),
        &root,
        &json!({ "adminNotes": "Already in the library" }),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let reply = post(
        &s.cli,
        &format!("{ADMIN}/{bobs}/approve"),
        &root,
        &json!({ "adminNotes": "internal: shoot next week" }),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(vote(&s.cli, &s.token, &bobs).await.status, StatusCode::OK);
    assert_eq!(vote(&s.cli, &bob, &first).await.status, StatusCode::OK);
    assert_eq!(vote(&s.cli, &root, &first).await.status, StatusCode::OK);

    let mine = get_as(&s.cli, &format!("{PG}/requests"), &s.token).await;
    assert_eq!(mine.status, StatusCode::OK, "{:?}", mine.body);
    assert_eq!(
        ids(&mine.body["requests"]),
        vec![second.clone(), first.clone()]
    );
    assert_eq!(
        mine.body["pagination"],
        json!({ "page": 1, "limit": 20, "total": 2, "totalPages": 1, "hasMore": false })
    );
    assert_eq!(
        mine.body["requests"][0]["adminNotes"], "Already in the library",
        "own notes are shown"
    );
    assert_eq!(mine.body["requests"][1]["votesCount"], 2);
    assert_eq!(mine.body["requests"][1]["hasVoted"], false);

    let all = get_as(&s.cli, &format!("{PG}/requests?scope=all"), &s.token).await;
    assert_eq!(all.status, StatusCode::OK, "{:?}", all.body);
    assert_eq!(
        ids(&all.body["requests"]),
        vec![first.clone(), bobs.clone()],
        "rejected hidden, most voted first"
    );
    assert_eq!(all.body["pagination"]["total"], 2);
    let bobs_view = &all.body["requests"][1];
    assert_eq!(bobs_view["hasVoted"], true);
    assert!(
        bobs_view["adminNotes"].is_null(),
        "another user's notes are hidden: {bobs_view}"
    );
    assert_eq!(bobs_view["status"], "approved");
    // Bob sees his own notes in the same list, and his vote on the first request.
    let all = get_as(&s.cli, &format!("{PG}/requests?scope=all"), &bob).await;
    assert_eq!(
        all.body["requests"][1]["adminNotes"],
        "internal: shoot next week"
    );
    assert_eq!(all.body["requests"][0]["hasVoted"], true);

    let filtered = get_as(&s.cli, &format!("{PG}/requests?status=rejected"), &s.token).await;
    assert_eq!(ids(&filtered.body["requests"]), vec![second.clone()]);
    let filtered = get_as(
        &s.cli,
        &format!("{PG}/requests?scope=all&status=rejected"),
        &s.token,
    )
    .await;
    assert_eq!(filtered.status, StatusCode::OK);
    assert_eq!(filtered.body["pagination"]["total"], 0);
    let paged = get_as(
        &s.cli,
        &format!("{PG}/requests?scope=all&limit=1&page=2"),
        &s.token,
    )
    .await;
    assert_eq!(ids(&paged.body["requests"]), vec![bobs.clone()]);
    assert_eq!(
        paged.body["pagination"],
        json!({ "page": 2, "limit": 1, "total": 2, "totalPages": 2, "hasMore": false })
    );
    let past_end = get_as(
        &s.cli,
        &format!("{PG}/requests?scope=all&limit=1&page=5"),
        &s.token,
    )
    .await;
    assert_eq!(past_end.body["requests"], json!([]));
    assert_eq!(
        past_end.body["pagination"],
        json!({ "page": 5, "limit": 1, "total": 2, "totalPages": 2, "hasMore": false })
    );

    for (query, field) in [
        ("scope=everyone", "scope"),
        ("status=done", "status"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("page=0", "page"),
        ("limit=ten", "limit"),
    ] {
        let reply = get_as(&s.cli, &format!("{PG}/requests?{query}"), &s.token).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{query}: {:?}",
            reply.body
        );
        assert_eq!(
            detail_fields(&reply),
            vec![field.to_owned()],
            "{query}: {:?}",
            reply.body
        );
    }
    let anonymous = call(&s.cli, Method::GET, &format!("{PG}/requests"), None, None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

dual_test!(voting_follows_the_rules);
/// One vote per user, never on one's own request, only while pending or approved;
/// the vote and the counter change together.
async fn voting_follows_the_rules(db: TestDb) {
    let s = setup(&db, &[]).await;
    let (bob_id, bob) = register(&s.cli, "bob@example.com").await;
    let id = create(&s.cli, &s.token, "Leaning on a wall").await;

    let own = vote(&s.cli, &s.token, &id).await;
    assert_eq!(own.status, StatusCode::CONFLICT);
    assert_eq!(own.error_message(), "You cannot vote on your own request");

    let reply = vote(&s.cli, &bob, &id).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body["message"], "Vote recorded");
    assert_eq!(reply.body["request"]["votesCount"], 1);
    assert_eq!(reply.body["request"]["hasVoted"], true);
    assert_eq!(reply.body["request"]["id"], id.as_str());
    let twice = vote(&s.cli, &bob, &id).await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    assert_eq!(
        twice.error_message(),
        "You have already voted for this request"
    );
    assert_eq!(row(&s.state, &id).await.votes_count, 1);
    let votes = pose_request_votes::Entity::find()
        .filter(pose_request_votes::Column::UserId.eq(bob_id.as_str()))
        .count(&s.state.db)
        .await
        .unwrap();
    assert_eq!(votes, 1);

    // Still open when approved; closed in every later status.
    let (_, carol) = register(&s.cli, "carol@example.com").await;
    set_status(&s.state, &id, "approved").await;
    let reply = vote(&s.cli, &carol, &id).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body["request"]["votesCount"], 2);
    let (_, dave) = register(&s.cli, "dave@example.com").await;
    for status in ["in_progress", "completed", "rejected"] {
        set_status(&s.state, &id, status).await;
        let closed = vote(&s.cli, &dave, &id).await;
        assert_eq!(closed.status, StatusCode::CONFLICT, "{status}");
        assert_eq!(closed.error_message(), "Voting is closed for this request");
        assert_eq!(closed.body["error"]["details"], json!({ "status": status }));
    }
    assert_eq!(row(&s.state, &id).await.votes_count, 2);

    for missing in ["cm3kd5req000dqz8h3c2b1a0f", "not%20an%20id"] {
        let reply = vote(&s.cli, &bob, missing).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{missing}");
        assert_eq!(reply.error_message(), "Pose request not found");
    }
    let anonymous = call(
        &s.cli,
        Method::POST,
        &format!("{PG}/requests/{id}/vote"),
        None,
        None,
    )
    .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

dual_test!(a_concurrent_double_vote_counts_once);
/// The same user voting many times at once: the unique pair lets exactly one vote
/// through, the others are 409 (never 500), and the counter says 1.
async fn a_concurrent_double_vote_counts_once(db: TestDb) {
    let s = setup(&db, &[]).await;
    let (_, bob) = register(&s.cli, "bob@example.com").await;
    let id = create(&s.cli, &s.token, "Jumping").await;
    let replies = futures_util::future::join_all((0..8).map(|_| vote(&s.cli, &bob, &id))).await;
    let ok = replies
        .iter()
        .filter(|r| r.status == StatusCode::OK)
        .count();
    let conflicts = replies
        .iter()
        .filter(|r| r.status == StatusCode::CONFLICT)
        .count();
    assert_eq!((ok, conflicts), (1, 7), "{replies:?}");
    assert!(
        replies
            .iter()
            .filter(|r| r.status == StatusCode::CONFLICT)
            .all(|r| r.error_message() == "You have already voted for this request")
    );
    assert_eq!(row(&s.state, &id).await.votes_count, 1);
    assert_eq!(
        pose_request_votes::Entity::find()
            .count(&s.state.db)
            .await
            .unwrap(),
        1
    );
}

dual_test!(admin_routes_need_an_admin);
/// Admin routes: 401 without a valid token (as for every bearer route), 403
/// `FORBIDDEN` for a plain user, whatever the route.
async fn admin_routes_need_an_admin(db: TestDb) {
    let s = setup(&db, &[]).await;
    let id = create(&s.cli, &s.token, "Waving").await;
    let routes = [
        (Method::GET, ADMIN.to_owned()),
        (Method::GET, format!("{ADMIN}/stats")),
        (Method::GET, format!("{ADMIN}/popular")),
        (Method::GET, format!("{ADMIN}/{id}")),
        (Method::POST, format!("{ADMIN}/{id}/approve")),
        (Method::POST, format!("{ADMIN}/{id}/reject")),
        (Method::POST, format!("{ADMIN}/{id}/mark-in-progress")),
        (Method::POST, format!("{ADMIN}/{id}/mark-completed")),
        (Method::PUT, format!("{ADMIN}/{id}/notes")),
    ];
    let body = json!({ "adminNotes": "n", "completedPoseId": "pose-0" });
    for (method, path) in &routes {
        let anonymous = call(&s.cli, method.clone(), path, None, Some(&body)).await;
        assert_eq!(
            anonymous.status,
            StatusCode::UNAUTHORIZED,
            "{method} {path}"
        );
        assert_eq!(anonymous.error_message(), "No token provided");
        assert_eq!(anonymous.headers.get("www-authenticate").unwrap(), "Bearer");
        let forged = call(&s.cli, method.clone(), path, Some("not-a-jwt"), Some(&body)).await;
        assert_eq!(forged.status, StatusCode::UNAUTHORIZED, "{method} {path}");
        assert_eq!(forged.error_message(), "Invalid token");
        let plain = call(&s.cli, method.clone(), path, Some(&s.token), Some(&body)).await;
        assert_eq!(
            plain.status,
            StatusCode::FORBIDDEN,
            "{method} {path}: {:?}",
            plain.body
        );
        assert_eq!(plain.error_code(), "FORBIDDEN");
        assert_eq!(plain.error_message(), "Admin access required");
        assert!(plain.body["error"].get("details").is_none());
    }
    assert_eq!(
        row(&s.state, &id).await.status,
        "pending",
        "nothing changed"
    );
}

dual_test!(admin_lists_stats_and_popular);
/// `stats` and `popular` are their own routes, never request ids; the list filters
/// and shows the requester; an unknown id is a 404.
async fn admin_lists_stats_and_popular(db: TestDb) {
    let s = setup(&db, &[]).await;
    library(&s.state, false).await;
    let (bob_id, bob) = register(&s.cli, "bob@example.com").await;
    let root = admin(&s.cli, &s.state, "root@example.com").await;
    let a = create(&s.cli, &s.token, "A").await;
    let b = create(&s.cli, &s.token, "B").await;
    let reply = post(
        &s.cli,
        &format!("{PG}/requests"),
        &bob,
        &json!({ "poseName": "C", "description": "c", "categoryId": "cat-root" }),
    )
    .await;
    let c = reply.body["request"]["id"].as_str().unwrap().to_owned();
    let d = create(&s.cli, &bob, "D").await;
    set_status(&s.state, &d, "in_progress").await;
    assert_eq!(vote(&s.cli, &s.token, &c).await.status, StatusCode::OK);
    assert_eq!(vote(&s.cli, &root, &c).await.status, StatusCode::OK);
    assert_eq!(vote(&s.cli, &bob, &b).await.status, StatusCode::OK);
    set_status(&s.state, &b, "approved").await;

    let stats = get_as(&s.cli, &format!("{ADMIN}/stats"), &root).await;
    assert_eq!(stats.status, StatusCode::OK, "{:?}", stats.body);
    assert_eq!(
        stats.body,
        json!({ "stats": { "total": 4, "pending": 2, "approved": 1, "inProgress": 1, "completed": 0, "rejected": 0 } })
    );

    let popular = get_as(&s.cli, &format!("{ADMIN}/popular"), &root).await;
    assert_eq!(popular.status, StatusCode::OK, "{:?}", popular.body);
    assert_eq!(
        ids(&popular.body["requests"]),
        vec![c.clone(), b.clone(), a.clone()],
        "in_progress is not open for votes"
    );
    assert_eq!(
        popular.body["requests"][0]["user"],
        json!({ "id": bob_id, "email": "bob@example.com", "name": "Dewi" })
    );
    assert_eq!(popular.body["requests"][0]["category"]["id"], "cat-root");
    let popular = get_as(&s.cli, &format!("{ADMIN}/popular?limit=1"), &root).await;
    assert_eq!(ids(&popular.body["requests"]), vec![c.clone()]);
    for limit in ["0", "101", "x"] {
        let reply = get_as(&s.cli, &format!("{ADMIN}/popular?limit={limit}"), &root).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{limit}");
        assert_eq!(detail_fields(&reply), vec!["limit".to_owned()]);
    }

    let list = get_as(&s.cli, ADMIN, &root).await;
    assert_eq!(list.status, StatusCode::OK, "{:?}", list.body);
    assert_eq!(list.body["pagination"]["total"], 4);
    assert_eq!(list.body["requests"].as_array().unwrap().len(), 4);
    assert!(
        list.body["requests"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["user"]["email"].is_string())
    );
    let by_user = get_as(&s.cli, &format!("{ADMIN}?userId={bob_id}"), &root).await;
    let mut got = ids(&by_user.body["requests"]);
    got.sort();
    let mut want = vec![c.clone(), d.clone()];
    want.sort();
    assert_eq!(got, want);
    let by_status = get_as(&s.cli, &format!("{ADMIN}?status=in_progress"), &root).await;
    assert_eq!(ids(&by_status.body["requests"]), vec![d.clone()]);
    let by_category = get_as(
        &s.cli,
        &format!("{ADMIN}?categoryId=cat-root&limit=1"),
        &root,
    )
    .await;
    assert_eq!(ids(&by_category.body["requests"]), vec![c.clone()]);
    assert_eq!(by_category.body["pagination"]["limit"], 1);
    for query in ["status=open", "limit=0", "page=0"] {
        let reply = get_as(&s.cli, &format!("{ADMIN}?{query}"), &root).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}");
    }

    let detail = get_as(&s.cli, &format!("{ADMIN}/{c}"), &root).await;
    assert_eq!(detail.status, StatusCode::OK);
    assert_eq!(detail.body["request"]["id"], c.as_str());
    assert_eq!(detail.body["request"]["votesCount"], 2);
    assert_eq!(detail.body["request"]["user"]["id"], bob_id.as_str());
    let missing = get_as(&s.cli, &format!("{ADMIN}/cm3kd5req000dqz8h3c2b1a0f"), &root).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.error_message(), "Pose request not found");
    let trailing = get_as(&s.cli, &format!("{ADMIN}/"), &root).await;
    assert_eq!(
        trailing.status,
        StatusCode::NOT_FOUND,
        "a trailing slash is another path"
    );
}

/// The state machine (api.md §8.10): which action is allowed from which status.
const ACTIONS: [(&str, &[&str], &str); 4] = [
    ("approve", &["pending"], "approved"),
    ("reject", &["pending"], "rejected"),
    ("mark-in-progress", &["approved"], "in_progress"),
    ("mark-completed", &["in_progress"], "completed"),
];
const STATUSES: [&str; 5] = [
    "pending",
    "approved",
    "in_progress",
    "completed",
    "rejected",
];

dual_test!(every_transition_follows_the_state_machine);
/// Every action from every status: allowed ones move the request and say so; the
/// others are a 409 naming the current status and the statuses allowed.
async fn every_transition_follows_the_state_machine(db: TestDb) {
    let s = setup(&db, &[]).await;
    library(&s.state, false).await;
    let root = admin(&s.cli, &s.state, "root@example.com").await;
    for (action, allowed_from, target) in ACTIONS {
        for status in STATUSES {
            let id = create(&s.cli, &s.token, &format!("{action} from {status}")).await;
            set_status(&s.state, &id, status).await;
            let before = row(&s.state, &id).await;
            let body = json!({ "adminNotes": "Looks good", "completedPoseId": "pose-1" });
            let reply = post(&s.cli, &format!("{ADMIN}/{id}/{action}"), &root, &body).await;
            if allowed_from.contains(&status) {
                assert_eq!(
                    reply.status,
                    StatusCode::OK,
                    "{action} from {status}: {:?}",
                    reply.body
                );
                assert_eq!(reply.body["request"]["status"], target);
                assert_eq!(reply.body["request"]["adminNotes"], "Looks good");
                assert_eq!(reply.body["request"]["user"]["id"], s.user_id.as_str());
                assert_eq!(row(&s.state, &id).await.status, target);
                assert!(row(&s.state, &id).await.updated_at >= before.updated_at);
            } else {
                assert_eq!(
                    reply.status,
                    StatusCode::CONFLICT,
                    "{action} from {status}: {:?}",
                    reply.body
                );
                assert_eq!(reply.error_code(), "CONFLICT");
                let words = action.replace('-', " ");
                assert_eq!(
                    reply.error_message(),
                    format!("Cannot {words} a request with status {status}")
                );
                assert_eq!(
                    reply.body["error"]["details"],
                    json!({ "status": status, "allowedFrom": allowed_from })
                );
                assert_eq!(
                    row(&s.state, &id).await,
                    before,
                    "{action} from {status} changed nothing"
                );
            }
        }
    }
}

dual_test!(transitions_apply_their_bodies);
/// What each transition does with its body: approve sets or clears the notes (the
/// body may be left out), reject needs notes, the later steps keep them, completion
/// links an existing library pose; 400 comes before 404.
async fn transitions_apply_their_bodies(db: TestDb) {
    let s = setup(&db, &[]).await;
    library(&s.state, false).await;
    let root = admin(&s.cli, &s.state, "root@example.com").await;
    let id = create(&s.cli, &s.token, "Thinking").await;
    let path = |action: &str| format!("{ADMIN}/{id}/{action}");

    let reply = post(&s.cli, &path("reject"), &root, &json!({})).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        reply.error_message(),
        "adminNotes: Admin notes are required"
    );
    let reply = post(
        &s.cli,
        &path("reject"),
        &root,
        &json!({ "adminNotes": "x".repeat(1001) }),
    )
    .await;
    assert_eq!(detail_fields(&reply), vec!["adminNotes".to_owned()]);
    let reply = post(
        &s.cli,
        &path("approve"),
        &root,
        &json!({ "adminNotes": "x".repeat(1001) }),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);

    // Approve with no body at all: the notes are cleared.
    pose_requests::ActiveModel {
        id: Set(id.clone()),
        admin_notes: Set(Some("old".into())),
        ..Default::default()
    }
    .update(&s.state.db)
    .await
    .unwrap();
    let reply = call(&s.cli, Method::POST, &path("approve"), Some(&root), None).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body["message"], "Pose request approved");
    assert!(reply.body["request"]["adminNotes"].is_null());

    let reply = post(
        &s.cli,
        &path("mark-in-progress"),
        &root,
        &json!({ "adminNotes": "Shooting Monday" }),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body["message"], "Pose request marked as in progress");
    assert_eq!(reply.body["request"]["adminNotes"], "Shooting Monday");

    let reply = post(
        &s.cli,
        &path("mark-completed"),
        &root,
        &json!({ "completedPoseId": "nope" }),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        reply.body["error"]["details"],
        json!({ "completedPoseId": ["Pose not found"] })
    );
    let reply = post(
        &s.cli,
        &path("mark-completed"),
        &root,
        &json!({ "adminNotes": "x" }),
    )
    .await;
    assert_eq!(detail_fields(&reply), vec!["completedPoseId".to_owned()]);
    let reply = post(
        &s.cli,
        &path("mark-completed"),
        &root,
        &json!({ "completedPoseId": "pose-2" }),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body["message"], "Pose request marked as completed");
    let request = &reply.body["request"];
    assert_eq!(request["status"], "completed");
    assert_eq!(request["adminNotes"], "Shooting Monday", "notes kept");
    assert_eq!(request["completedPoseId"], "pose-2");
    assert_eq!(
        request["completedPose"],
        json!({
            "id": "pose-2", "name": "Hands On Hips", "previewImageUrl": "/presets/none.jpg", "thumbnailUrl": null,
        })
    );
    // The user sees the fulfilled request with its pose.
    let mine = get_as(&s.cli, &format!("{PG}/requests"), &s.token).await;
    assert_eq!(mine.body["requests"][0]["completedPose"]["id"], "pose-2");

    // Validation comes before the lookup of the request; unknown ids are 404.
    let missing = format!("{ADMIN}/cm3kd5req000dqz8h3c2b1a0f");
    let reply = post(&s.cli, &format!("{missing}/reject"), &root, &json!({})).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let reply = post(
        &s.cli,
        &format!("{missing}/mark-completed"),
        &root,
        &json!({ "completedPoseId": "nope" }),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    for action in ["approve", "reject", "mark-in-progress", "mark-completed"] {
        let reply = post(
            &s.cli,
            &format!("{missing}/{action}"),
            &root,
            &json!({ "adminNotes": "n", "completedPoseId": "pose-0" }),
        )
        .await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{action}");
        assert_eq!(reply.error_message(), "Pose request not found");
    }
    // A body that is not JSON is still refused.
    let reply = send(
        s.cli
            .post(path("approve"))
            .header("Authorization", format!("Bearer {root}"))
            .content_type("text/plain")
            .body("adminNotes=x"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

dual_test!(notes_change_in_any_status);
/// Admin notes change in any status, and nothing else does.
async fn notes_change_in_any_status(db: TestDb) {
    let s = setup(&db, &[]).await;
    let root = admin(&s.cli, &s.state, "root@example.com").await;
    for status in STATUSES {
        let id = create(&s.cli, &s.token, &format!("Notes {status}")).await;
        set_status(&s.state, &id, status).await;
        let before = row(&s.state, &id).await;
        let reply = call(
            &s.cli,
            Method::PUT,
            &format!("{ADMIN}/{id}/notes"),
            Some(&root),
            Some(&json!({ "adminNotes": "  Needs a reference photo  " })),
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{status}: {:?}", reply.body);
        assert_eq!(reply.body["message"], "Admin notes updated");
        assert_eq!(
            reply.body["request"]["adminNotes"],
            "Needs a reference photo"
        );
        let after = row(&s.state, &id).await;
        assert_eq!(after.status, status);
        assert_eq!(
            after.admin_notes.as_deref(),
            Some("Needs a reference photo")
        );
        assert_eq!(
            pose_requests::Model {
                admin_notes: before.admin_notes.clone(),
                updated_at: before.updated_at,
                ..after
            },
            before
        );
    }
    let id = create(&s.cli, &s.token, "Notes validation").await;
    for body in [
        json!({}),
        json!({ "adminNotes": " " }),
        json!({ "adminNotes": null }),
        json!({ "adminNotes": "x".repeat(1001) }),
    ] {
        let reply = call(
            &s.cli,
            Method::PUT,
            &format!("{ADMIN}/{id}/notes"),
            Some(&root),
            Some(&body),
        )
        .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(detail_fields(&reply), vec!["adminNotes".to_owned()]);
    }
    let reply = call(
        &s.cli,
        Method::PUT,
        &format!("{ADMIN}/cm3kd5req000dqz8h3c2b1a0f/notes"),
        Some(&root),
        Some(&json!({ "adminNotes": "n" })),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.error_message(), "Pose request not found");
}

dual_test!(recovery_status_and_trigger);
/// The recovery status counts a generation whose worker died (its lease expired);
/// the trigger requeues it, and after its last attempt fails and refunds it.
async fn recovery_status_and_trigger(db: TestDb) {
    let s = setup(&db, &[]).await;
    let poses = library(&s.state, false).await;
    s.grant(100).await;
    let root = admin(&s.cli, &s.state, "root@example.com").await;
    let project = s.project(json!({ "projectName": "Crash" })).await;
    let reply = s
        .post(
            "/generate",
            &json!({ "projectId": project, "generationType": "GALLERY_REFERENCE",
                                    "selectedPoseIds": poses, "batchSize": 1 }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{:?}", reply.body);
    let id = reply.body["generationId"].as_str().unwrap().to_owned();
    let charged = s.balance().await;
    let status_url = format!("{PG}/recovery/status");
    let trigger_url = format!("{PG}/recovery/trigger");

    let status = get_as(&s.cli, &status_url, &root).await;
    assert_eq!(status.status, StatusCode::OK, "{:?}", status.body);
    assert_eq!(
        status.body,
        json!({
            "stalledGenerations": 0, "queuedGenerations": 1, "processingGenerations": 0,
            "lastRecoveryRun": null,
            "jobs": { "queued": 1, "running": 0, "delayed": 0, "failedLast24h": 0 },
        })
    );

    // A worker claims with a lease that is already over, and dies.
    let claim_and_die = async || {
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
        job
    };
    let job = claim_and_die().await;
    let status = get_as(&s.cli, &status_url, &root).await;
    assert_eq!(status.body["stalledGenerations"], 1, "{:?}", status.body);
    assert_eq!(status.body["processingGenerations"], 1);
    assert_eq!(status.body["queuedGenerations"], 0);
    assert_eq!(
        status.body["jobs"],
        json!({ "queued": 0, "running": 1, "delayed": 0, "failedLast24h": 0 })
    );

    for path in [&status_url, &trigger_url] {
        let method = if path == &status_url {
            Method::GET
        } else {
            Method::POST
        };
        let anonymous = call(&s.cli, method.clone(), path, None, None).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{path}");
        let plain = call(&s.cli, method, path, Some(&s.token), None).await;
        assert_eq!(plain.status, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(plain.error_message(), "Admin access required");
    }
    assert_eq!(
        row_status(&s.state, &id).await,
        "processing",
        "a refused trigger ran nothing"
    );

    let reply = call(&s.cli, Method::POST, &trigger_url, Some(&root), None).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(
        reply.body,
        json!({ "success": true, "recovered": 1, "failed": 0 })
    );
    let status = get_as(&s.cli, &status_url, &root).await;
    assert_eq!(status.body["stalledGenerations"], 0);
    assert_eq!(status.body["queuedGenerations"], 1);
    assert_eq!(status.body["processingGenerations"], 0);
    assert!(
        status.body["lastRecoveryRun"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
    assert_eq!(
        status.body["jobs"],
        json!({ "queued": 0, "running": 0, "delayed": 1, "failedLast24h": 0 }),
        "requeued with a backoff"
    );
    let generation = pose_generations::Entity::find_by_id(id.as_str())
        .one(&s.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (generation.status.as_str(), generation.recovery_attempts),
        ("pending", 1)
    );

    // The last attempt dies too: the trigger fails the generation and refunds it.
    jobs::ActiveModel {
        id: Set(job.id.clone()),
        run_after: Set(chrono::Utc::now().naive_utc() - chrono::Duration::seconds(1)),
        attempts: Set(2),
        ..Default::default()
    }
    .update(&s.state.db)
    .await
    .unwrap();
    claim_and_die().await;
    let reply = call(&s.cli, Method::POST, &trigger_url, Some(&root), None).await;
    assert_eq!(
        reply.body,
        json!({ "success": true, "recovered": 0, "failed": 1 })
    );
    assert_eq!(row_status(&s.state, &id).await, "failed");
    assert_eq!(s.balance().await, charged + 90, "the 3 poses are refunded");
    let status = get_as(&s.cli, &status_url, &root).await;
    assert_eq!(
        status.body["jobs"],
        json!({ "queued": 0, "running": 0, "delayed": 0, "failedLast24h": 1 })
    );
    assert_eq!(status.body["queuedGenerations"], 0);
}

async fn row_status(state: &api::AppState, generation_id: &str) -> String {
    pose_generations::Entity::find_by_id(generation_id)
        .one(&state.db)
        .await
        .unwrap()
        .unwrap()
        .status
}

/// A job row of `kind` in `status`, last touched `age` ago.
async fn job(state: &api::AppState, kind: &str, status: &str, age: chrono::Duration) {
    let at = chrono::Utc::now().naive_utc() - age;
    let finished = [JobStatus::Succeeded.as_str(), JobStatus::Failed.as_str()].contains(&status);
    jobs::ActiveModel {
        id: Set(api::ids::new_id()),
        kind: Set(kind.into()),
        reference_id: Set(api::ids::new_id()),
        payload: Set("{}".into()),
        status: Set(status.into()),
        priority: Set(0),
        attempts: Set(0),
        max_attempts: Set(3),
        run_after: Set(at),
        lease_owner: Set(None),
        lease_expires_at: Set(None),
        last_error: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
        finished_at: Set(finished.then_some(at)),
    }
    .insert(&state.db)
    .await
    .unwrap();
}

dual_test!(health_reports_healthy_and_degraded);
/// Public health: healthy on a fresh service; degraded (still 200) when due jobs
/// wait while no worker was active for 2 minutes, or when over 100 pose jobs failed
/// in 24 hours.
async fn health_reports_healthy_and_degraded(db: TestDb) {
    let s = setup(&db, &[]).await;
    let url = format!("{PG}/health");
    let reply = send(s.cli.get(&url)).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let body = &reply.body;
    assert_eq!(body["status"], "healthy");
    assert_eq!(body["app"], "pose-generator");
    assert!(body["version"].is_string());
    assert!(body["timestamp"].as_str().unwrap().ends_with('Z'));
    assert_eq!(body["checks"]["database"], json!({ "status": "connected" }));
    assert_eq!(
        body["checks"]["queue"],
        json!({
            "status": "operational", "reason": null,
            "counts": { "waiting": 0, "active": 0, "completed": 0, "failed": 0, "delayed": 0 },
        })
    );
    assert_eq!(
        body["checks"]["provider"],
        json!({ "status": "configured", "name": "local" })
    );
    assert_eq!(body["checks"]["storage"], json!({ "status": "writable" }));

    // A pose job due for 5 minutes, and no worker activity: stalled.
    job(
        &s.state,
        api::pose_generator::job::JOB_KIND,
        JobStatus::Queued.as_str(),
        chrono::Duration::minutes(5),
    )
    .await;
    // Old activity and other kinds' queues do not change that.
    job(
        &s.state,
        api::avatar_creator::generations::JOB_KIND,
        JobStatus::Succeeded.as_str(),
        chrono::Duration::minutes(3),
    )
    .await;
    let reply = send(s.cli.get(&url)).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["status"], "degraded", "{:?}", reply.body);
    assert_eq!(reply.body["checks"]["queue"]["status"], "degraded");
    assert_eq!(reply.body["checks"]["queue"]["counts"]["waiting"], 1);
    assert_eq!(
        reply.body["checks"]["queue"]["counts"]["completed"], 0,
        "avatar jobs are not counted"
    );
    // A job a worker just finished (of any kind) is a heartbeat.
    job(
        &s.state,
        api::avatar_creator::generations::JOB_KIND,
        JobStatus::Succeeded.as_str(),
        chrono::Duration::seconds(5),
    )
    .await;
    let reply = send(s.cli.get(&url)).await;
    assert_eq!(reply.body["status"], "healthy", "{:?}", reply.body);

    // 100 failures in 24 h are tolerated, 101 are not; older ones do not count.
    for _ in 0..100 {
        job(
            &s.state,
            api::pose_generator::background::JOB_KIND,
            JobStatus::Failed.as_str(),
            chrono::Duration::hours(1),
        )
        .await;
    }
    job(
        &s.state,
        api::pose_generator::job::JOB_KIND,
        JobStatus::Failed.as_str(),
        chrono::Duration::hours(25),
    )
    .await;
    let reply = send(s.cli.get(&url)).await;
    assert_eq!(reply.body["status"], "healthy", "{:?}", reply.body);
    assert_eq!(reply.body["checks"]["queue"]["counts"]["failed"], 100);
    job(
        &s.state,
        api::pose_generator::job::JOB_KIND,
        JobStatus::Failed.as_str(),
        chrono::Duration::minutes(1),
    )
    .await;
    let reply = send(s.cli.get(&url)).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["status"], "degraded", "{:?}", reply.body);
    assert_eq!(reply.body["checks"]["queue"]["counts"]["failed"], 101);
    assert_eq!(
        reply.body["checks"]["queue"]["reason"],
        "101 jobs failed in the last 24 hours"
    );

    // Anonymous health checks do not write to storage each time: one probe per
    // 10 s for all of the requests above and 20 more.
    for _ in 0..20 {
        assert_eq!(send(s.cli.get(&url)).await.status, StatusCode::OK);
    }
    assert_eq!(s.state.storage_probe.runs(), 1);
}

dual_test!(health_is_unavailable_when_storage_is_not_writable);
/// Storage that refuses writes makes the app unhealthy: 503 `SERVICE_UNAVAILABLE`
/// with the whole report in `error.details`.
async fn health_is_unavailable_when_storage_is_not_writable(db: TestDb) {
    let dir = tests::util::TempDir::new("pose-health-").unwrap();
    let file = dir.path().join("uploads-is-a-file");
    std::fs::write(&file, b"not a directory").unwrap();
    let (cli, _state) =
        crate::api_client::start(&db, &[("UPLOAD_DIR", file.to_str().unwrap())]).await;
    let reply = send(cli.get(format!("{PG}/health"))).await;
    assert_eq!(
        reply.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{:?}",
        reply.body
    );
    assert_eq!(reply.error_code(), "SERVICE_UNAVAILABLE");
    let details = &reply.body["error"]["details"];
    assert_eq!(details["status"], "unhealthy");
    assert_eq!(details["app"], "pose-generator");
    assert_eq!(
        details["checks"]["storage"],
        json!({ "status": "unwritable" })
    );
    assert_eq!(
        details["checks"]["database"],
        json!({ "status": "connected" })
    );
    assert_eq!(details["checks"]["queue"]["status"], "operational");
    assert_eq!(details["checks"]["provider"]["name"], "local");
}
