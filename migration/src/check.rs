//! The drift check (deploy-safety.md R7, api.md §3.3): the live database against the
//! target schema (schema.md, which the entities and migrations are tested to equal)
//! and against the ledger. Findings are classified so that only what would break the
//! service's queries blocks, and equivalent spellings of a type or default are not
//! findings at all.

use std::fmt;

use sea_orm_migration::sea_orm::{DatabaseConnection, DbBackend, DbErr};
use serde::Serialize;

use crate::catalog::{self, LiveTable, default_matches};
use crate::deploy::{self, StatusRow, exit, ledger};
use crate::target::{self, ColType, Method};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The service's queries would fail: a missing table or column, an incompatible
    /// type or nullability, a column our inserts cannot fill.
    Blocking,
    /// Performance or integrity: a missing or different index, unique or foreign key.
    Warning,
    /// Extra objects and harmless differences.
    Info,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    MissingTable,
    MissingColumn,
    TypeMismatch,
    NullabilityMismatch,
    DefaultMismatch,
    MissingIndex,
    MissingUnique,
    MissingForeignKey,
    ExtraTable,
    ExtraColumn,
    ExtraIndex,
    ExtraForeignKey,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    pub kind: Kind,
    /// `table`, `table.column`, or an index or constraint name.
    pub object: String,
    pub expected: Option<String>,
    pub actual: Option<String>,
    /// The migration that creates the expected object; `None` for extra objects.
    pub migration: Option<&'static str>,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = serde_json::to_value(self.kind).ok();
        let kind = kind.as_ref().and_then(|k| k.as_str()).unwrap_or("finding");
        let severity = serde_json::to_value(self.severity).ok();
        let severity = severity.as_ref().and_then(|s| s.as_str()).unwrap_or("");
        write!(f, "{severity:<8} {kind} {}", self.object)?;
        if let Some(e) = &self.expected {
            write!(f, ": expected {e}")?;
        }
        match &self.actual {
            Some(a) => write!(f, ", found {a}"),
            None if self.expected.is_some() => write!(f, ", found nothing"),
            None => Ok(()),
        }
    }
}

/// A finding on `object` of `table`; `object` is `table.column` for columns.
fn finding(
    severity: Severity,
    kind: Kind,
    table: &str,
    object: String,
    expected: Option<String>,
    actual: Option<String>,
) -> Finding {
    let migration = match kind {
        Kind::ExtraTable | Kind::ExtraColumn | Kind::ExtraIndex | Kind::ExtraForeignKey => None,
        _ => {
            let name = object.strip_prefix(&format!("{table}.")).unwrap_or(&object);
            Some(target::owner(table, name))
        }
    };
    Finding {
        severity,
        kind,
        object,
        expected,
        actual,
        migration,
    }
}

fn describe_column(ty: &str, nullable: bool) -> String {
    format!("{ty} {}", if nullable { "NULL" } else { "NOT NULL" })
}

fn describe_keys(keys: &[(String, bool)]) -> String {
    let keys: Vec<String> = keys
        .iter()
        .map(|(c, desc)| {
            if *desc {
                format!("{c} DESC")
            } else {
                c.clone()
            }
        })
        .collect();
    format!("({})", keys.join(", "))
}

/// A PostgreSQL `timestamp(p)` where the target says `timestamp(3)`: compatible; the
/// service writes millisecond values (schema.md D2).
fn is_other_timestamp_precision(expected: ColType, found: &str) -> bool {
    expected == ColType::Timestamp
        && found.starts_with("timestamp")
        && found.ends_with("without time zone")
}

/// Every finding for one table that exists in the database.
pub fn compare_table(target: &target::Table, live: &LiveTable, backend: DbBackend) -> Vec<Finding> {
    use Kind::*;
    use Severity::*;
    let t = target.name;
    let mut out = Vec::new();
    for col in &target.columns {
        let object = format!("{t}.{}", col.name);
        let Some(found) = live.columns.iter().find(|c| c.name == col.name) else {
            let expected = match backend {
                DbBackend::Postgres => col.ty.postgres(),
                _ => col.ty.sqlite(),
            };
            out.push(finding(
                Blocking,
                MissingColumn,
                t,
                object,
                Some(describe_column(expected, col.nullable)),
                None,
            ));
            continue;
        };
        let expected_type = match backend {
            DbBackend::Postgres => col.ty.postgres(),
            _ => col.ty.sqlite(),
        };
        if found.data_type != expected_type {
            // Another timestamp precision is harmless: the service writes milliseconds.
            let severity = if backend == DbBackend::Postgres
                && is_other_timestamp_precision(col.ty, &found.data_type)
            {
                Info
            } else {
                Blocking
            };
            out.push(finding(
                severity,
                TypeMismatch,
                t,
                object.clone(),
                Some(expected_type.into()),
                Some(found.data_type.clone()),
            ));
        }
        if found.nullable != col.nullable {
            out.push(finding(
                Blocking,
                NullabilityMismatch,
                t,
                object.clone(),
                Some(describe_column(expected_type, col.nullable)),
                Some(describe_column(&found.data_type, found.nullable)),
            ));
        }
        if !default_matches(&col.default, &found.default) {
            out.push(finding(
                Info,
                DefaultMismatch,
                t,
                object,
                Some(
                    col.default
                        .as_ref()
                        .map_or("no default".into(), ToString::to_string),
                ),
                Some(found.default.clone().unwrap_or_else(|| "no default".into())),
            ));
        }
    }
    for found in &live.columns {
        if target.column(&found.name).is_none() {
            // Our inserts name only the columns they know: an extra NOT NULL column
            // without a default makes every insert fail (schema.md §1.4).
            let unfillable = !found.nullable && found.default.is_none();
            out.push(finding(
                if unfillable { Blocking } else { Info },
                ExtraColumn,
                t,
                format!("{t}.{}", found.name),
                None,
                Some(describe_column(&found.data_type, found.nullable)),
            ));
        }
    }

    let pk = live.indexes.iter().find(|i| i.primary);
    let pk_ok = pk.is_some_and(|pk| pk.keys == [("id".to_owned(), false)]);
    if !pk_ok {
        out.push(finding(
            Blocking,
            MissingUnique,
            t,
            format!("{t}_pkey"),
            Some("primary key (id)".into()),
            pk.map(|pk| format!("primary key {}", describe_keys(&pk.keys))),
        ));
    }

    let expected_indexes: Vec<&target::Index> = target
        .indexes
        .iter()
        .filter(|i| i.method == Method::BTree || backend == DbBackend::Postgres)
        .collect();
    for index in &expected_indexes {
        let keys: Vec<(String, bool)> = index
            .keys
            .iter()
            .map(|(c, d)| ((*c).to_owned(), *d))
            .collect();
        let method = match index.method {
            Method::BTree => "btree",
            Method::Gin => "gin",
        };
        let describe =
            |keys: &[(String, bool)], unique: bool, method: &str, predicate: Option<&str>| {
                format!(
                    "{}{method} {}{}",
                    if unique { "unique " } else { "" },
                    describe_keys(keys),
                    predicate.map(|p| format!(" where {p}")).unwrap_or_default()
                )
            };
        let kind = if index.unique {
            MissingUnique
        } else {
            MissingIndex
        };
        let expected = describe(&keys, index.unique, method, index.predicate);
        match live.indexes.iter().find(|i| i.name == index.name) {
            None => out.push(finding(
                Warning,
                kind,
                t,
                index.name.clone(),
                Some(expected),
                None,
            )),
            Some(found) => {
                let predicate = found.predicate.as_deref().map(target::normalize_predicate);
                let actual = describe(
                    &found.keys,
                    found.unique,
                    &found.method,
                    predicate.as_deref(),
                );
                if actual != expected {
                    out.push(finding(
                        Warning,
                        kind,
                        t,
                        index.name.clone(),
                        Some(expected),
                        Some(actual),
                    ));
                }
            }
        }
    }
    for found in live.indexes.iter().filter(|i| !i.primary) {
        if !expected_indexes.iter().any(|i| i.name == found.name) {
            // An extra unique index can reject rows the target accepts.
            let severity = if found.unique { Warning } else { Info };
            out.push(finding(
                severity,
                ExtraIndex,
                t,
                found.name.clone(),
                None,
                Some(describe_keys(&found.keys)),
            ));
        }
    }

    let describe_fk =
        |column: &str, target: &str, on_delete: target::Action, on_update: target::Action| {
            format!("({column}) -> {target}(id) ON DELETE {on_delete} ON UPDATE {on_update}")
        };
    for fk in &target.foreign_keys {
        let expected = describe_fk(fk.column, fk.target, fk.on_delete, fk.on_update);
        let found = live.foreign_keys.iter().find(|f| match &f.name {
            Some(name) => *name == fk.name,
            None => f.column == fk.column,
        });
        match found {
            None => out.push(finding(
                Warning,
                MissingForeignKey,
                t,
                fk.name.clone(),
                Some(expected),
                None,
            )),
            Some(f) => {
                let actual = describe_fk(&f.column, &f.target, f.on_delete, f.on_update);
                if actual != expected || f.target_column != "id" {
                    out.push(finding(
                        Warning,
                        MissingForeignKey,
                        t,
                        fk.name.clone(),
                        Some(expected),
                        Some(actual),
                    ));
                }
            }
        }
    }
    for found in &live.foreign_keys {
        let known = target.foreign_keys.iter().any(|fk| match &found.name {
            Some(name) => *name == fk.name,
            None => found.column == fk.column,
        });
        if !known {
            let object = found
                .name
                .clone()
                .unwrap_or_else(|| format!("{t}({})", found.column));
            let actual = describe_fk(
                &found.column,
                &found.target,
                found.on_delete,
                found.on_update,
            );
            // A RESTRICT key can block our deletes or inserts; SET NULL/CASCADE cannot.
            let severity = if found.on_delete == target::Action::Restrict {
                Warning
            } else {
                Info
            };
            out.push(finding(
                severity,
                ExtraForeignKey,
                t,
                object,
                None,
                Some(actual),
            ));
        }
    }
    out
}

/// The whole report: the ledger's view and the schema's.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub backend: &'static str,
    pub migrations: Vec<StatusRow>,
    pub findings: Vec<Finding>,
}

impl Report {
    pub fn pending(&self) -> Vec<&str> {
        self.migrations
            .iter()
            .filter(|m| m.state == "pending")
            .map(|m| m.version.as_str())
            .collect()
    }

    pub fn blocking(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Blocking)
    }

    /// `check`'s exit code: drift (edited or unknown migrations, or blocking or warning
    /// findings that pending migrations do not explain) over pending over clean.
    pub fn exit_code(&self) -> u8 {
        let pending = self.pending();
        let drift = self.findings.iter().any(|f| {
            f.severity != Severity::Info && !f.migration.is_some_and(|m| pending.contains(&m))
        });
        match deploy::status_exit_code(&self.migrations) {
            exit::DRIFT => exit::DRIFT,
            _ if drift => exit::DRIFT,
            code => code,
        }
    }
}

/// Compares the live database with the target schema and its ledger. Read-only.
pub async fn check(db: &DatabaseConnection) -> Result<Report, DbErr> {
    let backend = db.get_database_backend();
    let migrations = deploy::status(db).await.map_err(|e| match e {
        deploy::DeployError::Db(e) => e,
        other => DbErr::Custom(other.to_string()),
    })?;
    let targets = target::tables();
    let live_tables = catalog::tables(db).await?;
    let mut findings = Vec::new();
    for table in &targets {
        match live_tables.iter().find(|live| live.name == table.name) {
            None => findings.push(finding(
                Severity::Blocking,
                Kind::MissingTable,
                table.name,
                table.name.into(),
                Some("table".into()),
                None,
            )),
            Some(live) => findings.extend(compare_table(table, live, backend)),
        }
    }
    for name in live_tables.into_iter().map(|live| live.name) {
        let ours =
            targets.iter().any(|t| t.name == name) || ledger::TOOL_TABLES.contains(&name.as_str());
        if !ours {
            findings.push(finding(
                Severity::Info,
                Kind::ExtraTable,
                &name,
                name.clone(),
                None,
                Some("table".into()),
            ));
        }
    }
    findings.sort_by(|a, b| a.severity.cmp(&b.severity).then(a.object.cmp(&b.object)));
    Ok(Report {
        backend: match backend {
            DbBackend::Postgres => "postgres",
            DbBackend::Sqlite => "sqlite",
            _ => "mysql",
        },
        migrations,
        findings,
    })
}
