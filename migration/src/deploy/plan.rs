//! The deploy plan (schema.md §1.3–§1.4, deploy-safety.md R4/R6): inspect the live
//! database, decide for every migration whether it must run, can be adopted because
//! its objects verifiably exist, or can be adopted after safe additive repairs, and
//! refuse the whole deploy, before any DDL, when anything cannot be reconciled.
//!
//! Every decision is an [`Item`] of the report: verdict, migration, object, what the
//! target expects, what the catalog holds, affected rows with sample ids, and the
//! operator's next step. The tool never drops, renames or rewrites anything and never
//! changes rows; data decisions are printed as suggestions only.

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use sea_orm_migration::MigratorTrait;
use sea_orm_migration::sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement,
};
use serde::Serialize;

use super::{contract, ledger};
use crate::Migrator;
use crate::catalog::{self, LiveTable};
use crate::check::{self, Finding, Kind, Severity};
use crate::target;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Verdict {
    /// Blocks the whole deploy.
    Refuse,
    /// The tool creates a missing table or index.
    Create,
    /// The tool adds a missing column or foreign key.
    Add,
    /// The tool sets NOT NULL on a column with no NULL rows.
    Tighten,
    /// Accepted and reported.
    Warn,
    /// Not in the target: kept, never touched.
    Extra,
    /// A migration whose objects all exist: recorded as adopted.
    Adopt,
    /// A migration that runs normally.
    Run,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    pub verdict: Verdict,
    pub migration: Option<String>,
    pub object: String,
    pub expected: Option<String>,
    pub found: Option<String>,
    /// Rows affected (table rows, NULLs, orphans, duplicates), where relevant.
    pub rows: Option<i64>,
    /// Up to 10 sample ids or key groups for data findings.
    pub samples: Vec<String>,
    /// What the operator could do (never done by the tool).
    pub action: Option<String>,
}

impl fmt::Display for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = serde_json::to_value(self.verdict).ok();
        let verdict = verdict.as_ref().and_then(|v| v.as_str()).unwrap_or("?");
        write!(
            f,
            "{verdict:<7} {:<56} {}",
            self.migration.as_deref().unwrap_or("-"),
            self.object
        )?;
        if let Some(e) = &self.expected {
            write!(f, " | expected {e}")?;
        }
        if self.expected.is_some() || self.found.is_some() {
            write!(f, " | found {}", self.found.as_deref().unwrap_or("nothing"))?;
        }
        if let Some(rows) = self.rows {
            write!(f, " | rows {rows}")?;
        }
        if !self.samples.is_empty() {
            write!(f, " | e.g. {}", self.samples.join(", "))?;
        }
        if let Some(a) = &self.action {
            write!(f, "\n        next step: {a}")?;
        }
        Ok(())
    }
}

/// One additive repair, generated from the target definition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Repair {
    CreateTable {
        table: &'static str,
    },
    CreateIndex {
        table: &'static str,
        index: String,
    },
    AddColumn {
        table: &'static str,
        column: &'static str,
    },
    AddForeignKey {
        table: &'static str,
        name: String,
    },
    SetNotNull {
        table: &'static str,
        column: &'static str,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// Every object exists as the target defines it: record as adopted.
    Adopt,
    /// Objects exist, some are missing: apply the repairs, then record as adopted (or,
    /// for a migration already recorded, only apply the repairs).
    Repair,
    /// None of its objects exist: run the migration.
    Run,
}

/// What an operator runs next (see [`Plan::next_step`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NextStep {
    /// The database is at the target.
    Nothing,
    /// Only migrations to run: `migration up`.
    Up,
    /// Something to adopt or repair (possibly between migrations to run):
    /// `migration up --adopt`, which runs and adopts in order.
    UpAdopt,
    /// A REFUSE needs the operator's decision first; then `migration up --adopt`.
    Resolve,
}

impl NextStep {
    /// The `Next step:` line, with the command in backticks exactly as it is typed.
    pub fn line(self) -> Option<String> {
        match self {
            NextStep::Nothing => None,
            NextStep::Up => Some("Next step: `migration up`".into()),
            NextStep::UpAdopt => Some(
                "Next step: `migration up --adopt` (it adopts, repairs and runs every step in \
                 order; `migration plan` shows them first)"
                    .into(),
            ),
            NextStep::Resolve => Some(
                "Next step: resolve every REFUSE above (this tool never changes rows or drops \
                 objects), then `migration up --adopt`"
                    .into(),
            ),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Step {
    pub version: String,
    pub kind: StepKind,
    /// Whether the ledger already records this version (re-inspection of drift).
    pub recorded: bool,
    pub repairs: Vec<Repair>,
}

#[derive(Clone, Debug, Default)]
pub struct Plan {
    pub steps: Vec<Step>,
    pub items: Vec<Item>,
}

impl Plan {
    pub fn refused(&self) -> bool {
        self.items.iter().any(|i| i.verdict == Verdict::Refuse)
    }

    /// True when the database holds objects its ledger does not record, so applying
    /// needs `adopt`.
    pub fn needs_adoption(&self) -> bool {
        self.steps
            .iter()
            .any(|s| s.kind != StepKind::Run && !s.recorded)
    }

    /// The one command that takes this database to the target from here (README,
    /// "Operations"): every refusal and every partial result prints it, so following
    /// the tool's advice literally never loops.
    pub fn next_step(&self) -> NextStep {
        if self.refused() {
            NextStep::Resolve
        } else if self.steps.iter().any(|s| s.kind != StepKind::Run) {
            NextStep::UpAdopt
        } else if self.steps.is_empty() {
            NextStep::Nothing
        } else {
            NextStep::Up
        }
    }

    /// Why `adopt` stopped short: the migrations that must run before a later one can
    /// be adopted (`adopt` never runs a migration). `None` when nothing waits behind a
    /// run.
    pub fn adoption_behind_runs(&self) -> Option<(Vec<&str>, Vec<&str>)> {
        let first_run = self.steps.iter().position(|s| s.kind == StepKind::Run)?;
        let rest = &self.steps[first_run..];
        let later: Vec<&str> = rest
            .iter()
            .filter(|s| s.kind != StepKind::Run)
            .map(|s| s.version.as_str())
            .collect();
        let last_adoption = rest.iter().rposition(|s| s.kind != StepKind::Run)?;
        let runs = rest[..last_adoption]
            .iter()
            .filter(|s| s.kind == StepKind::Run)
            .map(|s| s.version.as_str())
            .collect();
        Some((runs, later))
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        for step in &self.steps {
            let what = match (step.kind, step.recorded) {
                (StepKind::Run, _) => "run".to_owned(),
                (StepKind::Adopt, _) => "adopt (its objects exist)".to_owned(),
                (StepKind::Repair, false) => {
                    format!("adopt after {} repair(s)", step.repairs.len())
                }
                (StepKind::Repair, true) => {
                    format!("repair {} drifted object(s)", step.repairs.len())
                }
            };
            out.push_str(&format!("step  {:<56} {what}\n", step.version));
        }
        let mut items: Vec<&Item> = self.items.iter().collect();
        items.sort_by_key(|i| i.verdict);
        for item in items {
            out.push_str(&format!("{item}\n"));
        }
        if self.refused() {
            out.push_str(
                "REFUSED: nothing was applied. Resolve every REFUSE above (the suggested steps are \
                 never run by this tool), then deploy again.\n",
            );
        }
        if let Some(line) = self.next_step().line() {
            out.push_str(&line);
            out.push('\n');
        }
        out
    }
}

fn item(verdict: Verdict, migration: Option<&str>, object: impl Into<String>) -> Item {
    Item {
        verdict,
        migration: migration.map(str::to_owned),
        object: object.into(),
        expected: None,
        found: None,
        rows: None,
        samples: Vec::new(),
        action: None,
    }
}

fn from_finding(verdict: Verdict, migration: &str, f: &Finding) -> Item {
    Item {
        expected: f.expected.clone(),
        found: f.actual.clone(),
        ..item(verdict, Some(migration), f.object.clone())
    }
}

fn q(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

async fn count(db: &DatabaseConnection, sql: &str) -> Result<i64, DbErr> {
    db.query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?
        .ok_or_else(|| DbErr::Custom(format!("no row from {sql}")))?
        .try_get_by_index(0)
}

async fn strings(db: &DatabaseConnection, sql: &str) -> Result<Vec<String>, DbErr> {
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
async fn duplicates(
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
fn predicate_sql(normalized: &str) -> Option<&'static str> {
    match normalized {
        "type='refund'" => Some("\"type\" = 'refund'"),
        "statusin('queued','running')" => Some("\"status\" IN ('queued', 'running')"),
        _ => None,
    }
}

/// The three `users` flags `m20251018` tightens (schema.md §3.1 #4).
const USER_FLAGS: [&str; 3] = [
    "unlimitedPoseActive",
    "unlimitedPoseDailyQuota",
    "unlimitedPoseQuotaUsed",
];

/// What `m20251016` does not vouch for on the `users` columns it adds: their
/// nullability and timestamp precision (the S3 variant satisfies it; `m20251018`
/// tightens the flags).
fn m16_tolerates(f: &Finding) -> bool {
    let column = f.object.strip_prefix("users.").unwrap_or_default();
    column.starts_with("unlimitedPose")
        && matches!(f.kind, Kind::NullabilityMismatch | Kind::TypeMismatch)
        && f.migration == Some("m20251016_000001_pose_generator")
}

struct Planner<'a> {
    db: &'a DatabaseConnection,
    backend: DbBackend,
    targets: Vec<target::Table>,
    live: HashMap<String, LiveTable>,
    /// Tables that exist now or that an earlier step of the plan creates.
    will_exist: BTreeSet<String>,
    plan: Plan,
}

impl Planner<'_> {
    fn table(&self, name: &str) -> &target::Table {
        self.targets
            .iter()
            .find(|t| t.name == name)
            .expect("owners name target tables")
    }

    async fn rows(&self, table: &str) -> Result<i64, DbErr> {
        count(self.db, &format!("SELECT count(*) FROM {}", q(table))).await
    }

    fn refuse(&mut self, mut item: Item, action: &str) {
        item.verdict = Verdict::Refuse;
        item.action = Some(action.to_owned());
        self.plan.items.push(item);
    }

    /// The data checks of a migration that will run: the refusals its own SQL would
    /// otherwise hit half-way through a multi-migration deploy.
    async fn run_prechecks(&mut self, version: &str) -> Result<(), DbErr> {
        let present: BTreeSet<String> = self.live.keys().cloned().collect();
        let live = |t: &str| present.contains(t);
        match version {
            "m20251018_000001_pose_generator_recovery_and_variations" => {
                let nullable_flags: Vec<&str> = match self.live.get("users") {
                    Some(users) if self.backend == DbBackend::Postgres => USER_FLAGS
                        .into_iter()
                        .filter(|flag| users.columns.iter().any(|c| c.name == *flag && c.nullable))
                        .collect(),
                    _ => Vec::new(),
                };
                {
                    for flag in nullable_flags {
                        let nulls = count(
                            self.db,
                            &format!("SELECT count(*) FROM \"users\" WHERE {} IS NULL", q(flag)),
                        )
                        .await?;
                        if nulls > 0 {
                            let ids = strings(
                                self.db,
                                &format!("SELECT \"id\" FROM \"users\" WHERE {} IS NULL ORDER BY 1 LIMIT 10", q(flag)),
                            )
                            .await?;
                            let mut it =
                                item(Verdict::Refuse, Some(version), format!("users.{flag}"));
                            it.expected = Some("NOT NULL (0 NULL rows)".into());
                            it.found = Some(format!("{nulls} NULL row(s)"));
                            it.rows = Some(nulls);
                            it.samples = ids;
                            self.refuse(
                                it,
                                &format!(
                                    "decide the value for those users, e.g. UPDATE \"users\" SET {} = <default> WHERE {} IS NULL",
                                    q(flag),
                                    q(flag)
                                ),
                            );
                        }
                    }
                }
                if live("pose_library") {
                    let (n, groups) =
                        duplicates(self.db, "pose_library", &["categoryId", "name"], None).await?;
                    if n > 0 {
                        let mut it = item(
                            Verdict::Refuse,
                            Some(version),
                            "pose_library_categoryId_name_key",
                        );
                        it.expected = Some("unique (categoryId, name)".into());
                        it.found = Some(format!("{n} duplicate group(s)"));
                        it.rows = Some(n);
                        it.samples = groups;
                        self.refuse(it, "rename or merge the duplicate poses of each group");
                    }
                }
            }
            "m20251120_000001_integrity_foreign_keys" => {
                let fks = self.integrity_fks();
                let mut found_any = false;
                let mut counted = Vec::new();
                for (table, column, parent, name) in fks {
                    let (n, ids) = if self.has_columns(table, &[column])
                        && self.has_columns(parent, &["id"])
                    {
                        orphans(self.db, table, column, parent).await?
                    } else {
                        (0, Vec::new())
                    };
                    found_any |= n > 0;
                    counted.push((name, n, ids, parent, table, column));
                }
                if found_any {
                    // The report lists every FK with its count, zeros included (§7.1).
                    for (name, n, ids, parent, table, column) in counted {
                        let mut it = item(Verdict::Refuse, Some(version), name.clone());
                        it.expected = Some(format!("every {table}.{column} names a {parent} row"));
                        it.found = Some(format!("{n} orphan row(s)"));
                        it.rows = Some(n);
                        it.samples = ids;
                        if n > 0 {
                            self.refuse(
                                it,
                                &format!(
                                    "delete the orphan {table} rows, or (for a SET NULL key) set {column} to NULL; keep them if they are needed for audit and export them first"
                                ),
                            );
                        } else {
                            it.verdict = Verdict::Warn;
                            it.action = None;
                            self.plan.items.push(it);
                        }
                    }
                }
            }
            "m20251120_000002_credits_refund_unique"
                if self.has_columns("credits", &["type", "referenceId", "referenceType"]) =>
            {
                let (n, groups) = duplicates(
                    self.db,
                    "credits",
                    &["referenceId", "referenceType"],
                    predicate_sql("type='refund'"),
                )
                .await?;
                if n > 0 {
                    let mut it = item(
                        Verdict::Refuse,
                        Some(version),
                        "credits_refund_referenceId_referenceType_key",
                    );
                    it.expected =
                        Some("at most one refund per (referenceId, referenceType)".into());
                    it.found = Some(format!("{n} duplicate group(s)"));
                    it.rows = Some(n);
                    it.samples = groups;
                    self.refuse(it, "review the duplicate refunds; the balance they added may need a correcting entry");
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Whether a live table has all these columns (data checks must not query a table
    /// of another shape).
    fn has_columns(&self, table: &str, columns: &[&str]) -> bool {
        self.live.get(table).is_some_and(|t| {
            columns
                .iter()
                .all(|c| t.columns.iter().any(|l| l.name == *c))
        })
    }

    fn integrity_fks(&self) -> Vec<(&'static str, &'static str, &'static str, String)> {
        let mut out = Vec::new();
        for t in &self.targets {
            for fk in &t.foreign_keys {
                if target::owner(t.name, &fk.name) == "m20251120_000001_integrity_foreign_keys" {
                    out.push((t.name, fk.column, fk.target, fk.name.clone()));
                }
            }
        }
        out
    }

    /// Tables the migration creates, and tables on which it owns other objects.
    fn scope(&self, version: &str) -> (Vec<&'static str>, Vec<&'static str>) {
        let mut creates = Vec::new();
        let mut touches = Vec::new();
        for t in &self.targets {
            if target::owner(t.name, t.name) == version {
                creates.push(t.name);
                continue;
            }
            let owns_something = t
                .columns
                .iter()
                .any(|c| target::owner(t.name, c.name) == version)
                || t.indexes
                    .iter()
                    .any(|i| target::owner(t.name, &i.name) == version)
                || t.foreign_keys
                    .iter()
                    .any(|f| target::owner(t.name, &f.name) == version);
            if owns_something {
                touches.push(t.name);
            }
        }
        (creates, touches)
    }

    /// Whether any object the migration owns exists in the database. A migration that
    /// creates tables is judged by them alone: the `users` columns `m20251016` adds
    /// "only if missing" say nothing about whether it ran.
    fn any_present(&self, version: &str, creates: &[&str], touches: &[&str]) -> bool {
        if creates.iter().any(|t| self.live.contains_key(*t)) {
            return true;
        }
        if !creates.is_empty() {
            return false;
        }
        touches.iter().any(|name| {
            let Some(live) = self.live.get(*name) else {
                return false;
            };
            let t = self.table(name);
            let owned = |object: &str| target::owner(name, object) == version;
            let columns = t
                .columns
                .iter()
                .any(|c| owned(c.name) && live.columns.iter().any(|l| l.name == c.name));
            let indexes = t
                .indexes
                .iter()
                .any(|i| owned(&i.name) && live.indexes.iter().any(|l| l.name == i.name));
            let fks = t.foreign_keys.iter().any(|f| {
                owned(&f.name)
                    && live.foreign_keys.iter().any(|l| match &l.name {
                        Some(n) => *n == f.name,
                        None => l.column == f.column && l.target == f.target,
                    })
            });
            columns || indexes || fks
        })
    }

    async fn plan_migration(&mut self, version: &str, recorded: bool) -> Result<(), DbErr> {
        let (creates, touches) = self.scope(version);
        if !recorded && !self.any_present(version, &creates, &touches) {
            // Nothing of it exists: it runs, if what it needs will be there.
            let contract = contract::of(version).expect("every migration has a contract");
            for t in contract.expects_tables {
                if !self.will_exist.contains(*t) {
                    let mut it = item(Verdict::Refuse, Some(version), *t);
                    it.expected = Some("table (this migration alters it)".into());
                    self.refuse(it, "this database is not one this tool can migrate: check DATABASE_URL, or restore the missing table");
                }
            }
            self.run_prechecks(version).await?;
            self.will_exist
                .extend(creates.iter().map(|t| t.to_string()));
            self.plan.steps.push(Step {
                version: version.to_owned(),
                kind: StepKind::Run,
                recorded,
                repairs: Vec::new(),
            });
            return Ok(());
        }

        let mut repairs = Vec::new();
        for name in creates.iter().chain(touches.iter()) {
            let table = self.table(name).clone();
            let Some(live) = self.live.get(*name).cloned() else {
                if !creates.contains(name) {
                    // Another migration's table that an earlier step of this plan
                    // creates: this migration's objects on it are added after it.
                    if !self.will_exist.contains(*name) {
                        let mut it = item(Verdict::Refuse, Some(version), *name);
                        it.expected = Some("table (this migration adds to it)".into());
                        self.refuse(it, "restore the missing table, or check DATABASE_URL");
                        continue;
                    }
                    self.add_owned_objects(version, &table, &mut repairs);
                    continue;
                }
                // A table of this migration is missing: created whole, with its indexes.
                let mut it = item(Verdict::Create, Some(version), *name);
                it.expected = Some("table".into());
                self.plan.items.push(it);
                repairs.push(Repair::CreateTable { table: table.name });
                for index in &table.indexes {
                    if target::owner(name, &index.name) == version
                        && crate::ddl::target_index(self.backend, table.name, index).is_some()
                    {
                        repairs.push(Repair::CreateIndex {
                            table: table.name,
                            index: index.name.clone(),
                        });
                    }
                }
                continue;
            };
            let owner_of_table = target::owner(name, name) == version;
            for f in check::compare_table(&table, &live, self.backend) {
                let ours = f.migration == Some(version);
                let extra_here = f.migration.is_none() && owner_of_table;
                if !ours && !extra_here {
                    continue;
                }
                self.judge(version, &table, &live, &f, &mut repairs).await?;
            }
        }
        if recorded && repairs.is_empty() {
            return Ok(());
        }
        self.will_exist
            .extend(creates.iter().map(|t| t.to_string()));
        let kind = if repairs.is_empty() {
            StepKind::Adopt
        } else {
            StepKind::Repair
        };
        if kind == StepKind::Adopt {
            self.plan
                .items
                .push(item(Verdict::Adopt, Some(version), "all objects present"));
        }
        self.plan.steps.push(Step {
            version: version.to_owned(),
            kind,
            recorded,
            repairs,
        });
        Ok(())
    }

    /// Repairs adding what `version` owns on a table an earlier step creates empty.
    fn add_owned_objects(
        &mut self,
        version: &str,
        table: &target::Table,
        repairs: &mut Vec<Repair>,
    ) {
        let owned = |object: &str| target::owner(table.name, object) == version;
        for col in table.columns.iter().filter(|c| owned(c.name)) {
            let mut it = item(
                Verdict::Add,
                Some(version),
                format!("{}.{}", table.name, col.name),
            );
            it.found = Some("table created earlier in this deploy".into());
            self.plan.items.push(it);
            repairs.push(Repair::AddColumn {
                table: table.name,
                column: col.name,
            });
        }
        for index in table.indexes.iter().filter(|i| owned(&i.name)) {
            if crate::ddl::target_index(self.backend, table.name, index).is_some() {
                self.plan
                    .items
                    .push(item(Verdict::Create, Some(version), index.name.clone()));
                repairs.push(Repair::CreateIndex {
                    table: table.name,
                    index: index.name.clone(),
                });
            }
        }
        for fk in table.foreign_keys.iter().filter(|f| owned(&f.name)) {
            if self.backend != DbBackend::Postgres {
                let it = item(Verdict::Refuse, Some(version), fk.name.clone());
                self.refuse(it, "SQLite cannot add a foreign key to an existing table: rebuild this database with `migration fresh` after exporting its data");
                continue;
            }
            self.plan
                .items
                .push(item(Verdict::Add, Some(version), fk.name.clone()));
            repairs.push(Repair::AddForeignKey {
                table: table.name,
                name: fk.name.clone(),
            });
        }
    }

    /// The verdict of schema.md §1.4 for one finding on a table that exists.
    async fn judge(
        &mut self,
        version: &str,
        table: &target::Table,
        live: &LiveTable,
        f: &Finding,
        repairs: &mut Vec<Repair>,
    ) -> Result<(), DbErr> {
        let name = table.name;
        let column_name = f
            .object
            .strip_prefix(&format!("{name}."))
            .unwrap_or_default();
        let ours = self.is_app_table(name);
        match f.kind {
            Kind::MissingColumn => {
                let col = table
                    .column(column_name)
                    .expect("finding names a target column");
                if col.nullable || col.default.is_some() {
                    self.plan.items.push(from_finding(Verdict::Add, version, f));
                    repairs.push(Repair::AddColumn {
                        table: name,
                        column: col.name,
                    });
                } else {
                    let rows = self.rows(name).await?;
                    if rows == 0 && self.backend == DbBackend::Postgres {
                        self.plan.items.push(from_finding(Verdict::Add, version, f));
                        repairs.push(Repair::AddColumn {
                            table: name,
                            column: col.name,
                        });
                    } else {
                        let mut it = from_finding(Verdict::Refuse, version, f);
                        it.rows = Some(rows);
                        let why = if rows > 0 {
                            format!(
                                "{name} has {rows} row(s) and the column is NOT NULL without a default"
                            )
                        } else {
                            "SQLite cannot add a NOT NULL column without a default to an existing table".to_owned()
                        };
                        self.refuse(
                            it,
                            &format!("{why}: move {name} aside (rename it, with its indexes and constraints) after a backup, and deploy again"),
                        );
                    }
                }
            }
            Kind::TypeMismatch if f.severity != Severity::Blocking => {
                self.plan
                    .items
                    .push(from_finding(Verdict::Warn, version, f));
            }
            Kind::TypeMismatch if m16_tolerates(f) => {
                self.plan
                    .items
                    .push(from_finding(Verdict::Warn, version, f));
            }
            Kind::TypeMismatch => {
                let it = from_finding(Verdict::Refuse, version, f);
                self.refuse(it, "the column holds another type than this service reads and writes: move the table aside after a backup, and deploy again");
            }
            Kind::NullabilityMismatch if m16_tolerates(f) => {
                self.plan
                    .items
                    .push(from_finding(Verdict::Warn, version, f));
            }
            Kind::NullabilityMismatch => {
                let col = table
                    .column(column_name)
                    .expect("finding names a target column");
                let live_nullable = live
                    .columns
                    .iter()
                    .any(|c| c.name == col.name && c.nullable);
                if live_nullable && !col.nullable && self.backend == DbBackend::Postgres {
                    let nulls = count(
                        self.db,
                        &format!(
                            "SELECT count(*) FROM {} WHERE {} IS NULL",
                            q(name),
                            q(col.name)
                        ),
                    )
                    .await?;
                    if nulls == 0 {
                        self.plan
                            .items
                            .push(from_finding(Verdict::Tighten, version, f));
                        repairs.push(Repair::SetNotNull {
                            table: name,
                            column: col.name,
                        });
                    } else {
                        let mut it = from_finding(Verdict::Refuse, version, f);
                        it.rows = Some(nulls);
                        self.refuse(
                            it,
                            &format!(
                                "set a value where {name}.{} is NULL, then deploy again",
                                col.name
                            ),
                        );
                    }
                } else {
                    let it = from_finding(Verdict::Refuse, version, f);
                    self.refuse(it, "the column is NOT NULL where this service may write NULL: move the table aside after a backup, and deploy again");
                }
            }
            Kind::DefaultMismatch => self
                .plan
                .items
                .push(from_finding(Verdict::Warn, version, f)),
            Kind::MissingIndex | Kind::MissingUnique if f.object.ends_with("_pkey") => {
                let it = from_finding(Verdict::Refuse, version, f);
                self.refuse(it, "the table has no primary key on \"id\": it is not a table this service can use");
            }
            Kind::MissingIndex | Kind::MissingUnique => {
                let index = table
                    .indexes
                    .iter()
                    .find(|i| i.name == f.object)
                    .expect("finding names a target index");
                if f.actual.is_some() {
                    let it = from_finding(Verdict::Refuse, version, f);
                    self.refuse(it, "an index with the target's name has another definition: drop or rename it after review, and deploy again");
                    return Ok(());
                }
                if index.unique {
                    let keys: Vec<&str> = index.keys.iter().map(|k| k.0).collect();
                    let predicate = index.predicate.and_then(predicate_sql);
                    let (n, groups) = duplicates(self.db, name, &keys, predicate).await?;
                    if n > 0 {
                        let mut it = from_finding(Verdict::Refuse, version, f);
                        it.rows = Some(n);
                        it.samples = groups;
                        self.refuse(it, "resolve the duplicate groups, then deploy again");
                        return Ok(());
                    }
                }
                self.plan
                    .items
                    .push(from_finding(Verdict::Create, version, f));
                repairs.push(Repair::CreateIndex {
                    table: name,
                    index: index.name.clone(),
                });
            }
            Kind::MissingForeignKey => {
                let fk = table
                    .foreign_keys
                    .iter()
                    .find(|k| k.name == f.object)
                    .expect("finding names a target foreign key");
                if f.actual.is_some() {
                    let it = from_finding(Verdict::Refuse, version, f);
                    self.refuse(it, "a foreign key with the target's name has another definition: review it and drop or rename it, then deploy again");
                    return Ok(());
                }
                // The same key under another name is accepted (schema.md §1.4).
                let renamed = live.foreign_keys.iter().find(|l| {
                    l.column == fk.column
                        && l.target == fk.target
                        && l.on_delete == fk.on_delete
                        && l.on_update == fk.on_update
                });
                if let Some(other) = renamed {
                    let mut it = from_finding(Verdict::Warn, version, f);
                    it.found = Some(format!(
                        "the same key named {}",
                        other.name.as_deref().unwrap_or("(unnamed)")
                    ));
                    self.plan.items.push(it);
                    return Ok(());
                }
                if self.backend != DbBackend::Postgres {
                    let it = from_finding(Verdict::Refuse, version, f);
                    self.refuse(it, "SQLite cannot add a foreign key to an existing table: rebuild this database with `migration fresh` after exporting its data");
                    return Ok(());
                }
                let (n, ids) = if self.has_columns(name, &[fk.column])
                    && self.has_columns(fk.target, &["id"])
                {
                    orphans(self.db, name, fk.column, fk.target).await?
                } else {
                    (0, Vec::new())
                };
                if n > 0 {
                    let mut it = from_finding(Verdict::Refuse, version, f);
                    it.rows = Some(n);
                    it.samples = ids;
                    self.refuse(
                        it,
                        &format!(
                            "delete or fix the {name} rows whose {} names no {} row",
                            fk.column, fk.target
                        ),
                    );
                } else {
                    self.plan.items.push(from_finding(Verdict::Add, version, f));
                    repairs.push(Repair::AddForeignKey {
                        table: name,
                        name: fk.name.clone(),
                    });
                }
            }
            Kind::ExtraColumn => {
                if f.severity == Severity::Blocking {
                    let mut it = from_finding(Verdict::Refuse, version, f);
                    it.expected = Some("no such column (inserts would not fill it)".into());
                    self.refuse(it, &format!("this service's inserts cannot fill a NOT NULL column without a default: move {name} aside (rename it) after a backup, and deploy again"));
                } else {
                    self.plan
                        .items
                        .push(from_finding(Verdict::Extra, version, f));
                }
            }
            Kind::ExtraIndex => {
                let found = live.indexes.iter().find(|i| i.name == f.object);
                if found.is_some_and(|i| i.unique) && ours {
                    let it = from_finding(Verdict::Refuse, version, f);
                    self.refuse(it, "an extra unique index can reject rows the service writes: review and drop it, then deploy again");
                } else {
                    self.plan
                        .items
                        .push(from_finding(Verdict::Extra, version, f));
                }
            }
            Kind::ExtraForeignKey => {
                let found = live.foreign_keys.iter().find(|k| {
                    k.name.as_deref() == Some(f.object.as_str())
                        || f.object == format!("{name}({})", k.column)
                });
                let harmless = found.is_some_and(|k| {
                    table.column(&k.column).is_none()
                        && live
                            .columns
                            .iter()
                            .any(|c| c.name == k.column && c.nullable)
                        && k.on_delete != target::Action::Restrict
                });
                if harmless || !ours {
                    self.plan
                        .items
                        .push(from_finding(Verdict::Extra, version, f));
                } else {
                    let it = from_finding(Verdict::Refuse, version, f);
                    self.refuse(it, "an extra foreign key can reject this service's inserts or block its deletes: move the table aside after a backup, and deploy again");
                }
            }
            Kind::MissingTable | Kind::ExtraTable => {}
        }
        Ok(())
    }

    /// One of the 13 Avatar Creator / Pose Generator tables or our own (not a base
    /// table shared with other apps).
    fn is_app_table(&self, name: &str) -> bool {
        !matches!(name, "users" | "sessions" | "credits" | "app_usages")
    }
}

/// Inspects the database and plans every migration: recorded ones are re-inspected
/// for drift that additive repairs can fix; pending ones are adopted, repaired or run.
pub async fn plan(db: &DatabaseConnection) -> Result<Plan, DbErr> {
    let backend = db.get_database_backend();
    let targets = target::tables();
    let tables = catalog::tables(db).await?;
    let names: Vec<String> = tables.iter().map(|t| t.name.clone()).collect();
    let live: HashMap<String, catalog::LiveTable> = tables
        .into_iter()
        .filter(|live| targets.iter().any(|t| t.name == live.name))
        .map(|live| (live.name.clone(), live))
        .collect();
    let recorded = ledger::recorded(db).await?;
    let mut planner = Planner {
        db,
        backend,
        targets,
        will_exist: names.iter().cloned().collect(),
        live,
        plan: Plan::default(),
    };
    for migration in Migrator::migrations() {
        let version = migration.name();
        let is_recorded = recorded.iter().any(|r| r.version == version);
        planner.plan_migration(version, is_recorded).await?;
    }
    for name in &names {
        let known = planner.targets.iter().any(|t| t.name == *name);
        if !known && !ledger::TOOL_TABLES.contains(&name.as_str()) {
            let mut it = item(Verdict::Extra, None, name.clone());
            it.found = Some("table not in the target; never touched".into());
            planner.plan.items.push(it);
        }
    }
    Ok(planner.plan)
}

/// The DDL of one repair, generated from the target definition.
pub fn repair_statements(backend: DbBackend, version: &str, repair: &Repair) -> Vec<Statement> {
    use sea_orm_migration::prelude::*;
    let targets = target::tables();
    let table = |name: &str| {
        targets
            .iter()
            .find(|t| t.name == name)
            .expect("target table")
    };
    match repair {
        Repair::CreateTable { table: name } => {
            vec![backend.build(&crate::ddl::target_table(backend, table(name), version))]
        }
        Repair::CreateIndex { table: name, index } => {
            let t = table(name);
            let index = t
                .indexes
                .iter()
                .find(|i| i.name == *index)
                .expect("target index");
            crate::ddl::target_index(backend, t.name, index)
                .map(|stmt| vec![backend.build(&stmt)])
                .unwrap_or_default()
        }
        Repair::AddColumn {
            table: name,
            column,
        } => {
            let t = table(name);
            let col = t.column(column).expect("target column");
            let stmt = Table::alter()
                .table(t.name)
                .add_column(crate::ddl::target_column(backend, col))
                .take();
            vec![backend.build(&stmt)]
        }
        Repair::AddForeignKey {
            table: name,
            name: fk_name,
        } => {
            let t = table(name);
            let fk = t
                .foreign_keys
                .iter()
                .find(|f| f.name == *fk_name)
                .expect("target key");
            vec![backend.build(&crate::ddl::target_foreign_key(t.name, fk))]
        }
        Repair::SetNotNull {
            table: name,
            column,
        } => {
            let stmt = Table::alter()
                .table(table(name).name)
                .modify_column(ColumnDef::new(*column).not_null())
                .take();
            vec![backend.build(&stmt)]
        }
    }
}
