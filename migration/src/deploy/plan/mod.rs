//! The deploy plan (schema.md §1.3–§1.4, deploy-safety.md R4/R6): inspect the live
//! database, decide for every migration whether it must run, can be adopted because
//! its objects verifiably exist, or can be adopted after safe additive repairs, and
//! refuse the whole deploy, before any DDL, when anything cannot be reconciled.
//!
//! Every decision is an [`Item`] of the report: verdict, migration, object, what the
//! target expects, what the catalog holds, affected rows with sample ids, and the
//! operator's next step. The tool never drops, renames or rewrites anything and never
//! changes rows; data decisions are printed as suggestions only.

mod judge;
mod planner;
mod prechecks;
mod queries;
mod repair;

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use sea_orm_migration::MigratorTrait;
use sea_orm_migration::sea_orm::{DatabaseConnection, DbBackend, DbErr};
use serde::Serialize;

pub use queries::orphans;
pub use repair::repair_statements;

use super::ledger;
use crate::Migrator;
use crate::catalog::{self, LiveTable};
use crate::check::Finding;
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

/// The state of planning: the targets, the live catalog, and the plan so far.
struct Planner<'a> {
    db: &'a DatabaseConnection,
    backend: DbBackend,
    targets: Vec<target::Table>,
    live: HashMap<String, LiveTable>,
    /// Tables that exist now or that an earlier step of the plan creates.
    will_exist: BTreeSet<String>,
    plan: Plan,
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
