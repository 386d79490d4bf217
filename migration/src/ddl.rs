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
