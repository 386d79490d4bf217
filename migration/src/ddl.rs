//! Small builders for the DDL the migrations share: column types per backend
//! (schema.md §2.1), production-style index and foreign-key names, and statement
//! helpers. Migrations name tables and columns with string literals, never with
//! entity idents, so an old migration keeps its meaning when an entity changes.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

/// `text NOT NULL PRIMARY KEY` (PostgreSQL names the constraint `<table>_pkey`).
pub fn id() -> ColumnDef {
    ColumnDef::new("id").text().not_null().primary_key().take()
}

pub fn text(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).text().not_null().take()
}

pub fn text_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).text().null().take()
}

pub fn text_default(name: &'static str, default: &'static str) -> ColumnDef {
    ColumnDef::new(name)
        .text()
        .not_null()
        .default(default)
        .take()
}

pub fn int(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).integer().not_null().take()
}

pub fn int_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).integer().null().take()
}

pub fn int_default(name: &'static str, default: i32) -> ColumnDef {
    ColumnDef::new(name)
        .integer()
        .not_null()
        .default(default)
        .take()
}

pub fn double_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).double().null().take()
}

pub fn double_default(name: &'static str, default: f64) -> ColumnDef {
    ColumnDef::new(name)
        .double()
        .not_null()
        .default(default)
        .take()
}

pub fn bool_default(name: &'static str, default: bool) -> ColumnDef {
    ColumnDef::new(name)
        .boolean()
        .not_null()
        .default(default)
        .take()
}

/// `timestamp(3)` on PostgreSQL, `DATETIME(3)` on MySQL, text affinity on SQLite.
/// sea-query's generic timestamp would be precision 6 on PostgreSQL (schema.md §2.2).
fn timestamp(backend: DbBackend, name: &'static str) -> ColumnDef {
    let mut col = ColumnDef::new(name);
    match backend {
        DbBackend::Postgres => col.custom("timestamp(3)"),
        DbBackend::MySql => col.custom("DATETIME(3)"),
        _ => col.timestamp(),
    };
    col
}

pub fn ts(backend: DbBackend, name: &'static str) -> ColumnDef {
    timestamp(backend, name).not_null().take()
}

pub fn ts_null(backend: DbBackend, name: &'static str) -> ColumnDef {
    timestamp(backend, name).null().take()
}

/// `NOT NULL DEFAULT CURRENT_TIMESTAMP`: kept for other writers; the service always
/// writes the value itself (schema.md §2.4).
pub fn ts_now(backend: DbBackend, name: &'static str) -> ColumnDef {
    timestamp(backend, name)
        .not_null()
        .default(Expr::current_timestamp())
        .take()
}

/// A nullable list of text: `text[]` on PostgreSQL, JSON text elsewhere (sea-query
/// has no arrays on SQLite).
pub fn text_list(backend: DbBackend, name: &'static str) -> ColumnDef {
    let mut col = ColumnDef::new(name);
    match backend {
        DbBackend::Postgres => col.array(ColumnType::Text),
        _ => col.json(),
    };
    col.null().take()
}

/// A JSON document: `jsonb` on PostgreSQL, text-affinity JSON on SQLite.
pub fn jsonb(backend: DbBackend, name: &'static str) -> ColumnDef {
    let mut col = ColumnDef::new(name);
    match backend {
        DbBackend::Sqlite => col.json(),
        _ => col.json_binary(),
    };
    col.not_null().take()
}

/// A foreign key named `<table>_<column>_fkey`, ON UPDATE CASCADE like every FK here.
pub fn fk(
    table: &'static str,
    column: &'static str,
    target: &'static str,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("{table}_{column}_fkey"))
        .from(table, column)
        .to(target, "id")
        .on_delete(on_delete)
        .on_update(ForeignKeyAction::Cascade)
        .take()
}

/// A key column of an index; `desc` for a descending key.
pub type Key = (&'static str, bool);

pub const fn asc(col: &'static str) -> Key {
    (col, false)
}

pub const fn desc(col: &'static str) -> Key {
    (col, true)
}

fn index_name(table: &str, keys: &[Key], suffix: &str) -> String {
    let cols: Vec<&str> = keys.iter().map(|(c, _)| *c).collect();
    format!("{table}_{}_{suffix}", cols.join("_"))
}

fn index_on(name: String, table: &'static str, keys: &[Key]) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table);
    for &(col, is_desc) in keys {
        if is_desc {
            index.col((col, IndexOrder::Desc));
        } else {
            index.col(col);
        }
    }
    index
}

/// A plain index named `<table>_<col1>_<col2>…_idx` (Prisma's naming).
pub fn index(table: &'static str, keys: &[Key]) -> IndexCreateStatement {
    index_on(index_name(table, keys, "idx"), table, keys)
}

/// A unique index named `<table>_<col1>_<col2>…_key`.
pub fn unique(table: &'static str, keys: &[Key]) -> IndexCreateStatement {
    index_on(index_name(table, keys, "key"), table, keys)
        .unique()
        .take()
}

pub fn drop_index(table: &'static str, name: &str) -> IndexDropStatement {
    let mut stmt = Index::drop();
    stmt.name(name.to_owned()).table(table);
    stmt
}

pub fn drop_table(table: &'static str) -> TableDropStatement {
    Table::drop().table(table).take()
}

// --- DDL for one object of the target schema (schema.md as data), used by `adopt`
// --- to repair what an existing database lacks.

use crate::target::{self, Action, ColType};

fn action(a: Action) -> ForeignKeyAction {
    match a {
        Action::Cascade => ForeignKeyAction::Cascade,
        Action::SetNull => ForeignKeyAction::SetNull,
        Action::Restrict => ForeignKeyAction::Restrict,
    }
}

/// The column as the target defines it, typed for `backend`.
pub fn target_column(backend: DbBackend, col: &target::Column) -> ColumnDef {
    let name = col.name;
    let mut def = match col.ty {
        ColType::Text => ColumnDef::new(name).text().take(),
        ColType::Int => ColumnDef::new(name).integer().take(),
        ColType::Double => ColumnDef::new(name).double().take(),
        ColType::Bool => ColumnDef::new(name).boolean().take(),
        ColType::Timestamp => timestamp(backend, name),
        ColType::Jsonb => jsonb(backend, name),
        ColType::TextList => text_list(backend, name),
    };
    if col.nullable {
        def.null();
    } else {
        def.not_null();
    }
    match &col.default {
        None => {}
        Some(target::Default::Text(v)) => {
            def.default(*v);
        }
        Some(target::Default::Int(v)) => {
            def.default(*v);
        }
        Some(target::Default::Float(v)) => {
            def.default(*v);
        }
        Some(target::Default::Bool(v)) => {
            def.default(*v);
        }
        Some(target::Default::Now) => {
            def.default(Expr::current_timestamp());
        }
    }
    if name == "id" {
        def.primary_key();
    }
    def
}

/// The SQL condition of a target partial index, from its normalized predicate.
fn predicate(normalized: &str) -> Option<Expr> {
    match normalized {
        "type='refund'" => Some(Expr::col("type").eq("refund")),
        "statusin('queued','running')" => Some(Expr::col("status").is_in(["queued", "running"])),
        _ => None,
    }
}

/// CREATE INDEX for a target index; `None` when the backend does not have it (GIN
/// outside PostgreSQL) or its predicate is unknown.
pub fn target_index(
    backend: DbBackend,
    table: &'static str,
    index: &target::Index,
) -> Option<IndexCreateStatement> {
    if index.method == target::Method::Gin && backend != DbBackend::Postgres {
        return None;
    }
    let mut stmt = Index::create();
    stmt.name(index.name.clone()).table(table);
    for &(col, is_desc) in &index.keys {
        if is_desc {
            stmt.col((col, IndexOrder::Desc));
        } else {
            stmt.col(col);
        }
    }
    if index.unique {
        stmt.unique();
    }
    if index.method == target::Method::Gin {
        stmt.full_text();
    }
    if let Some(p) = index.predicate {
        stmt.and_where(predicate(p)?);
    }
    Some(stmt)
}

/// ALTER TABLE … ADD CONSTRAINT for a target foreign key.
pub fn target_foreign_key(
    table: &'static str,
    fk: &target::ForeignKey,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(fk.name.clone())
        .from(table, fk.column)
        .to(fk.target, "id")
        .on_delete(action(fk.on_delete))
        .on_update(action(fk.on_update))
        .take()
}

/// CREATE TABLE with the columns and foreign keys of `table` that `migration` owns.
pub fn target_table(
    backend: DbBackend,
    table: &target::Table,
    migration: &str,
) -> TableCreateStatement {
    let mut stmt = Table::create();
    stmt.table(table.name);
    for col in &table.columns {
        if target::owner(table.name, col.name) == migration {
            stmt.col(target_column(backend, col));
        }
    }
    for fk in &table.foreign_keys {
        if target::owner(table.name, &fk.name) == migration {
            stmt.foreign_key(&mut target_foreign_key(table.name, fk));
        }
    }
    stmt
}
