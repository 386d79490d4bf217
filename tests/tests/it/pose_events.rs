//! The Server-Sent Events progress stream (api.md §7.13): `retry`, a snapshot, the
//! progress through to the terminal event, with the bearer header or `access_token`.

use std::time::Duration;

use api::jobs::Workers;
use poem::http::StatusCode;
use serde_json::{Value, json};
use tests::{TestDb, dual_test};

use crate::pose_generation::{library, setup};

const PG: &str = "/api/apps/pose-generator";

/// `(event, data)` pairs of an SSE body, and whether it began with `retry: 3000`.
fn parse(body: &str) -> (bool, Vec<(String, Value)>) {
    let retry = body.starts_with("retry: 3000\n\n");
    let events = body
        .split("\n\n")
        .filter_map(|frame| {
            let event = frame.lines().find_map(|l| l.strip_prefix("event: "))?;
            let data = frame.lines().find_map(|l| l.strip_prefix("data: "))?;
            Some((event.to_owned(), serde_json::from_str(data).unwrap()))
        })
        .collect();
    (retry, events)
}

dual_test!(the_stream_follows_a_generation_to_its_end);
async fn the_stream_follows_a_generation_to_its_end(db: TestDb) {
    let s = setup(
        &db,
        &[("SSE_POLL_MS", "50"), ("LOCAL_PROVIDER_DELAY_MS", "150")],
    )
    .await;
    let poses = library(&s.state, true).await;
    let project = s.project(json!({ "projectName": "Live" })).await;
    let reply = s
        .post(
            "/generate",
            &json!({ "projectId": project, "generationType": "GALLERY_REFERENCE",
                                    "selectedPoseIds": poses, "batchSize": 1 }),
        )
        .await;
    let id = reply.body["generationId"].as_str().unwrap().to_owned();
    let resp = s
        .cli
        .get(format!("{PG}/generations/{id}/events"))
        .query("access_token", &s.token)
        .send()
        .await;
    resp.assert_status_is_ok();
    // The stream has taken its snapshot of the pending generation; now work starts.
    let workers = Workers::start(&s.state, 1);
    resp.assert_header("Content-Type", "text/event-stream");
    resp.assert_header("X-Accel-Buffering", "no");
    let body = tokio::time::timeout(Duration::from_secs(60), resp.0.into_body().into_string())
        .await
        .expect("the stream ends after the terminal event")
        .unwrap();
    workers.stop().await;
    let (retry, events) = parse(&body);
    assert!(retry, "{body}");
    let kinds: Vec<&str> = events.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(kinds[0], "snapshot", "{kinds:?}");
    assert_eq!(events[0].1["generationId"], id.as_str());
    assert!(events[0].1["progress"]["posesTotal"] == 3);
    assert_eq!(*kinds.last().unwrap(), "completed", "{kinds:?}");
    assert!(kinds.contains(&"started"), "{kinds:?}");
    assert_eq!(
        kinds.iter().filter(|k| **k == "pose").count(),
        3,
        "{kinds:?}"
    );
    assert!(kinds.contains(&"progress"), "{kinds:?}");
    let last = &events.last().unwrap().1;
    assert_eq!(
        (
            last["status"].as_str(),
            last["completed"].as_i64(),
            last["failed"].as_i64()
        ),
        (Some("partial"), Some(2), Some(1))
    );
    assert_eq!(last["creditRefunded"], 30);
    for (_, data) in &events {
        assert!(data["timestamp"].as_str().unwrap().ends_with('Z'));
    }

    // A finished generation: snapshot, terminal event, end; the bearer header works.
    let resp = s
        .cli
        .get(format!("{PG}/generations/{id}/events"))
        .header("Authorization", format!("Bearer {}", s.token))
        .send()
        .await;
    let body = resp.0.into_body().into_string().await.unwrap();
    let kinds: Vec<String> = parse(&body).1.into_iter().map(|(k, _)| k).collect();
    assert_eq!(kinds, ["snapshot", "completed"]);

    // Errors before the stream starts use the normal error body.
    let none = s
        .cli
        .get(format!("{PG}/generations/{id}/events"))
        .send()
        .await;
    none.assert_status(StatusCode::UNAUTHORIZED);
    let bad = s
        .cli
        .get(format!("{PG}/generations/{id}/events"))
        .query("access_token", &"nope")
        .send()
        .await;
    bad.assert_status(StatusCode::UNAUTHORIZED);
    let missing = s
        .cli
        .get(format!("{PG}/generations/nope/events"))
        .query("access_token", &s.token)
        .send()
        .await;
    missing.assert_status(StatusCode::NOT_FOUND);
}

dual_test!(followers_of_a_generation_share_one_poller);
/// One poller per generation: 50 streams following one generation read the
/// database as often as one stream does; all 50 still see it to its end. A user's
/// streams are capped (`MAX_STREAMS_PER_USER`): one more is a 429.
async fn followers_of_a_generation_share_one_poller(db: TestDb) {
    let s = setup(
        &db,
        &[("SSE_POLL_MS", "50"), ("MAX_STREAMS_PER_USER", "51")],
    )
    .await;
    let poses = library(&s.state, false).await;
    let project = s.project(json!({ "projectName": "Watched" })).await;
    let reply = s
        .post(
            "/generate",
            &json!({ "projectId": project, "generationType": "GALLERY_REFERENCE",
                                    "selectedPoseIds": poses, "batchSize": 1 }),
        )
        .await;
    let id = reply.body["generationId"].as_str().unwrap().to_owned();
    let open = || {
        s.cli
            .get(format!("{PG}/generations/{id}/events"))
            .header("Authorization", format!("Bearer {}", s.token))
            .send()
    };
    let events = s.state.events.clone();
    let polls_during = |window: Duration| {
        let events = events.clone();
        async move {
            let before = events.polls();
            tokio::time::sleep(window).await;
            events.polls() - before
        }
    };

    let one = open().await;
    one.assert_status_is_ok();
    let alone = polls_during(Duration::from_secs(1)).await;
    let mut streams = vec![one];
    for _ in 0..49 {
        let resp = open().await;
        resp.assert_status_is_ok();
        streams.push(resp);
    }
    let shared = polls_during(Duration::from_secs(1)).await;
    assert_eq!(s.state.events.followed(), 1);
    assert!(alone >= 5, "the poller reads every 50 ms: {alone}");
    assert!(
        shared <= alone * 2,
        "50 streams: {shared} polls/s, one stream: {alone}"
    );
    let extra = open().await;
    extra.assert_status_is_ok();
    open().await.assert_status(StatusCode::TOO_MANY_REQUESTS);
    drop(extra);

    let workers = Workers::start(&s.state, 1);
    let bodies = futures_util::future::join_all(
        streams
            .into_iter()
            .map(|resp| resp.0.into_body().into_string()),
    );
    let bodies = tokio::time::timeout(Duration::from_secs(60), bodies)
        .await
        .expect("every stream ends");
    workers.stop().await;
    for body in bodies {
        let kinds: Vec<String> = parse(&body.unwrap())
            .1
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(
            kinds.last().map(String::as_str),
            Some("completed"),
            "{kinds:?}"
        );
        assert_eq!(
            kinds.iter().filter(|k| *k == "pose").count(),
            poses.len(),
            "{kinds:?}"
        );
    }
    eprintln!("progress streams: 1 follower -> {alone} polls/s, 50 followers -> {shared} polls/s");
    assert_eq!(
        s.state.events.followed(),
        0,
        "the poller stopped with the generation"
    );
}
