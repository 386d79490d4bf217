//! The verdict on each difference between a live table and its target (schema.md
//! §1.4): what is added, created, tightened or accepted, and what is refused, with the
//! rows that make it so.

use sea_orm_migration::sea_orm::{DatabaseBackend as DbBackend, DbErr};

use super::queries::{count, duplicates, orphans, predicate_sql, q};
use super::{Planner, Repair, Verdict, from_finding};
use crate::catalog::LiveTable;
use crate::check::{Finding, Kind, Severity};
use crate::deploy::contract;
use crate::target;

impl Planner<'_> {
    /// The verdict of schema.md §1.4 for one finding on a table that exists.
    pub(super) async fn judge(
        &mut self,
        version: &str,
        table: &target::Table,
        live: &LiveTable,
        f: &Finding,
        repairs: &mut Vec<Repair>,
    ) -> Result<(), DbErr> {
        let name = table.name;
        let ours = self.is_app_table(name);
        match f.kind {
            Kind::MissingColumn => self.missing_column(version, table, f, repairs).await?,
            Kind::TypeMismatch if f.severity != Severity::Blocking || contract::tolerates(f) => {
                self.report(Verdict::Warn, version, f);
            }
            Kind::TypeMismatch => {
                self.refuse_finding(version, f, "the column holds another type than this service reads and writes: move the table aside after a backup, and deploy again");
            }
            Kind::NullabilityMismatch if contract::tolerates(f) => {
                self.report(Verdict::Warn, version, f);
            }
            Kind::NullabilityMismatch => self.nullability(version, table, live, f, repairs).await?,
            Kind::DefaultMismatch => self.report(Verdict::Warn, version, f),
            Kind::MissingIndex | Kind::MissingUnique if f.object.ends_with("_pkey") => {
                self.refuse_finding(version, f, "the table has no primary key on \"id\": it is not a table this service can use");
            }
            Kind::MissingIndex | Kind::MissingUnique => {
                self.missing_index(version, table, f, repairs).await?
            }
            Kind::MissingForeignKey => {
                self.missing_foreign_key(version, table, live, f, repairs)
                    .await?
            }
            Kind::ExtraColumn => {
                if f.severity == Severity::Blocking {
                    let mut it = from_finding(Verdict::Refuse, version, f);
                    it.expected = Some("no such column (inserts would not fill it)".into());
                    self.refuse(it, &format!("this service's inserts cannot fill a NOT NULL column without a default: move {name} aside (rename it) after a backup, and deploy again"));
                } else {
                    self.report(Verdict::Extra, version, f);
                }
            }
            Kind::ExtraIndex => {
                let found = live.indexes.iter().find(|i| i.name == f.object);
                if found.is_some_and(|i| i.unique) && ours {
                    self.refuse_finding(version, f, "an extra unique index can reject rows the service writes: review and drop it, then deploy again");
                } else {
                    self.report(Verdict::Extra, version, f);
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
                    self.report(Verdict::Extra, version, f);
                } else {
                    self.refuse_finding(version, f, "an extra foreign key can reject this service's inserts or block its deletes: move the table aside after a backup, and deploy again");
                }
            }
            Kind::MissingTable | Kind::ExtraTable => {}
        }
        Ok(())
    }

    /// A missing column: added when it may be NULL or has a default, or when the
    /// table is empty on PostgreSQL; refused otherwise.
    async fn missing_column(
        &mut self,
        version: &str,
        table: &target::Table,
        f: &Finding,
        repairs: &mut Vec<Repair>,
    ) -> Result<(), DbErr> {
        let name = table.name;
        let column_name = f
            .object
            .strip_prefix(&format!("{name}."))
            .unwrap_or_default();
        let col = table
            .column(column_name)
            .expect("finding names a target column");
        if col.nullable || col.default.is_some() {
            self.report(Verdict::Add, version, f);
            repairs.push(Repair::AddColumn {
                table: name,
                column: col.name,
            });
        } else {
            let rows = self.rows(name).await?;
            if rows == 0 && self.backend == DbBackend::Postgres {
                self.report(Verdict::Add, version, f);
                repairs.push(Repair::AddColumn {
                    table: name,
                    column: col.name,
                });
            } else {
                let mut it = from_finding(Verdict::Refuse, version, f);
                it.rows = Some(rows);
                let why = if rows > 0 {
                    format!("{name} has {rows} row(s) and the column is NOT NULL without a default")
                } else {
                    "SQLite cannot add a NOT NULL column without a default to an existing table"
                        .to_owned()
                };
                self.refuse(
                    it,
                    &format!("{why}: move {name} aside (rename it, with its indexes and constraints) after a backup, and deploy again"),
                );
            }
        }
        Ok(())
    }

    /// A column NULL-able where the target says NOT NULL: tightened on PostgreSQL when
    /// no row holds NULL; refused otherwise.
    async fn nullability(
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
                self.report(Verdict::Tighten, version, f);
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
            self.refuse_finding(version, f, "the column is NOT NULL where this service may write NULL: move the table aside after a backup, and deploy again");
        }
        Ok(())
    }

    /// A missing index: created unless a different index holds its name or, for a
    /// unique one, rows already break it.
    async fn missing_index(
        &mut self,
        version: &str,
        table: &target::Table,
        f: &Finding,
        repairs: &mut Vec<Repair>,
    ) -> Result<(), DbErr> {
        let name = table.name;
        let index = table
            .indexes
            .iter()
            .find(|i| i.name == f.object)
            .expect("finding names a target index");
        if f.actual.is_some() {
            self.refuse_finding(version, f, "an index with the target's name has another definition: drop or rename it after review, and deploy again");
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
        self.report(Verdict::Create, version, f);
        repairs.push(Repair::CreateIndex {
            table: name,
            index: index.name.clone(),
        });
        Ok(())
    }

    /// A missing foreign key: accepted under another name, added on PostgreSQL when no
    /// row breaks it, refused otherwise.
    async fn missing_foreign_key(
        &mut self,
        version: &str,
        table: &target::Table,
        live: &LiveTable,
        f: &Finding,
        repairs: &mut Vec<Repair>,
    ) -> Result<(), DbErr> {
        let name = table.name;
        let fk = table
            .foreign_keys
            .iter()
            .find(|k| k.name == f.object)
            .expect("finding names a target foreign key");
        if f.actual.is_some() {
            self.refuse_finding(version, f, "a foreign key with the target's name has another definition: review it and drop or rename it, then deploy again");
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
            self.refuse_finding(version, f, "SQLite cannot add a foreign key to an existing table: rebuild this database with `migration fresh` after exporting its data");
            return Ok(());
        }
        let (n, ids) =
            if self.has_columns(name, &[fk.column]) && self.has_columns(fk.target, &["id"]) {
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
            self.report(Verdict::Add, version, f);
            repairs.push(Repair::AddForeignKey {
                table: name,
                name: fk.name.clone(),
            });
        }
        Ok(())
    }

    /// One of the 13 Avatar Creator / Pose Generator tables or our own (not a base
    /// table shared with other apps).
    fn is_app_table(&self, name: &str) -> bool {
        !matches!(name, "users" | "sessions" | "credits" | "app_usages")
    }

    /// Reports `f` with `verdict`.
    fn report(&mut self, verdict: Verdict, version: &str, f: &Finding) {
        self.plan.items.push(from_finding(verdict, version, f));
    }

    /// Refuses the deploy over `f`, with the operator's next step.
    fn refuse_finding(&mut self, version: &str, f: &Finding, action: &str) {
        let it = from_finding(Verdict::Refuse, version, f);
        self.refuse(it, action);
    }
}
