//! Which lock each DDL statement takes on PostgreSQL, and how the deploy runs it so that
//! the application never queues behind it (deploy-safety.md R11, the strong_migrations
//! and GitLab migration-helper rules):
//!
//! - every statement runs under `lock_timeout` (`DEPLOY_LOCK_TIMEOUT`, default 2 s): a
//!   DDL statement waiting for its lock makes every later query of that table wait
//!   behind it, so it must give up quickly and retry later, not wait for minutes;
//! - an index on a table that already holds rows is built `CONCURRENTLY`, outside the
//!   transaction (a plain build blocks writes for the whole build);
//! - a foreign key on a table that holds rows is added `NOT VALID` (brief lock, no
//!   scan) and validated by a separate `VALIDATE CONSTRAINT`, which lets writes go on;
//! - a column whose default is volatile would rewrite the whole table under an
//!   exclusive lock: refused on a table that holds rows.
//!
//! [`classify`] turns the statements of one step into what runs and in which phase;
//! `migration plan` prints the same lock and cost lines before each statement.

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

/// How DDL statements wait for their locks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DdlLocks {
    /// `lock_timeout` of every statement of the deploy (`DEPLOY_LOCK_TIMEOUT`).
    pub timeout: Duration,
    /// How many times a step that hit `lock_timeout` is tried again
    /// (`DEPLOY_LOCK_RETRIES`), with a growing pause in between.
    pub retries: u32,
    /// Measurement only: `false` runs every statement as written, in the step's
    /// transaction, without `lock_timeout`, to compare against. Honoured only in a
    /// build for the workspace's tests (the `test-hooks` feature); any other build is
    /// always lock-safe.
    pub lock_safe: bool,
}

impl Default for DdlLocks {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(2),
            retries: 3,
            lock_safe: true,
        }
    }
}

impl DdlLocks {
    /// Whether the lock-safe rules apply (always, outside the tests' build).
    pub fn enabled(&self) -> bool {
        self.lock_safe || !cfg!(feature = "test-hooks")
    }

    /// The pause before attempt `attempt` (1-based retry count): 250 ms, 500 ms, 1 s, …
    /// capped at 4 s. Long enough for the queries that queued behind the failed attempt
    /// to run.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let ms = 250u64.saturating_mul(1 << attempt.saturating_sub(1).min(4));
        Duration::from_millis(ms.min(4_000))
    }

    /// The longest a step can spend waiting for locks before it fails: every attempt
    /// waits at most `timeout`, plus the pauses between attempts.
    pub fn worst_wait(&self) -> Duration {
        let pauses: Duration = (1..=self.retries).map(|a| self.backoff(a)).sum();
        self.timeout * (self.retries + 1) + pauses
    }

    /// `lock_timeout` as PostgreSQL reads it; `0` (no timeout) when lock-safety is off.
    pub fn setting(&self) -> String {
        if self.enabled() {
            format!("{}ms", self.timeout.as_millis().max(1))
        } else {
            "0".into()
        }
    }
}

/// When a statement runs within its step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// In the step's transaction, with its ledger row when nothing follows.
    Transaction,
    /// `CREATE INDEX CONCURRENTLY`, after the transaction committed; checked valid.
    Concurrently,
    /// `VALIDATE CONSTRAINT`, after the transaction committed.
    Validate,
}

/// What a statement costs the table it touches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cost {
    /// Catalog change only.
    Instant,
    /// Reads every row (an index build, a validation, a NOT NULL check).
    Scans,
    /// Writes a new copy of the table.
    Rewrites,
}

/// One statement as the deploy runs it.
#[derive(Clone, Debug)]
pub struct Ddl {
    pub sql: String,
    pub phase: Phase,
    /// The lock mode on the main table, the table, and what it blocks while held.
    pub mode: &'static str,
    pub table: Option<String>,
    pub blocks: &'static str,
    /// A second table locked (the referenced table of a foreign key), with its mode.
    pub also: Option<(&'static str, String)>,
    pub cost: Cost,
    /// Rows of the main table when the step was classified (`None`: a new table).
    pub rows: Option<i64>,
    /// `CREATE INDEX CONCURRENTLY`: the index name (checked `indisvalid`, dropped when
    /// a failed build left it invalid).
    pub index: Option<String>,
}

impl fmt::Display for Ddl {
    /// The `-- lock:` line `migration plan` prints before the statement.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "-- lock: {}", self.mode)?;
        if let Some(t) = &self.table {
            write!(f, " on \"{t}\"")?;
            match self.rows {
                Some(0) => write!(f, " (empty)")?,
                Some(n) => write!(f, " (≈{n} rows)")?,
                None => write!(f, " (new)")?,
            }
        }
        write!(f, ": {}", self.blocks)?;
        if let Some((mode, table)) = &self.also {
            write!(f, "; {mode} on \"{table}\"")?;
        }
        let cost = match self.cost {
            Cost::Instant => "no scan, no rewrite",
            Cost::Scans => "scans the table, no rewrite",
            Cost::Rewrites => "REWRITES the table",
        };
        let phase = match self.phase {
            Phase::Transaction => "",
            Phase::Concurrently => " | after the step's transaction, checked valid",
            Phase::Validate => " | after the step's transaction",
        };
        write!(f, " | {cost}{phase}")
    }
}

/// The identifier in double quotes that follows `keyword` in `sql`.
fn quoted_after(sql: &str, keyword: &str) -> Option<String> {
    let at = sql.find(keyword)? + keyword.len();
    let rest = sql[at..].trim_start();
    let rest = rest.strip_prefix("IF NOT EXISTS ").unwrap_or(rest);
    let rest = rest.strip_prefix("IF EXISTS ").unwrap_or(rest);
    let rest = rest.strip_prefix('"')?;
    let mut out = String::new();
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '"' {
            if chars.peek() == Some(&'"') {
                chars.next();
                out.push('"');
                continue;
            }
            return Some(out);
        }
        out.push(c);
    }
    None
}

/// Every table named after `REFERENCES` (the parents a statement locks).
fn referenced(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = sql;
    while let Some(at) = rest.find("REFERENCES") {
        rest = &rest[at + "REFERENCES".len()..];
        if let Some(t) = quoted_after(rest, "") {
            out.push(t);
        }
    }
    out
}

/// Functions whose value differs per row: a column default calling one makes
/// `ADD COLUMN` rewrite the table (PostgreSQL 11+ stores any other default once).
const VOLATILE: [&str; 8] = [
    "random(",
    "clock_timestamp(",
    "timeofday(",
    "gen_random_uuid(",
    "uuid_generate_v1(",
    "uuid_generate_v4(",
    "nextval(",
    "txid_current(",
];

fn volatile_default(sql: &str) -> bool {
    let lower = sql.to_ascii_lowercase();
    lower
        .find(" default ")
        .is_some_and(|at| VOLATILE.iter().any(|f| lower[at..].contains(f)))
}

/// The tables whose row counts [`classify`] needs for these statements.
pub fn tables_touched(statements: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for sql in statements {
        let t = if sql.starts_with("CREATE INDEX") || sql.starts_with("CREATE UNIQUE INDEX") {
            quoted_after(sql, " ON ")
        } else if sql.starts_with("ALTER TABLE") {
            quoted_after(sql, "ALTER TABLE")
        } else {
            None
        };
        if let Some(t) = t
            && !out.contains(&t)
        {
            out.push(t);
        }
    }
    out
}

/// How a step's statements run (see the module docs). `rows` holds the row count of
/// every existing table the statements touch; a table missing from it is created by
/// the step itself, so it is empty. `Err` names a statement that would rewrite a table
/// holding rows, which the deploy refuses before any SQL.
pub fn classify(
    statements: &[String],
    rows: &HashMap<String, i64>,
    lock_safe: bool,
) -> Result<Vec<Ddl>, String> {
    let holds_rows = |table: &Option<String>| {
        table
            .as_ref()
            .and_then(|t| rows.get(t))
            .is_some_and(|n| *n > 0)
    };
    let mut out = Vec::new();
    for sql in statements {
        let ddl = |mode, table: Option<String>, blocks, cost| Ddl {
            sql: sql.clone(),
            phase: Phase::Transaction,
            mode,
            rows: table.as_ref().and_then(|t| rows.get(t).copied()),
            table,
            blocks,
            also: None,
            cost,
            index: None,
        };
        // The phase outside the transaction (a concurrent build, a validation):
        // readers and writers are not blocked, the table is scanned.
        let online = |table| {
            ddl(
                "SHARE UPDATE EXCLUSIVE",
                table,
                "reads and writes go on",
                Cost::Scans,
            )
        };
        let upper = sql.trim_start();
        if upper.starts_with("CREATE INDEX") || upper.starts_with("CREATE UNIQUE INDEX") {
            let table = quoted_after(sql, " ON ");
            let filled = holds_rows(&table);
            if lock_safe && filled && !sql.contains(" CONCURRENTLY ") {
                let concurrent = sql
                    .replacen("CREATE INDEX ", "CREATE INDEX CONCURRENTLY ", 1)
                    .replacen(
                        "CREATE UNIQUE INDEX ",
                        "CREATE UNIQUE INDEX CONCURRENTLY ",
                        1,
                    );
                out.push(Ddl {
                    sql: concurrent,
                    phase: Phase::Concurrently,
                    index: quoted_after(sql, "INDEX "),
                    ..online(table)
                });
            } else {
                let cost = if filled { Cost::Scans } else { Cost::Instant };
                out.push(ddl(
                    "SHARE",
                    table,
                    "blocks writes until the step commits",
                    cost,
                ));
            }
        } else if upper.starts_with("ALTER TABLE") && sql.contains(" FOREIGN KEY ") {
            let table = quoted_after(sql, "ALTER TABLE");
            let parent = referenced(sql).into_iter().next();
            let filled = holds_rows(&table);
            let also = parent.map(|p| ("SHARE ROW EXCLUSIVE", p));
            if lock_safe && filled && !sql.contains("NOT VALID") {
                out.push(Ddl {
                    sql: format!("{sql} NOT VALID"),
                    also: also.clone(),
                    ..ddl(
                        "SHARE ROW EXCLUSIVE",
                        table.clone(),
                        "blocks writes until the step commits",
                        Cost::Instant,
                    )
                });
                let name = quoted_after(sql, "ADD CONSTRAINT").unwrap_or_default();
                let t = table.clone().unwrap_or_default();
                out.push(Ddl {
                    sql: format!(
                        "ALTER TABLE \"{}\" VALIDATE CONSTRAINT \"{}\"",
                        t.replace('"', "\"\""),
                        name.replace('"', "\"\"")
                    ),
                    phase: Phase::Validate,
                    also: also.map(|(_, p)| ("ROW SHARE", p)),
                    ..online(table)
                });
            } else {
                let cost = if filled { Cost::Scans } else { Cost::Instant };
                out.push(Ddl {
                    also,
                    ..ddl(
                        "SHARE ROW EXCLUSIVE",
                        table,
                        "blocks writes until the step commits",
                        cost,
                    )
                });
            }
        } else if upper.starts_with("ALTER TABLE") {
            let table = quoted_after(sql, "ALTER TABLE");
            let filled = holds_rows(&table);
            let cost = if sql.contains(" ADD COLUMN ") && volatile_default(sql) {
                if filled && lock_safe {
                    return Err(format!(
                        "`{sql}` adds a column with a volatile default, which rewrites \"{}\" \
                         ({} rows) under an exclusive lock: add it without the default (or \
                         NULL), then fill it in batches",
                        table.as_deref().unwrap_or("?"),
                        table.as_ref().and_then(|t| rows.get(t)).unwrap_or(&0)
                    ));
                }
                Cost::Rewrites
            } else if sql.contains(" TYPE ") {
                Cost::Rewrites
            } else if sql.contains("SET NOT NULL") && filled {
                Cost::Scans
            } else {
                Cost::Instant
            };
            out.push(ddl(
                "ACCESS EXCLUSIVE",
                table,
                "blocks reads and writes until the step commits",
                cost,
            ));
        } else if upper.starts_with("CREATE TABLE") {
            let table = quoted_after(sql, "CREATE TABLE");
            let parents = referenced(sql);
            out.push(Ddl {
                also: (!parents.is_empty())
                    .then(|| ("SHARE ROW EXCLUSIVE", parents.join("\", \""))),
                rows: None,
                ..ddl(
                    "ACCESS EXCLUSIVE",
                    table,
                    "a new table nobody uses yet",
                    Cost::Instant,
                )
            });
        } else if upper.starts_with("INSERT") || upper.starts_with("UPDATE") {
            out.push(ddl("ROW EXCLUSIVE", None, "row locks only", Cost::Instant));
        } else {
            out.push(ddl(
                "ACCESS EXCLUSIVE",
                quoted_after(sql, "TABLE").or_else(|| quoted_after(sql, "INDEX")),
                "blocks reads and writes until the step commits",
                Cost::Instant,
            ));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(pairs: &[(&str, i64)]) -> HashMap<String, i64> {
        pairs.iter().map(|(t, n)| (t.to_string(), *n)).collect()
    }

    #[test]
    fn an_index_on_a_table_with_rows_is_built_concurrently() {
        let sql = vec![
            r#"CREATE UNIQUE INDEX "credits_x_key" ON "credits" ("x") WHERE "type" = 'refund'"#
                .to_owned(),
        ];
        let out = classify(&sql, &rows(&[("credits", 1_000_000)]), true).unwrap();
        assert_eq!(out[0].phase, Phase::Concurrently);
        assert!(
            out[0]
                .sql
                .starts_with(r#"CREATE UNIQUE INDEX CONCURRENTLY "credits_x_key" ON"#)
        );
        assert_eq!(out[0].index.as_deref(), Some("credits_x_key"));
        assert_eq!(out[0].mode, "SHARE UPDATE EXCLUSIVE");
        // Empty, or lock-safety off: as written, in the transaction.
        let empty = classify(&sql, &rows(&[("credits", 0)]), true).unwrap();
        assert_eq!(
            (empty[0].phase, empty[0].mode),
            (Phase::Transaction, "SHARE")
        );
        let off = classify(&sql, &rows(&[("credits", 5)]), false).unwrap();
        assert_eq!(off[0].sql, sql[0]);
    }

    #[test]
    fn a_foreign_key_on_a_table_with_rows_is_added_not_valid_then_validated() {
        let sql = vec![r#"ALTER TABLE "credits" ADD CONSTRAINT "credits_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE CASCADE"#.to_owned()];
        let out = classify(&sql, &rows(&[("credits", 10)]), true).unwrap();
        assert_eq!(out.len(), 2);
        assert!(
            out[0].sql.ends_with("ON UPDATE CASCADE NOT VALID"),
            "{}",
            out[0].sql
        );
        assert_eq!(out[0].cost, Cost::Instant);
        assert_eq!(
            out[1].sql,
            r#"ALTER TABLE "credits" VALIDATE CONSTRAINT "credits_userId_fkey""#
        );
        assert_eq!(out[1].phase, Phase::Validate);
        assert_eq!(out[1].also, Some(("ROW SHARE", "users".to_owned())));
    }

    #[test]
    fn a_volatile_default_on_a_table_with_rows_is_refused() {
        let sql = vec![r#"ALTER TABLE "users" ADD COLUMN "token" text NOT NULL DEFAULT gen_random_uuid()::text"#.to_owned()];
        let err = classify(&sql, &rows(&[("users", 3)]), true).unwrap_err();
        assert!(err.contains("rewrites \"users\""), "{err}");
        let stable = vec![r#"ALTER TABLE "users" ADD COLUMN "at" timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP"#.to_owned()];
        let out = classify(&stable, &rows(&[("users", 3)]), true).unwrap();
        assert_eq!(out[0].cost, Cost::Instant);
        assert_eq!(out[0].mode, "ACCESS EXCLUSIVE");
    }

    #[test]
    fn plan_lines_say_the_lock_and_the_cost() {
        let sql = vec![r#"CREATE INDEX "credits_type_idx" ON "credits" ("type")"#.to_owned()];
        let out = classify(&sql, &rows(&[("credits", 42)]), true).unwrap();
        assert_eq!(
            out[0].to_string(),
            "-- lock: SHARE UPDATE EXCLUSIVE on \"credits\" (≈42 rows): reads and writes go on \
             | scans the table, no rewrite | after the step's transaction, checked valid"
        );
    }

    #[test]
    fn backoff_grows_and_bounds_the_wait() {
        let d = DdlLocks::default();
        assert_eq!(d.backoff(1), Duration::from_millis(250));
        assert_eq!(d.backoff(2), Duration::from_millis(500));
        assert_eq!(d.backoff(9), Duration::from_secs(4));
        assert_eq!(
            d.worst_wait(),
            Duration::from_millis(8_000 + 250 + 500 + 1_000)
        );
    }
}
