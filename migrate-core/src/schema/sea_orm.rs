//! sea-orm 2.x entities as declared models (feature `sea-orm`): [`Entity<E>`] is the
//! [`Model`] of a sea-orm entity, read through sea-orm's own schema builder
//! (`Schema::create_table_from_entity`, `Schema::create_index_from_entity`) and
//! [`table_def_from_sea_query`]. List it in the migrations crate:
//! `migrate_macros::migrations!(models = [Entity<post::Entity>, Entity<comment::Entity>])`.
//!
//! ```
//! use migrate_core::schema::declare::{ColumnType, Model};
//! use migrate_core::schema::sea_orm::Entity;
//!
//! mod post {
//!     use sea_orm::entity::prelude::*;
//!
//!     #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
//!     #[sea_orm(table_name = "post")]
//!     pub struct Model {
//!         #[sea_orm(primary_key)]
//!         pub id: i32,
//!         #[sea_orm(unique)]
//!         pub slug: String,
//!         pub body: Option<String>,
//!     }
//!
//!     #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
//!     pub enum Relation {}
//!
//!     impl ActiveModelBehavior for ActiveModel {}
//! }
//!
//! let table = <Entity<post::Entity> as Model>::table();
//! assert_eq!(table.name, "post");
//! assert_eq!(table.primary_key, ["id"]);
//! assert!(table.get_column("id").unwrap().auto_increment);
//! assert_eq!(table.get_column("slug").unwrap().ty, ColumnType::Varchar(255));
//! assert!(table.get_column("body").unwrap().nullable);
//! assert_eq!(table.uniques[0].columns, ["slug"]);
//! ```
//!
//! The entity is built with sea-orm's SQLite backend, the one on which sea-orm keeps an
//! `ActiveEnum` column an enumeration (its PostgreSQL and MySQL builders turn it into a type
//! name or an inline `ENUM(…)`), so an enum column becomes a [`ColumnType::Enum`] and each
//! backend renders it as for `#[derive(migrate_macros::DbEnum)]`. sea-orm's `String` without a
//! length is `VARCHAR(255)` (see [`table_def_from_sea_query`] for every type);
//! `#[sea_orm(renamed_from = "…")]` becomes the column's former name.
//!
//! [`ColumnType::Enum`]: super::declare::ColumnType::Enum

use std::marker::PhantomData;

use sea_orm::{DbBackend, EntityTrait, Schema};

use super::declare::{Model, TableDef};
use super::sea::{SeaQueryError, table_def_from_sea_query};

/// The declared table of the sea-orm entity `E` (`Entity<post::Entity>`), or why it cannot be
/// read.
///
/// # Errors
/// A [`SeaQueryError`] naming the table and column, for what sea-orm's statement holds that a
/// declared table cannot (a schema-qualified table, an `extra` column clause, …).
pub fn table_def_from_entity<E: EntityTrait + Default>() -> Result<TableDef, SeaQueryError> {
    let schema = Schema::new(DbBackend::Sqlite);
    let table = schema.create_table_from_entity(E::default());
    let indexes = schema.create_index_from_entity(E::default());
    table_def_from_sea_query(&table, &indexes)
}

/// The [`Model`] of the sea-orm entity `E`: list `Entity<post::Entity>` in
/// `migrate_macros::migrations!(models = [...])`. A type-level wrapper, never constructed.
pub struct Entity<E>(PhantomData<E>);

impl<E: EntityTrait + Default> Model for Entity<E> {
    /// [`table_def_from_entity`].
    ///
    /// # Panics
    /// If the entity cannot be read (the [`SeaQueryError`]'s message names the table and
    /// column), on the first load of the models by the migrations crate.
    fn table() -> TableDef {
        match table_def_from_entity::<E>() {
            Ok(table) => table,
            Err(e) => panic!("{e}"),
        }
    }
}
