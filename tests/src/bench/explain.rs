//! Figure 4, second half: which scans each list query uses on the big database. A
//! recording statement proxy ([`super::statements::Recorder`]) sits between an API
//! process and the big database; one request per list endpoint is recorded, and each
//! executed statement is run again as `EXPLAIN (FORMAT JSON) <its SQL>` with the same
//! values bound ($n placeholders work inside EXPLAIN). A Seq Scan on a big table fails
//! the goal; the small reference tables may be read whole.

use std::path::Path;

use migration::sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, Value};
use serde_json::Value as Json;

use super::statements::{Executed, Proxy, through_proxy};
use super::wire::{self, Param};

/// Catalogue tables of a few hundred rows at most: a Seq Scan is the right plan.
pub const REFERENCE_TABLES: &[&str] = &[
    "avatar_presets",
    "persona_examples",
    "pose_categories",
    "pose_library",
];

/// One scan node of a plan.
#[derive(Debug, Clone)]
pub struct Scan {
    pub node: String,
    pub relation: Option<String>,
    pub index: Option<String>,
}

impl Scan {
    /// A Seq Scan of a table that is not a small reference table.
    pub fn is_bad(&self) -> bool {
        self.node == "Seq Scan"
            && !self
                .relation
                .as_deref()
                .is_some_and(|r| REFERENCE_TABLES.contains(&r))
    }

    pub fn describe(&self) -> String {
        match (&self.index, &self.relation) {
            (Some(i), Some(r)) => format!("{} using {i} on {r}", self.node),
            (Some(i), None) => format!("{} on {i}", self.node),
            (None, Some(r)) if self.node == "Seq Scan" && !self.is_bad() => {
                format!("Seq Scan on {r} (small reference table)")
            }
            (None, Some(r)) => format!("{} on {r}", self.node),
            (None, None) => self.node.clone(),
        }
    }
}

/// One executed statement and its plan's scans.
#[derive(Debug, Clone)]
pub struct StatementPlan {
    pub sql: String,
    /// `None` for a simple-protocol command (`BEGIN`, `COMMIT`), which is not explained.
    pub scans: Option<Result<Vec<Scan>, String>>,
}

impl StatementPlan {
    pub fn meets_goal(&self) -> bool {
        match &self.scans {
            None => true,
            Some(Ok(scans)) => !scans.iter().any(Scan::is_bad),
            Some(Err(_)) => false,
        }
    }
}

/// The statements of one request to a list endpoint.
#[derive(Debug, Clone)]
pub struct EndpointPlans {
    pub path: String,
    pub statements: Result<Vec<StatementPlan>, String>,
}

impl EndpointPlans {
    pub fn meets_goal(&self) -> bool {
        self.statements
            .as_ref()
            .is_ok_and(|s| !s.is_empty() && s.iter().all(StatementPlan::meets_goal))
    }
}

/// A NULL of the parameter's type.
fn null_of(oid: u32) -> Result<Value, String> {
    Ok(match oid {
        wire::TEXT | wire::VARCHAR | wire::BPCHAR => Option::<String>::None.into(),
        wire::BOOL => Option::<bool>::None.into(),
        wire::INT2 => Option::<i16>::None.into(),
        wire::INT4 => Option::<i32>::None.into(),
        wire::INT8 => Option::<i64>::None.into(),
        wire::FLOAT4 => Option::<f32>::None.into(),
        wire::FLOAT8 => Option::<f64>::None.into(),
        wire::TIMESTAMP => Option::<chrono::NaiveDateTime>::None.into(),
        wire::JSON | wire::JSONB => Option::<Json>::None.into(),
        other => return Err(format!("NULL of unsupported type OID {other}")),
    })
}

fn value(param: &Param) -> Result<Value, String> {
    Ok(match param {
        Param::Null(oid) => null_of(*oid)?,
        Param::Text(s) => s.clone().into(),
        Param::Int2(v) => (*v).into(),
        Param::Int4(v) => (*v).into(),
        Param::Int8(v) => (*v).into(),
        Param::Bool(v) => (*v).into(),
        Param::Float4(v) => (*v).into(),
        Param::Float8(v) => (*v).into(),
        Param::Timestamp(v) => (*v).into(),
        Param::Json(s) => serde_json::from_str::<Json>(s)
            .map_err(|e| format!("bound JSON: {e}"))?
            .into(),
    })
}

/// Every scan node of a plan tree, depth first.
fn scans(plan: &Json, out: &mut Vec<Scan>) {
    let text = |key: &str| plan.get(key).and_then(Json::as_str).map(str::to_owned);
    if let Some(node) = text("Node Type")
        && node.contains("Scan")
    {
        out.push(Scan {
            node,
            relation: text("Relation Name"),
            index: text("Index Name"),
        });
    }
    for child in plan
        .get("Plans")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        scans(child, out);
    }
}

/// `EXPLAIN (FORMAT JSON)` of `sql` with `params` bound, on `db`.
pub async fn explain(
    db: &DatabaseConnection,
    sql: &str,
    params: &[Param],
) -> Result<Vec<Scan>, String> {
    let values = params.iter().map(value).collect::<Result<Vec<_>, _>>()?;
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!("EXPLAIN (FORMAT JSON) {sql}"),
            values,
        ))
        .await
        .map_err(|e| format!("EXPLAIN failed: {e}"))?;
    let row = rows.first().ok_or("EXPLAIN returned no row")?;
    let plan: Json = row
        .try_get("", "QUERY PLAN")
        .map_err(|e| format!("EXPLAIN output: {e}"))?;
    let root = plan
        .get(0)
        .and_then(|p| p.get("Plan"))
        .ok_or("EXPLAIN output has no Plan")?;
    let mut out = Vec::new();
    scans(root, &mut out);
    Ok(out)
}

async fn plan_of(db: &DatabaseConnection, executed: Executed) -> StatementPlan {
    let scans = match executed.params {
        None => None,
        Some(Err(e)) => Some(Err(e)),
        Some(Ok(params)) => Some(explain(db, &executed.sql, &params).await),
    };
    StatementPlan {
        sql: executed.sql,
        scans,
    }
}

/// Records one request per path through a proxied API on `database_url` (the big
/// database, reached as `db` too) and explains every statement it executed.
pub async fn plans(
    api_bin: &Path,
    database_url: &str,
    db: &DatabaseConnection,
    secret: &str,
    scratch: &Path,
    token: &str,
    paths: &[String],
) -> Result<Vec<EndpointPlans>, String> {
    let (_, upstream) = through_proxy(database_url, 0)?;
    let proxy = Proxy::start(upstream).await?;
    let (url, _) = through_proxy(database_url, proxy.port)?;
    let api = super::servers::start_api(api_bin, &url, secret, scratch).await?;
    let mut out = Vec::new();
    for path in paths {
        let target = super::load::Target {
            addr: api.addr,
            method: hyper::Method::GET,
            path: path.clone(),
            token: token.to_owned(),
            body: None,
            expect: hyper::StatusCode::OK,
            headers: Vec::new(),
        };
        // Warm the pool first, as the counted requests of figure 3.
        for _ in 0..2 {
            super::load::fetch(&target).await?;
        }
        proxy.recorder.start();
        let answer = super::load::fetch(&target).await;
        let executed = proxy.recorder.stop();
        let statements = match answer {
            Ok((hyper::StatusCode::OK, _)) => {
                let mut plans = Vec::new();
                for statement in executed {
                    plans.push(plan_of(db, statement).await);
                }
                Ok(plans)
            }
            Ok((status, body)) => Err(format!(
                "status {status}: {}",
                String::from_utf8_lossy(&body[..body.len().min(200)])
            )),
            Err(e) => Err(e),
        };
        out.push(EndpointPlans {
            path: path.clone(),
            statements,
        });
    }
    Ok(out)
}
