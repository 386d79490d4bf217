//! The DDL of the plan's repairs, generated from the target definition.

use sea_orm_migration::sea_orm::{DbBackend, Statement};

use super::Repair;
use crate::target;

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
