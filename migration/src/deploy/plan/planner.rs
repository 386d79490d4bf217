//! Planning one migration: whether it runs, is adopted because its objects exist, or
//! is adopted after additive repairs, judged object by object against the live
//! catalog.

use sea_orm_migration::sea_orm::{DbBackend, DbErr};

use super::queries::{count, q};
use super::{Item, Planner, Repair, Step, StepKind, Verdict, item};
use crate::check;
use crate::deploy::contract;
use crate::target;

impl Planner<'_> {
    pub(super) fn table(&self, name: &str) -> &target::Table {
        self.targets
            .iter()
            .find(|t| t.name == name)
            .expect("owners name target tables")
    }

    pub(super) async fn rows(&self, table: &str) -> Result<i64, DbErr> {
        count(self.db, &format!("SELECT count(*) FROM {}", q(table))).await
    }

    pub(super) fn refuse(&mut self, mut item: Item, action: &str) {
        item.verdict = Verdict::Refuse;
        item.action = Some(action.to_owned());
        self.plan.items.push(item);
    }

    /// Whether a live table has all these columns (data checks must not query a table
    /// of another shape).
    pub(super) fn has_columns(&self, table: &str, columns: &[&str]) -> bool {
        self.live.get(table).is_some_and(|t| {
            columns
                .iter()
                .all(|c| t.columns.iter().any(|l| l.name == *c))
        })
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

    pub(super) async fn plan_migration(
        &mut self,
        version: &str,
        recorded: bool,
    ) -> Result<(), DbErr> {
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
            self.check_data(version).await?;
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
}
