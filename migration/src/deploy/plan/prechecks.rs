//! The data checks of a migration that will run ([`contract::data_checks`]): the
//! refusals its own SQL would otherwise hit half-way through a multi-migration deploy.

use sea_orm_migration::sea_orm::{DbBackend, DbErr};

use super::queries::{count, duplicates, orphans, predicate_sql, q, strings};
use super::{Planner, Verdict, item};
use crate::deploy::contract::{self, DataCheck};
use crate::target;

impl Planner<'_> {
    pub(super) async fn check_data(&mut self, version: &str) -> Result<(), DbErr> {
        for check in contract::data_checks(version) {
            match check {
                DataCheck::NoNulls {
                    table,
                    columns,
                    rows,
                } => self.no_nulls(version, table, columns, rows).await?,
                DataCheck::Unique {
                    table,
                    keys,
                    predicate,
                    requires,
                    index,
                    expected,
                    action,
                } => {
                    if !self.has_columns(table, requires) {
                        continue;
                    }
                    let predicate = predicate.and_then(predicate_sql);
                    let (n, groups) = duplicates(self.db, table, keys, predicate).await?;
                    if n > 0 {
                        let mut it = item(Verdict::Refuse, Some(version), *index);
                        it.expected = Some((*expected).into());
                        it.found = Some(format!("{n} duplicate group(s)"));
                        it.rows = Some(n);
                        it.samples = groups;
                        self.refuse(it, action);
                    }
                }
                DataCheck::NoOrphans => self.no_orphans(version).await?,
            }
        }
        Ok(())
    }

    async fn no_nulls(
        &mut self,
        version: &str,
        table: &str,
        columns: &[&str],
        rows: &str,
    ) -> Result<(), DbErr> {
        let nullable: Vec<&str> = match self.live.get(table) {
            Some(live) if self.backend == DbBackend::Postgres => columns
                .iter()
                .copied()
                .filter(|column| live.columns.iter().any(|c| c.name == *column && c.nullable))
                .collect(),
            _ => Vec::new(),
        };
        for column in nullable {
            let nulls = count(
                self.db,
                &format!(
                    "SELECT count(*) FROM {} WHERE {} IS NULL",
                    q(table),
                    q(column)
                ),
            )
            .await?;
            if nulls > 0 {
                let ids = strings(
                    self.db,
                    &format!(
                        "SELECT \"id\" FROM {} WHERE {} IS NULL ORDER BY 1 LIMIT 10",
                        q(table),
                        q(column)
                    ),
                )
                .await?;
                let mut it = item(Verdict::Refuse, Some(version), format!("{table}.{column}"));
                it.expected = Some("NOT NULL (0 NULL rows)".into());
                it.found = Some(format!("{nulls} NULL row(s)"));
                it.rows = Some(nulls);
                it.samples = ids;
                self.refuse(
                    it,
                    &format!(
                        "decide the value for those {rows}, e.g. UPDATE {} SET {} = <default> WHERE {} IS NULL",
                        q(table),
                        q(column),
                        q(column)
                    ),
                );
            }
        }
        Ok(())
    }

    async fn no_orphans(&mut self, version: &str) -> Result<(), DbErr> {
        let mut found_any = false;
        let mut counted = Vec::new();
        for (table, column, parent, name) in self.owned_foreign_keys(version) {
            let (n, ids) =
                if self.has_columns(table, &[column]) && self.has_columns(parent, &["id"]) {
                    orphans(self.db, table, column, parent).await?
                } else {
                    (0, Vec::new())
                };
            found_any |= n > 0;
            counted.push((name, n, ids, parent, table, column));
        }
        if !found_any {
            return Ok(());
        }
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
        Ok(())
    }

    /// The foreign keys `version` owns in the target: (table, column, parent, name).
    fn owned_foreign_keys(
        &self,
        version: &str,
    ) -> Vec<(&'static str, &'static str, &'static str, String)> {
        let mut out = Vec::new();
        for t in &self.targets {
            for fk in &t.foreign_keys {
                if target::owner(t.name, &fk.name) == version {
                    out.push((t.name, fk.column, fk.target, fk.name.clone()));
                }
            }
        }
        out
    }
}
