//! Prometheus metrics (README "Running more than one process"): what happens in this
//! process, recorded through the `metrics` facade and served as text on the private
//! `METRICS_ADDR` listener, never on the public port (so the OpenAPI document does not
//! change and nothing is exposed by default).
//!
//! Without `METRICS_ADDR` no recorder is installed and every call here is a no-op.
//! Counters are per process: a scraper sums them over the replicas and workers.

use std::{net::SocketAddr, time::Duration};

use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use migration::sea_orm::{
    ColumnTrait, DatabaseBackend, DatabaseConnection, EntityTrait, QuerySelect,
};
use poem::{EndpointExt, Route, get, handler, listener::TcpListener, web::Data};

use crate::vocabulary::{JobStatus, Vocabulary};

/// Latency buckets in seconds: from a cached read to a generation's whole run.
const SECONDS_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
    120.0, 300.0,
];

/// Installs the global recorder. `None` (and a warning) if one is installed already,
/// as in a test binary that starts several servers.
pub fn install() -> Option<PrometheusHandle> {
    let builder = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS_BUCKETS)
        .ok()?;
    match builder.install_recorder() {
        Ok(handle) => {
            describe();
            Some(handle)
        }
        Err(err) => {
            tracing::warn!(error = %err, "metrics recorder not installed");
            None
        }
    }
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        "http_requests_total",
        "HTTP requests answered, by method, route template and status"
    );
    describe_histogram!(
        "http_request_duration_seconds",
        "Time to the response head, by method, route template and status"
    );
    describe_gauge!(
        "db_pool_connections",
        "Database pool connections by state (idle, in_use) and the pool's maximum (max)"
    );
    describe_counter!(
        "db_unavailable_total",
        "Requests answered 503 because no database connection could be had within the acquire timeout"
    );
    describe_gauge!(
        "jobs_queue_depth",
        "Jobs in the shared queue by kind and status (read from the database at scrape time)"
    );
    describe_counter!(
        "jobs_claimed_total",
        "Jobs claimed by this process's workers, by kind (each claim is one attempt)"
    );
    describe_histogram!(
        "job_run_duration_seconds",
        "How long a claimed job ran in this process, by kind and outcome"
    );
    describe_counter!(
        "jobs_given_up_total",
        "Jobs finalised as failed after their last attempt or past the time limit, by kind"
    );
    describe_counter!(
        "generations_finished_total",
        "Generations finalised by this process, by kind and final status"
    );
    describe_counter!("credits_charged_total", "Credits charged");
    describe_counter!("credits_refunded_total", "Credits refunded");
    describe_counter!(
        "rate_limit_rejections_total",
        "Requests answered 429, by limiter"
    );
    describe_counter!(
        "body_limit_rejections_total",
        "Requests refused for their body, by reason (too_large, timeout, uploads_busy)"
    );
    describe_gauge!("sse_streams_open", "Progress streams open now");
}

/// One answered HTTP request. `route` is the route template (`/api/…/:id`), never the
/// concrete path, so the number of series stays bounded.
pub fn http_request(method: &str, route: &str, status: u16, elapsed: Duration) {
    let labels = [
        ("method", method.to_owned()),
        ("route", route.to_owned()),
        ("status", status.to_string()),
    ];
    counter!("http_requests_total", &labels).increment(1);
    histogram!("http_request_duration_seconds", &labels).record(elapsed.as_secs_f64());
}

pub fn db_unavailable() {
    counter!("db_unavailable_total").increment(1);
}

pub fn job_claimed(kind: &str) {
    counter!("jobs_claimed_total", "kind" => kind.to_owned()).increment(1);
}

/// `outcome`: `ok`, `error`, `panic`, `lease_lost` or `interrupted`.
pub fn job_ran(kind: &str, outcome: &'static str, elapsed: Duration) {
    histogram!("job_run_duration_seconds", "kind" => kind.to_owned(), "outcome" => outcome)
        .record(elapsed.as_secs_f64());
}

pub fn job_given_up(kind: &str) {
    counter!("jobs_given_up_total", "kind" => kind.to_owned()).increment(1);
}

/// Counted after the finalising transaction committed, so each generation counts once
/// over all processes.
pub fn generation_finished(kind: &'static str, status: &str) {
    counter!("generations_finished_total", "kind" => kind, "status" => status.to_owned())
        .increment(1);
}

pub fn credits_charged(amount: i32) {
    counter!("credits_charged_total").increment(u64::try_from(amount).unwrap_or(0));
}

pub fn credits_refunded(amount: i32) {
    counter!("credits_refunded_total").increment(u64::try_from(amount).unwrap_or(0));
}

pub fn rate_limited(limiter: &str) {
    counter!("rate_limit_rejections_total", "limiter" => limiter.to_owned()).increment(1);
}

pub fn body_limit_rejected(reason: &'static str) {
    counter!("body_limit_rejections_total", "reason" => reason).increment(1);
}

/// Counts an open progress stream until dropped.
pub struct OpenStream(());

impl OpenStream {
    pub fn new() -> Self {
        gauge!("sse_streams_open").increment(1.0);
        Self(())
    }
}

impl Default for OpenStream {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for OpenStream {
    fn drop(&mut self) {
        gauge!("sse_streams_open").decrement(1.0);
    }
}

/// Serves `GET /metrics` on `addr` until the process ends. The gauges read from
/// shared state (pool, queue) are refreshed at each scrape.
pub async fn serve(
    addr: SocketAddr,
    handle: PrometheusHandle,
    db: DatabaseConnection,
) -> std::io::Result<()> {
    let app = Route::new()
        .at("/metrics", get(scrape))
        .data(handle)
        .data(db);
    tracing::info!(%addr, "metrics listening");
    poem::Server::new(TcpListener::bind(addr)).run(app).await
}

#[handler]
async fn scrape(
    Data(handle): Data<&PrometheusHandle>,
    Data(db): Data<&DatabaseConnection>,
) -> poem::Response {
    sample_pool(db);
    if let Err(err) = sample_queue(db).await {
        tracing::warn!(error = %err, "metrics: cannot read the queue depth");
    }
    poem::Response::builder()
        .content_type("text/plain; version=0.0.4")
        .body(handle.render())
}

fn sample_pool(db: &DatabaseConnection) {
    let (size, idle, max) = match db.get_database_backend() {
        DatabaseBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (
                pool.size(),
                pool.num_idle(),
                pool.options().get_max_connections(),
            )
        }
        DatabaseBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (
                pool.size(),
                pool.num_idle(),
                pool.options().get_max_connections(),
            )
        }
        _ => return,
    };
    let idle = u32::try_from(idle).unwrap_or(u32::MAX);
    gauge!("db_pool_connections", "state" => "idle").set(f64::from(idle));
    gauge!("db_pool_connections", "state" => "in_use").set(f64::from(size.saturating_sub(idle)));
    gauge!("db_pool_connections", "state" => "max").set(f64::from(max));
}

async fn sample_queue(db: &DatabaseConnection) -> Result<(), migration::sea_orm::DbErr> {
    use entity::jobs::{Column, Entity};
    let rows: Vec<(String, String, i64)> = Entity::find()
        .select_only()
        .column(Column::Kind)
        .column(Column::Status)
        .column_as(Column::Id.count(), "count")
        .group_by(Column::Kind)
        .group_by(Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    let mut kinds: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    // Every state of every kind seen is reported, 0 when empty, so a drained queue
    // reads 0 rather than its last non-zero value.
    for kind in kinds {
        for &status in <JobStatus as Vocabulary>::ALL {
            let count = rows
                .iter()
                .find(|r| r.0 == kind && r.1 == status.as_str())
                .map_or(0, |r| r.2);
            gauge!("jobs_queue_depth", "kind" => kind.to_owned(), "status" => status.as_str())
                .set(count as f64);
        }
    }
    Ok(())
}
