//! Reads the live schema from the database catalog (PostgreSQL `pg_catalog`, SQLite
//! pragmas) and compares one table with its [`target`](crate::target) definition.

use sea_orm_migration::sea_orm::{
    ConnectionTrait, DbBackend, DbErr, QueryResult, Statement, Value,
};

use crate::target::{self, Action};

#[derive(Clone, Debug, PartialEq)]
pub struct LiveColumn {
    pub name: String,
    /// `format_type()` on PostgreSQL, the declared type (lowercase) on SQLite.
    pub data_type: String,
    pub nullable: bool,
    /// The default expression as the catalog prints it.
    pub default: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LiveIndex {
    pub name: String,
    pub keys: Vec<(String, bool)>,
    pub unique: bool,
    pub primary: bool,
    pub method: String,
    pub predicate: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LiveForeignKey {
    /// SQLite keeps no constraint names.
    pub name: Option<String>,
    pub column: String,
    pub target: String,
    pub target_column: String,
    pub on_delete: Action,
    pub on_update: Action,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LiveTable {
    pub name: String,
    pub columns: Vec<LiveColumn>,
    pub indexes: Vec<LiveIndex>,
    pub foreign_keys: Vec<LiveForeignKey>,
}

async fn rows<C: ConnectionTrait>(
    db: &C,
    sql: &str,
    values: Vec<Value>,
) -> Result<Vec<QueryResult>, DbErr> {
    let backend = db.get_database_backend();
    db.query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await
}

/// Names of the tables in the current schema (PostgreSQL) or database (SQLite).
pub async fn table_names<C: ConnectionTrait>(db: &C) -> Result<Vec<String>, DbErr> {
    let sql = match db.get_database_backend() {
        DbBackend::Postgres => {
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1"
        }
        DbBackend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY 1"
        }
        other => return Err(unsupported(other)),
    };
    rows(db, sql, vec![])
        .await?
        .iter()
        .map(|r| r.try_get_by_index::<String>(0))
        .collect()
}

fn unsupported(backend: DbBackend) -> DbErr {
    DbErr::Custom(format!(
        "schema inspection is not implemented for {backend:?}"
    ))
}

/// Every (table, column) pair of the current schema, in one query.
pub async fn columns_by_table<C: ConnectionTrait>(db: &C) -> Result<Vec<(String, String)>, DbErr> {
    let sql = match db.get_database_backend() {
        DbBackend::Postgres => {
            "SELECT table_name::text, column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema()"
        }
        DbBackend::Sqlite => {
            "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table'"
        }
        other => return Err(unsupported(other)),
    };
    rows(db, sql, vec![])
        .await?
        .iter()
        .map(|r| Ok((r.try_get_by_index(0)?, r.try_get_by_index(1)?)))
        .collect()
}

/// The live definition of `table`, or `None` when it does not exist.
pub async fn table<C: ConnectionTrait>(db: &C, table: &str) -> Result<Option<LiveTable>, DbErr> {
    if !table_names(db).await?.iter().any(|t| t == table) {
        return Ok(None);
    }
    let live = match db.get_database_backend() {
        DbBackend::Postgres => postgres_tables(db, &[table.to_owned()], Some(table))
            .await?
            .pop(),
        DbBackend::Sqlite => Some(sqlite_table(db, table).await?),
        other => return Err(unsupported(other)),
    };
    Ok(live)
}

/// The live definition of every table of the current schema (PostgreSQL) or database
/// (SQLite), by name. On PostgreSQL in four queries whatever the number of tables: the
/// schema check runs at every start and readiness refresh, where a round trip per
/// table and aspect added up to a hundred milliseconds.
pub async fn tables<C: ConnectionTrait>(db: &C) -> Result<Vec<LiveTable>, DbErr> {
    let names = table_names(db).await?;
    match db.get_database_backend() {
        DbBackend::Postgres => postgres_tables(db, &names, None).await,
        DbBackend::Sqlite => {
            let mut tables = Vec::with_capacity(names.len());
            for name in &names {
                tables.push(sqlite_table(db, name).await?);
            }
            Ok(tables)
        }
        other => Err(unsupported(other)),
    }
}

/// The tables `names` (all in the current schema), read with one query per aspect over
/// the schema, or over the one table `only`.
async fn postgres_tables<C: ConnectionTrait>(
    db: &C,
    names: &[String],
    only: Option<&str>,
) -> Result<Vec<LiveTable>, DbErr> {
    let mut tables: Vec<LiveTable> = names
        .iter()
        .map(|name| LiveTable {
            name: name.clone(),
            columns: Vec::new(),
            indexes: Vec::new(),
            foreign_keys: Vec::new(),
        })
        .collect();
    let filter = || vec![Value::from(only.map(str::to_owned))];

    let column_rows = rows(
        db,
        r#"SELECT t.relname::text, a.attname::text, format_type(a.atttypid, a.atttypmod),
                  NOT a.attnotnull, pg_get_expr(d.adbin, d.adrelid)
           FROM pg_attribute a
           JOIN pg_class t ON t.oid = a.attrelid
           JOIN pg_namespace n ON n.oid = t.relnamespace
           LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
           WHERE n.nspname = current_schema() AND t.relkind IN ('r', 'p')
             AND ($1::text IS NULL OR t.relname = $1)
             AND a.attnum > 0 AND NOT a.attisdropped
           ORDER BY t.relname, a.attnum"#,
        filter(),
    )
    .await?;
    for r in &column_rows {
        let Some(table) = table_of_row(&mut tables, r)? else {
            continue;
        };
        table.columns.push(LiveColumn {
            name: r.try_get_by_index(1)?,
            data_type: r.try_get_by_index(2)?,
            nullable: r.try_get_by_index(3)?,
            default: r.try_get_by_index(4)?,
        });
    }

    let key_rows = rows(
        db,
        r#"SELECT t.relname::text, i.relname::text, ix.indisunique, ix.indisprimary,
                  am.amname::text, pg_get_expr(ix.indpred, ix.indrelid), a.attname::text,
                  (ix.indoption[k.ord - 1] & 1) = 1
           FROM pg_index ix
           JOIN pg_class i ON i.oid = ix.indexrelid
           JOIN pg_class t ON t.oid = ix.indrelid
           JOIN pg_namespace n ON n.oid = t.relnamespace
           JOIN pg_am am ON am.oid = i.relam
           CROSS JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord)
           JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
           WHERE n.nspname = current_schema() AND ix.indisvalid
             AND ($1::text IS NULL OR t.relname = $1)
           ORDER BY t.relname, i.relname, k.ord"#,
        filter(),
    )
    .await?;
    for r in &key_rows {
        let Some(table) = table_of_row(&mut tables, r)? else {
            continue;
        };
        let indexes = &mut table.indexes;
        let index_name: String = r.try_get_by_index(1)?;
        let key = (
            r.try_get_by_index::<String>(6)?,
            r.try_get_by_index::<bool>(7)?,
        );
        match indexes.last_mut() {
            Some(last) if last.name == index_name => last.keys.push(key),
            _ => indexes.push(LiveIndex {
                name: index_name,
                unique: r.try_get_by_index(2)?,
                primary: r.try_get_by_index(3)?,
                method: r.try_get_by_index(4)?,
                predicate: r.try_get_by_index(5)?,
                keys: vec![key],
            }),
        }
    }

    let foreign_key_rows = rows(
        db,
        r#"SELECT t.relname::text, c.conname::text, a.attname::text, rt.relname::text,
                  ra.attname::text, c.confdeltype::text, c.confupdtype::text
           FROM pg_constraint c
           JOIN pg_class t ON t.oid = c.conrelid
           JOIN pg_namespace n ON n.oid = t.relnamespace
           JOIN pg_class rt ON rt.oid = c.confrelid
           JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
           JOIN pg_attribute ra ON ra.attrelid = c.confrelid AND ra.attnum = c.confkey[1]
           WHERE c.contype = 'f' AND n.nspname = current_schema()
             AND ($1::text IS NULL OR t.relname = $1)
           ORDER BY t.relname, c.conname"#,
        filter(),
    )
    .await?;
    for r in &foreign_key_rows {
        let Some(table) = table_of_row(&mut tables, r)? else {
            continue;
        };
        table.foreign_keys.push(LiveForeignKey {
            name: Some(r.try_get_by_index(1)?),
            column: r.try_get_by_index(2)?,
            target: r.try_get_by_index(3)?,
            target_column: r.try_get_by_index(4)?,
            on_delete: postgres_action(&r.try_get_by_index::<String>(5)?),
            on_update: postgres_action(&r.try_get_by_index::<String>(6)?),
        });
    }
    Ok(tables)
}

/// The table a catalog row belongs to (its first column names it), when it is one of
/// `tables`.
fn table_of_row<'a>(
    tables: &'a mut [LiveTable],
    row: &QueryResult,
) -> Result<Option<&'a mut LiveTable>, DbErr> {
    let name: String = row.try_get_by_index(0)?;
    Ok(tables.iter_mut().find(|t| t.name == name))
}

fn postgres_action(code: &str) -> Action {
    match code {
        "c" => Action::Cascade,
        "n" => Action::SetNull,
        // `a` (NO ACTION) and `r` (RESTRICT) both reject the delete.
        _ => Action::Restrict,
    }
}

fn sqlite_action(text: &str) -> Action {
    match text.to_ascii_uppercase().as_str() {
        "CASCADE" => Action::Cascade,
        "SET NULL" => Action::SetNull,
        _ => Action::Restrict,
    }
}

fn sqlite_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

async fn sqlite_table<C: ConnectionTrait>(db: &C, table: &str) -> Result<LiveTable, DbErr> {
    let quoted = sqlite_ident(table);
    let columns = rows(db, &format!("PRAGMA table_info({quoted})"), vec![])
        .await?
        .iter()
        .map(|r| {
            let notnull: i32 = r.try_get("", "notnull")?;
            let pk: i32 = r.try_get("", "pk")?;
            Ok(LiveColumn {
                name: r.try_get("", "name")?,
                data_type: r.try_get::<String>("", "type")?.to_lowercase(),
                nullable: notnull == 0 && pk == 0,
                default: r.try_get("", "dflt_value")?,
            })
        })
        .collect::<Result<Vec<_>, DbErr>>()?;

    let mut indexes = Vec::new();
    for r in rows(db, &format!("PRAGMA index_list({quoted})"), vec![]).await? {
        let name: String = r.try_get("", "name")?;
        let origin: String = r.try_get("", "origin")?;
        let unique: i32 = r.try_get("", "unique")?;
        let partial: i32 = r.try_get("", "partial")?;
        let mut keys = Vec::new();
        for k in rows(
            db,
            &format!("PRAGMA index_xinfo({})", sqlite_ident(&name)),
            vec![],
        )
        .await?
        {
            let is_key: i32 = k.try_get("", "key")?;
            if is_key == 1 {
                let desc: i32 = k.try_get("", "desc")?;
                keys.push((
                    k.try_get::<Option<String>>("", "name")?.unwrap_or_default(),
                    desc == 1,
                ));
            }
        }
        let predicate = if partial == 1 {
            let sql = rows(
                db,
                "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?",
                vec![Value::from(name.clone())],
            )
            .await?
            .first()
            .map(|r| r.try_get_by_index::<String>(0))
            .transpose()?
            .unwrap_or_default();
            sql.rfind(" WHERE ")
                .map(|at| sql[at + 7..].trim().to_owned())
        } else {
            None
        };
        indexes.push(LiveIndex {
            name,
            keys,
            unique: unique == 1,
            primary: origin == "pk",
            method: "btree".into(),
            predicate,
        });
    }
    indexes.sort_by(|a, b| a.name.cmp(&b.name));

    let foreign_keys = rows(db, &format!("PRAGMA foreign_key_list({quoted})"), vec![])
        .await?
        .iter()
        .map(|r| {
            Ok(LiveForeignKey {
                name: None,
                column: r.try_get("", "from")?,
                target: r.try_get("", "table")?,
                target_column: r.try_get::<Option<String>>("", "to")?.unwrap_or_default(),
                on_delete: sqlite_action(&r.try_get::<String>("", "on_delete")?),
                on_update: sqlite_action(&r.try_get::<String>("", "on_update")?),
            })
        })
        .collect::<Result<Vec<_>, DbErr>>()?;

    Ok(LiveTable {
        name: table.to_owned(),
        columns,
        indexes,
        foreign_keys,
    })
}

/// A default expression as the catalog prints it, parsed to a comparable value.
#[derive(Clone, Debug, PartialEq)]
pub enum LiveDefault {
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Now,
    Other(String),
}

/// Parses a default expression as PostgreSQL or SQLite prints it.
pub fn parse_default(raw: &str) -> LiveDefault {
    let s = raw.trim();
    let upper = s.to_ascii_uppercase();
    if upper == "CURRENT_TIMESTAMP" || upper.starts_with("CURRENT_TIMESTAMP(") || upper == "NOW()" {
        return LiveDefault::Now;
    }
    match upper.as_str() {
        "TRUE" => return LiveDefault::Bool(true),
        "FALSE" => return LiveDefault::Bool(false),
        _ => {}
    }
    let unquoted = s.split("::").next().unwrap_or(s).trim();
    if let Some(text) = unquoted
        .strip_prefix('\'')
        .and_then(|t| t.strip_suffix('\''))
    {
        return LiveDefault::Text(text.replace("''", "'"));
    }
    let number = unquoted.trim_start_matches('(').trim_end_matches(')');
    if let Ok(i) = number.parse::<i64>() {
        return LiveDefault::Int(i);
    }
    match number.parse::<f64>() {
        Ok(f) => LiveDefault::Float(f),
        Err(_) => LiveDefault::Other(s.to_owned()),
    }
}

/// Value equality: `0` matches a double default of `0.0`, and `1`/`0` a boolean.
pub fn default_matches(expected: &Option<target::Default>, found: &Option<String>) -> bool {
    use target::Default as D;
    match (expected, found.as_deref().map(parse_default)) {
        (None, None) => true,
        (Some(D::Text(e)), Some(LiveDefault::Text(f))) => *e == f,
        (Some(D::Int(e)), Some(LiveDefault::Int(f))) => *e == f,
        (Some(D::Float(e)), Some(LiveDefault::Float(f))) => *e == f,
        (Some(D::Float(e)), Some(LiveDefault::Int(f))) => *e == f as f64,
        (Some(D::Bool(e)), Some(LiveDefault::Bool(f))) => *e == f,
        (Some(D::Bool(e)), Some(LiveDefault::Int(f))) => i64::from(*e) == f,
        (Some(D::Now), Some(LiveDefault::Now)) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::Default as D;

    #[test]
    fn defaults_parse_from_both_catalogs() {
        assert_eq!(
            parse_default("'user'::text"),
            LiveDefault::Text("user".into())
        );
        assert_eq!(parse_default("'user'"), LiveDefault::Text("user".into()));
        assert_eq!(parse_default("1073741824"), LiveDefault::Int(1_073_741_824));
        assert_eq!(parse_default("0.75"), LiveDefault::Float(0.75));
        assert_eq!(parse_default("false"), LiveDefault::Bool(false));
        assert_eq!(parse_default("TRUE"), LiveDefault::Bool(true));
        assert_eq!(parse_default("CURRENT_TIMESTAMP"), LiveDefault::Now);
        assert_eq!(parse_default("'{}'::text"), LiveDefault::Text("{}".into()));
        assert_eq!(
            parse_default("nextval('x')"),
            LiveDefault::Other("nextval('x')".into())
        );
    }

    #[test]
    fn equivalent_defaults_match_and_different_ones_do_not() {
        assert!(default_matches(&Some(D::Float(0.0)), &Some("0".into())));
        assert!(default_matches(&Some(D::Bool(true)), &Some("1".into())));
        assert!(default_matches(
            &Some(D::Text("payg")),
            &Some("'payg'::text".into())
        ));
        assert!(!default_matches(&Some(D::Int(3)), &Some("4".into())));
        assert!(!default_matches(&None, &Some("4".into())));
        assert!(!default_matches(&Some(D::Now), &None));
    }
}
