//! Hostile clients against the real API process (issue 14): what one client can make
//! the server hold is bounded — body size and read time, connections — and the server
//! keeps serving everyone else. Each test fails against a build without the
//! protection it names (README "Security").

use std::{
    net::SocketAddr,
    time::{Duration, Instant},
};

use serde_json::{Value, json};
use tests::util::TempDir;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpSocket, TcpStream},
};

use crate::api_client::PASSWORD;
use crate::api_processes::{Process, http, read_reply, register, spawn};

const MIB: usize = 1024 * 1024;

/// An API process on a fresh SQLite database, ready.
async fn api(files: &TempDir, vars: &[(&str, &str)]) -> Process {
    let url = format!(
        "sqlite://{}?mode=rwc",
        files.path().join("db.sqlite").display()
    );
    let mut all = vec![("DATABASE_URL", url.as_str()), ("AUTO_MIGRATE", "true")];
    all.extend_from_slice(vars);
    spawn(files, &["serve", "--workers", "0"], &all)
        .ready()
        .await
}

/// The peak resident memory of a process (`VmHWM`), in bytes.
fn peak_rss(pid: u32) -> usize {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<usize>().ok())
        .expect("VmHWM in /proc/<pid>/status")
        * 1024
}

/// Sends `POST path` with a body of `size` bytes of JSON-looking junk (declared with
/// `Content-Length`, or chunked), reading the answer while still sending; returns the
/// status and how long it took to arrive.
async fn big_body(addr: SocketAddr, path: &str, size: usize, chunked: bool) -> (u16, Duration) {
    let started = Instant::now();
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut read, mut write) = stream.into_split();
    let length = if chunked {
        "Transfer-Encoding: chunked".to_owned()
    } else {
        format!("Content-Length: {size}")
    };
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n{length}\r\n\r\n"
    );
    let writer = tokio::spawn(async move {
        write.write_all(head.as_bytes()).await?;
        let block = vec![b'1'; 64 * 1024];
        let mut sent = 0;
        while sent < size {
            if chunked {
                write
                    .write_all(format!("{:x}\r\n", block.len()).as_bytes())
                    .await?;
                write.write_all(&block).await?;
                write.write_all(b"\r\n").await?;
            } else {
                write.write_all(&block).await?;
            }
            sent += block.len();
        }
        std::io::Result::Ok(())
    });
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    let status = loop {
        match tokio::time::timeout(Duration::from_secs(30), read.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break 0,
            Ok(Ok(n)) => {
                raw.extend_from_slice(&buf[..n]);
                if let Some(line) = String::from_utf8_lossy(&raw).lines().next()
                    && raw.windows(2).any(|w| w == b"\r\n")
                {
                    break line
                        .split(' ')
                        .nth(1)
                        .and_then(|s| s.parse().ok())
                        .unwrap_or(0);
                }
            }
        }
    };
    let elapsed = started.elapsed();
    writer.abort();
    (status, elapsed)
}

/// 20 concurrent 50 MB bodies to register and 20 to login (half declared, half
/// chunked): every one is a 413 within 2 s, and the server's peak memory stays under
/// 150 MB. Without the streaming cap the server reads each body whole (hundreds of MB).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn floods_of_huge_bodies_get_413_in_bounded_memory() {
    let files = TempDir::new("hostile-bodies-").unwrap();
    // Limits on (login reads its body for them), register's raised above 20 calls: a
    // 429 would come before the 413 (api.md §1.6).
    let api = api(
        &files,
        &[
            ("RATE_LIMITS", "on"),
            ("RATE_LIMIT_AUTH_REGISTER", "1000/60s"),
        ],
    )
    .await;
    let addr = api.addr;
    let baseline = peak_rss(api.child.id());

    let mut clients = Vec::new();
    for i in 0..40 {
        let path = if i % 2 == 0 {
            "/api/auth/register"
        } else {
            "/api/auth/login"
        };
        clients.push(tokio::spawn(big_body(addr, path, 50 * MIB, i % 4 >= 2)));
    }
    let mut slowest = Duration::ZERO;
    for client in clients {
        let (status, took) = client.await.unwrap();
        assert_eq!(status, 413, "a 50 MB body was not refused:\n{}", api.log());
        slowest = slowest.max(took);
    }
    let peak = peak_rss(api.child.id());
    eprintln!(
        "hostile bodies: 40 x 50 MB -> 413, slowest {} ms; peak RSS {} MB (at start {} MB)",
        slowest.as_millis(),
        peak / MIB,
        baseline / MIB
    );
    assert!(
        slowest < Duration::from_secs(2),
        "slowest 413 took {slowest:?}"
    );
    assert!(peak < 150 * MIB, "peak RSS {} MB", peak / MIB);
    // And the server still serves.
    let reply = http(addr, "GET", "/api/health", &[], None).await.unwrap();
    assert_eq!(reply.status, 200);
}

/// A body trickled one byte a second is cut off with 408 once `BODY_READ_TIMEOUT`
/// has passed, instead of holding its connection and buffer for ever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trickled_body_is_cut_off_with_408() {
    let files = TempDir::new("hostile-trickle-").unwrap();
    let api = api(&files, &[("BODY_READ_TIMEOUT", "2")]).await;
    let mut stream = TcpStream::connect(api.addr).await.unwrap();
    let started = Instant::now();
    stream
        .write_all(
            b"POST /api/auth/login HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{",
        )
        .await
        .unwrap();
    let mut raw = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        tokio::select! {
            read = stream.read(&mut buf) => match read {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    raw.extend_from_slice(&buf[..n]);
                    if raw.windows(4).any(|w| w == b"\r\n\r\n") { break; }
                }
            },
            () = tokio::time::sleep(Duration::from_secs(1)) => {
                let _ = stream.write_all(b" ").await;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the trickle was never cut off"
        );
    }
    let reply = String::from_utf8_lossy(&raw);
    assert!(reply.starts_with("HTTP/1.1 408"), "{reply}");
    assert!(started.elapsed() >= Duration::from_secs(2));
}

/// `MAX_CONNECTIONS`: with 2 connections held open, a third is not served until one
/// of them closes; then it is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_cap_wait_for_a_free_slot() {
    let files = TempDir::new("hostile-conns-").unwrap();
    let api = api(&files, &[("MAX_CONNECTIONS", "2")]).await;
    // Two connections that sent half a request head and hold it.
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut stream = TcpStream::connect(api.addr).await.unwrap();
        stream
            .write_all(b"GET /health HTTP/1.1\r\nHost: test\r\n")
            .await
            .unwrap();
        held.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let third = tokio::spawn(http(api.addr, "GET", "/health", &[], None));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        !third.is_finished(),
        "a third connection was served while two held the cap"
    );
    drop(held.pop());
    let reply = tokio::time::timeout(Duration::from_secs(5), third)
        .await
        .expect("the waiting connection was never served")
        .unwrap()
        .unwrap();
    assert_eq!(reply.status, 200);
}

/// `POST path` with a multipart body of one file part `image` and a `name` field, over
/// a new connection; the status.
async fn upload(addr: SocketAddr, path: &str, token: &str, png: &[u8]) -> u16 {
    let boundary = "hostile-boundary-7d1f";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nTimed\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"t.png\"\r\n\
         Content-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(png);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body).await.unwrap();
    read_reply(&mut stream).await.map_or(0, |r| r.status)
}

/// The 99th percentile of `samples` (the largest but one of 100, here of 30).
fn p99(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    let at = ((samples.len() as f64) * 0.99).ceil() as usize;
    samples[at.saturating_sub(1).min(samples.len() - 1)]
}

/// Login and upload latencies: 30 of each, one after the other.
async fn latencies(
    addr: SocketAddr,
    token: &str,
    project: &str,
    png: &[u8],
) -> (Duration, Duration) {
    let mut logins = Vec::new();
    let mut uploads = Vec::new();
    let path = format!("/api/apps/avatar-creator/projects/{project}/avatars/upload");
    for _ in 0..30 {
        let started = Instant::now();
        let reply = http(
            addr,
            "POST",
            "/api/auth/login",
            &[],
            Some(&json!({ "email": "timer@example.com", "password": PASSWORD })),
        )
        .await
        .unwrap();
        assert_eq!(reply.status, 200, "{reply:?}");
        logins.push(started.elapsed());
        let started = Instant::now();
        assert_eq!(upload(addr, &path, token, png).await, 201);
        uploads.push(started.elapsed());
    }
    (p99(logins), p99(uploads))
}

/// A 512×512 PNG to upload.
fn upload_png() -> Vec<u8> {
    let image = image::RgbImage::from_fn(512, 512, |x, y| image::Rgb([x as u8, y as u8, 60]));
    let mut out = Vec::new();
    image
        .write_with_encoder(image::codecs::png::PngEncoder::new(&mut out))
        .unwrap();
    out
}

/// What a raw export download received.
#[derive(Debug)]
struct Download {
    status: u16,
    /// Bytes received, head included.
    bytes: usize,
    /// Whether the chunked body ended with its last chunk (`0\r\n\r\n`), i.e. the
    /// whole ZIP arrived rather than a cut-off part of it.
    complete: bool,
}

/// Opens `GET …/export-zip?formats=original` for `id` as `token` on a new connection
/// and sends the request; reads nothing. `receive_buffer`: the client socket's
/// `SO_RCVBUF`, set before connecting so that the window it advertises stays small.
async fn open_export(
    addr: SocketAddr,
    token: &str,
    id: &str,
    receive_buffer: Option<u32>,
) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    if let Some(size) = receive_buffer {
        socket.set_recv_buffer_size(size).unwrap();
    }
    let mut stream = socket.connect(addr).await.unwrap();
    let request = format!(
        "GET /api/apps/pose-generator/generations/{id}/export-zip?formats=original HTTP/1.1\r\n\
         Host: test\r\nConnection: close\r\nAuthorization: Bearer {token}\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    stream
}

/// Reads `stream` to its end (or a reset), for at most `limit`; `None` if it was
/// still open then.
async fn drain(stream: &mut TcpStream, limit: Duration) -> Option<Download> {
    let mut head = Vec::new();
    let mut tail = Vec::new();
    let mut bytes = 0;
    let mut buf = vec![0u8; 256 * 1024];
    let read = tokio::time::timeout(limit, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    bytes += n;
                    if head.len() < 1024 {
                        head.extend_from_slice(&buf[..n.min(1024)]);
                    }
                    tail.extend_from_slice(&buf[..n]);
                    let keep = tail.len().saturating_sub(5);
                    tail.drain(..keep);
                }
            }
        }
    })
    .await;
    read.ok()?;
    let status = String::from_utf8_lossy(&head)
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Some(Download {
        status,
        bytes,
        complete: tail == b"0\r\n\r\n",
    })
}

/// The status of an export download by `token` of `id` (the ZIP read whole, if any).
async fn export_status(addr: SocketAddr, token: &str, id: &str) -> u16 {
    let path = format!("/api/apps/pose-generator/generations/{id}/export-zip?formats=original");
    let auth = format!("Bearer {token}");
    let reply = http(
        addr,
        "GET",
        &path,
        &[("Authorization", auth.as_str())],
        None,
    )
    .await;
    reply.map(|r| r.status).unwrap_or(0)
}

/// A whole download, over a socket with the default buffers.
async fn download(addr: SocketAddr, token: &str, id: &str) -> Download {
    let mut stream = open_export(addr, token, id, None).await;
    drain(&mut stream, Duration::from_secs(60))
        .await
        .expect("a download did not end within 60 s")
}

/// Every completed pose's stored image in generation `id`, grown to `size` bytes by
/// zeros after the PNG's end (the ZIP stores files as they are, unread).
async fn pad_originals(
    conn: &migration::sea_orm::DatabaseConnection,
    uploads: &std::path::Path,
    id: &str,
    size: usize,
) -> usize {
    use migration::sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
    let urls: Vec<String> = entity::generated_poses::Entity::find()
        .select_only()
        .column(entity::generated_poses::Column::OutputImageUrl)
        .filter(entity::generated_poses::Column::GenerationId.eq(id))
        .into_tuple()
        .all(conn)
        .await
        .unwrap();
    for url in &urls {
        let key = api::storage::StorageKey::from_url(url).unwrap();
        let path = uploads.join(key.as_str());
        let file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        assert!(file.metadata().unwrap().len() < size as u64, "{path:?}");
        file.set_len(size as u64).unwrap();
    }
    urls.len()
}

/// The `SEND_TIMEOUT` of the server under test, in seconds: how long a client may
/// read nothing of an answer before the server cuts its connection.
/// Longer than the latencies below take to measure on a loaded machine, so that they
/// are measured while the stalled downloads are still stalled.
const SEND_TIMEOUT_SECS: u64 = 30;

/// 20 clients that start an export ZIP and never read it hold nothing that others
/// need: meanwhile login and upload stay as fast as when idle (p99 under 2×), and
/// within `SEND_TIMEOUT` the server cuts them (what each got is a part of its ZIP)
/// and gives their export slots back, without their reading a byte. (Each export used
/// to pin a blocking-pool thread, the pool bcrypt and image decoding run on, for as
/// long as its client stalled.)
///
/// Each ZIP (six originals padded to 2 MiB: 12 MiB) is far more than the sockets can
/// buffer (a client receive buffer of 4 KiB; the server's send buffer grows at most to
/// the third value of `net.ipv4.tcp_wmem`, 4 MiB by default): the server's sends
/// really block, so without the send timeout the slots stay taken and the test fails.
/// That the sends block is checked too (all slots are still taken a second in).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_export_downloads_hold_nothing_others_need() {
    let Some(db) = tests::TestDb::new(tests::Backend::Sqlite).await else {
        return;
    };
    let files = TempDir::new("hostile-exports-").unwrap();
    let send_timeout = Duration::from_secs(SEND_TIMEOUT_SECS);
    let api = spawn(
        &files,
        &["serve", "--workers", "2"],
        &[
            ("DATABASE_URL", db.url.as_str()),
            ("AUTO_MIGRATE", "true"),
            ("SEND_TIMEOUT", &SEND_TIMEOUT_SECS.to_string()),
            ("MAX_EXPORTS", "20"),
            ("MAX_EXPORTS_PER_USER", "2"),
        ],
    )
    .ready()
    .await;
    let addr = api.addr;
    let conn = migration::connect_for_migrations(&db.url).await.unwrap();
    // The server seeded the library at start-up (the embedded default): three poses.
    let poses: Vec<String> = {
        use migration::sea_orm::{EntityTrait, QuerySelect};
        entity::pose_library::Entity::find()
            .select_only()
            .column(entity::pose_library::Column::Id)
            .limit(3)
            .into_tuple()
            .all(&conn)
            .await
            .unwrap()
    };
    assert_eq!(poses.len(), 3);

    // Ten users, each with a completed generation of six 1024×1024 images.
    let mut exports = Vec::new();
    for n in 0..10 {
        let token = register(addr, &format!("exporter{n}@example.com")).await;
        let auth = format!("Bearer {token}");
        let headers = [("Authorization", auth.as_str())];
        let project = http(
            addr,
            "POST",
            "/api/apps/pose-generator/projects",
            &headers,
            Some(&json!({ "projectName": "Stalled" })),
        )
        .await
        .unwrap();
        let project = project.body["project"]["id"].as_str().unwrap().to_owned();
        // 30 credits an image: grant enough through the ledger's own rules.
        crate::pose_generation::grant_in(&conn, &user_of(&token), 1000).await;
        let started = http(
            addr,
            "POST",
            "/api/apps/pose-generator/generate",
            &headers,
            Some(
                &json!({ "projectId": project, "generationType": "GALLERY_REFERENCE",
                          "selectedPoseIds": poses, "batchSize": 2 }),
            ),
        )
        .await
        .unwrap();
        assert_eq!(started.status, 202, "{started:?}");
        exports.push((
            token,
            started.body["generationId"].as_str().unwrap().to_owned(),
        ));
    }
    for (token, id) in &exports {
        let auth = format!("Bearer {token}");
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let g = http(
                addr,
                "GET",
                &format!("/api/apps/pose-generator/generations/{id}"),
                &[("Authorization", auth.as_str())],
                None,
            )
            .await
            .unwrap();
            if g.body["generation"]["status"] == "completed" {
                break;
            }
            assert!(Instant::now() < deadline, "{g:?}\n{}", api.log());
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    // Each user downloads once as a client that reads (this also keeps `original` as
    // a rendition, so no later export decodes the image); then the originals grow so
    // that no socket buffer can hold a ZIP. The originals need no rendering: what is
    // measured is what a stalled download holds, not CPU.
    let padded = 2 * MIB;
    let mut zip_size = 0;
    for (token, id) in &exports {
        let whole = download(addr, token, id).await;
        assert!(whole.status == 200 && whole.complete, "{whole:?}");
        let files_in = pad_originals(&conn, &files.path().join("uploads"), id, padded).await;
        assert_eq!(files_in, 6);
        zip_size = files_in * padded;
    }

    let timer = register(addr, "timer@example.com").await;
    let project = http(
        addr,
        "POST",
        "/api/apps/avatar-creator/projects",
        &[("Authorization", format!("Bearer {timer}").as_str())],
        Some(&json!({ "name": "Timing" })),
    )
    .await
    .unwrap();
    let project = project.body["project"]["id"].as_str().unwrap().to_owned();
    crate::pose_generation::grant_in(&conn, &user_of(&timer), 1000).await;
    let png = upload_png();
    let (idle_login, idle_upload) = latencies(addr, &timer, &project, &png).await;

    // 20 downloads (two per user, each user's `MAX_EXPORTS_PER_USER`; all of
    // `MAX_EXPORTS`) whose clients read nothing, with a tiny receive window so that
    // the server's sends stall at once.
    let mut stalled = Vec::new();
    let stalled_at = Instant::now();
    for (token, id) in exports.iter().chain(exports.iter()) {
        stalled.push(open_export(addr, token, id, Some(4096)).await);
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    // The sends block: a second in, the stalled downloads still hold all 20 of the
    // server's export slots. (A ZIP the socket buffers could absorb would have been
    // sent whole, its slot given back, and the send timeout would have nothing to
    // cut.)
    let (token, id) = &exports[0];
    let refused = export_status(addr, token, id).await;
    assert_eq!(
        refused, 503,
        "the stalled downloads do not hold the export slots a second in: their ZIPs fit \
         into the socket buffers, so nothing here tests the send timeout"
    );
    let busy_from = Instant::now();
    let (busy_login, busy_upload) = latencies(addr, &timer, &project, &png).await;
    eprintln!(
        "stalled exports: login p99 idle {} ms / with 20 stalled {} ms; upload p99 idle {} ms / stalled {} ms (measured {:.1} s to {:.1} s after they stalled)",
        idle_login.as_millis(),
        busy_login.as_millis(),
        idle_upload.as_millis(),
        busy_upload.as_millis(),
        (busy_from - stalled_at).as_secs_f64(),
        stalled_at.elapsed().as_secs_f64(),
    );
    // And they were measured with all 20 still stalled, holding their slots.
    assert_eq!(
        export_status(addr, token, id).await,
        503,
        "the latencies took longer than SEND_TIMEOUT to measure"
    );
    let slack = Duration::from_millis(20);
    assert!(
        busy_login < idle_login * 2 + slack,
        "login p99 {busy_login:?} vs idle {idle_login:?}"
    );
    assert!(
        busy_upload < idle_upload * 2 + slack,
        "upload p99 {busy_upload:?} vs idle {idle_upload:?}"
    );

    // Within SEND_TIMEOUT (and some slack for a loaded machine) of the stall, with
    // the stalled clients still reading nothing, their slots are free again: the
    // first user may download two ZIPs at once.
    let deadline = stalled_at + send_timeout + Duration::from_secs(4);
    let freed = loop {
        let (first, second) = tokio::join!(download(addr, token, id), download(addr, token, id));
        if first.status == 200 && second.status == 200 {
            assert!(first.complete && second.complete, "{first:?} {second:?}");
            break stalled_at.elapsed();
        }
        assert!(
            Instant::now() < deadline,
            "{:.1} s after 20 downloads stalled (SEND_TIMEOUT {SEND_TIMEOUT_SECS} s), their \
             slots are still taken ({} / {}): the server did not cut them\n{}",
            stalled_at.elapsed().as_secs_f64(),
            first.status,
            second.status,
            api.log()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    // Every stalled client was cut: reading now gives what the sockets had buffered,
    // a part of the ZIP without its last chunk, then the end.
    let mut received = Vec::new();
    for stream in &mut stalled {
        let got = drain(stream, Duration::from_secs(10)).await;
        let got =
            got.unwrap_or_else(|| panic!("a stalled download was still open:\n{}", api.log()));
        assert_eq!(got.status, 200, "{got:?}");
        assert!(
            !got.complete && got.bytes < zip_size,
            "a stalled download was sent whole ({got:?} of a {zip_size}-byte ZIP), not cut"
        );
        received.push(got.bytes);
    }
    eprintln!(
        "stalled exports: slots free {:.1} s after the stall (SEND_TIMEOUT {SEND_TIMEOUT_SECS} s); \
         the cut clients had received {}..{} bytes of {zip_size}",
        freed.as_secs_f64(),
        received.iter().min().unwrap(),
        received.iter().max().unwrap(),
    );
    // All 20 slots are free: every user downloads two ZIPs at once.
    let mut again = Vec::new();
    for (token, id) in exports.iter().chain(exports.iter()) {
        let (token, id) = (token.clone(), id.clone());
        again.push(tokio::spawn(
            async move { download(addr, &token, &id).await },
        ));
    }
    for reply in again {
        let reply = reply.await.unwrap();
        assert!(
            reply.status == 200 && reply.complete,
            "{reply:?}\n{}",
            api.log()
        );
    }
}

/// The user id inside a token.
fn user_of(token: &str) -> String {
    let payload = token.split('.').nth(1).unwrap();
    let json: Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload)
            .unwrap(),
    )
    .unwrap();
    json["userId"].as_str().unwrap().to_owned()
}
