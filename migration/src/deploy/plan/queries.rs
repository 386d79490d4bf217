//! The row counts behind the plan's data findings: NULLs, orphans and duplicate
//! groups, with up to 10 samples each.

use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement};

pub(super) fn q(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

pub(super) async fn count(db: &DatabaseConnection, sql: &str) -> Result<i64, DbErr> {
    db.query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?
        .ok_or_else(|| DbErr::Custom(format!("no row from {sql}")))?
        .try_get_by_index(0)
}

pub(super) async fn strings(db: &DatabaseConnection, sql: &str) -> Result<Vec<String>, DbErr> {
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?
        .iter()
        .map(|r| r.try_get_by_index::<String>(0))
        .collect()
}

/// Rows whose `column` is set but names no row of `parent`: (count, up to 10 ids).
pub async fn orphans(
    db: &DatabaseConnection,
    table: &str,
    column: &str,
    parent: &str,
) -> Result<(i64, Vec<String>), DbErr> {
    let from = format!(
        "FROM {t} c WHERE c.{col} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {p} x WHERE x.\"id\" = c.{col})",
        t = q(table),
        col = q(column),
        p = q(parent)
    );
    let n = count(db, &format!("SELECT count(*) {from}")).await?;
    let ids = if n > 0 {
        strings(
            db,
            &format!("SELECT c.\"id\" {from} ORDER BY c.\"id\" LIMIT 10"),
        )
        .await?
    } else {
        Vec::new()
    };
    Ok((n, ids))
}

/// Groups of rows that share the keys of a unique index: (count of groups, up to 10).
pub(super) async fn duplicates(
    db: &DatabaseConnection,
    table: &str,
    keys: &[&str],
    predicate: Option<&str>,
) -> Result<(i64, Vec<String>), DbErr> {
    let cols: Vec<String> = keys.iter().map(|k| q(k)).collect();
    let concat = cols
        .iter()
        .map(|c| format!("CAST({c} AS TEXT)"))
        .collect::<Vec<_>>()
        .join(" || ', ' || ");
    let mut conditions: Vec<String> = cols.iter().map(|c| format!("{c} IS NOT NULL")).collect();
    if let Some(p) = predicate {
        conditions.push(p.to_owned());
    }
    let grouped = format!(
        "SELECT '(' || {concat} || ')' AS g FROM {t} WHERE {w} GROUP BY {c} HAVING count(*) > 1",
        t = q(table),
        w = conditions.join(" AND "),
        c = cols.join(", ")
    );
    let n = count(db, &format!("SELECT count(*) FROM ({grouped}) d")).await?;
    let groups = if n > 0 {
        strings(db, &format!("{grouped} ORDER BY 1 LIMIT 10")).await?
    } else {
        Vec::new()
    };
    Ok((n, groups))
}

/// The SQL of a normalized target predicate, for duplicate checks.
pub(super) fn predicate_sql(normalized: &str) -> Option<&'static str> {
    match normalized {
        "type='refund'" => Some("\"type\" = 'refund'"),
        "statusin('queued','running')" => Some("\"status\" IN ('queued', 'running')"),
        _ => None,
    }
}
