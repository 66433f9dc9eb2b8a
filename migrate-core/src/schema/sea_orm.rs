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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::declare::{ColumnDef, ColumnType, EnumDef, ForeignKeyDef, IndexDef};
    use crate::schema::model::FkAction;

    mod author {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "author")]
        pub struct Model {
            #[sea_orm(primary_key)]
            pub id: i64,
            #[sea_orm(unique, column_type = "String(StringLen::N(120))")]
            pub email: String,
            #[sea_orm(renamed_from = "display_name")]
            pub name: String,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {
            #[sea_orm(has_many = "super::post::Entity")]
            Post,
        }

        impl Related<super::post::Entity> for Entity {
            fn to() -> RelationDef {
                Relation::Post.def()
            }
        }

        impl ActiveModelBehavior for ActiveModel {}
    }

    mod post {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
        #[sea_orm(rs_type = "String", db_type = "Enum", enum_name = "post_state")]
        pub enum State {
            #[sea_orm(string_value = "draft")]
            Draft,
            #[sea_orm(string_value = "published")]
            Published,
        }

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "post")]
        pub struct Model {
            #[sea_orm(primary_key)]
            pub id: i32,
            #[sea_orm(indexed)]
            pub author_id: i64,
            pub title: String,
            #[sea_orm(column_type = "Text", nullable)]
            pub body: Option<String>,
            #[sea_orm(default_value = 0)]
            pub views: i32,
            pub score: f64,
            pub flagged: bool,
            pub state: State,
            #[sea_orm(unique_key = "slot")]
            pub section: i16,
            #[sea_orm(unique_key = "slot")]
            pub position: i16,
            // (a String here: sea-orm's date/time types need its `with-time`/`with-chrono`)
            #[sea_orm(
                column_type = "TimestampWithTimeZone",
                default_expr = "Expr::current_timestamp()"
            )]
            pub created_at: String,
            pub payload: Vec<u8>,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {
            #[sea_orm(
                belongs_to = "super::author::Entity",
                from = "Column::AuthorId",
                to = "super::author::Column::Id",
                on_delete = "Cascade"
            )]
            Author,
        }

        impl Related<super::author::Entity> for Entity {
            fn to() -> RelationDef {
                Relation::Author.def()
            }
        }

        impl ActiveModelBehavior for ActiveModel {}
    }

    mod tag_link {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "tag_link")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub post_id: i32,
            #[sea_orm(primary_key, auto_increment = false)]
            pub tag: String,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    #[test]
    fn an_entity_is_a_declared_table() {
        let author = <Entity<author::Entity> as Model>::table();
        let expected = TableDef::new("author")
            .column(ColumnDef::new("id", ColumnType::BigInt).auto_increment())
            .column(ColumnDef::new("email", ColumnType::Varchar(120)))
            .column(ColumnDef::new("name", ColumnType::Varchar(255)).renamed_from("display_name"))
            .primary_key(["id"])
            .unique(None, ["email"]);
        assert_eq!(author, expected);

        let post = <Entity<post::Entity> as Model>::table();
        let expected = TableDef::new("post")
            .column(ColumnDef::new("id", ColumnType::Integer).auto_increment())
            .column(ColumnDef::new("author_id", ColumnType::BigInt))
            .column(ColumnDef::new("title", ColumnType::Varchar(255)))
            .column(ColumnDef::new("body", ColumnType::Text).nullable(true))
            .column(ColumnDef::new("views", ColumnType::Integer).default("0"))
            .column(ColumnDef::new("score", ColumnType::Double))
            .column(ColumnDef::new("flagged", ColumnType::Boolean))
            .column(ColumnDef::new(
                "state",
                ColumnType::Enum(EnumDef::new("post_state", ["draft", "published"])),
            ))
            .column(ColumnDef::new("section", ColumnType::SmallInt))
            .column(ColumnDef::new("position", ColumnType::SmallInt))
            .column(
                ColumnDef::new("created_at", ColumnType::TimestampTz).default("CURRENT_TIMESTAMP"),
            )
            .column(ColumnDef::new("payload", ColumnType::Blob))
            .primary_key(["id"])
            .foreign_key(
                ForeignKeyDef::new(["author_id"], "author", ["id"])
                    .name("fk-post-author_id")
                    .on_delete(FkAction::Cascade),
            );
        let mut expected = expected;
        expected.indexes = vec![
            IndexDef {
                name: "idx-post-author_id".into(),
                columns: vec!["author_id".into()],
                unique: false,
            },
            IndexDef {
                name: "idx-post-slot".into(),
                columns: vec!["section".into(), "position".into()],
                unique: true,
            },
        ];
        assert_eq!(post, expected);

        let link = table_def_from_entity::<tag_link::Entity>().unwrap();
        assert_eq!(link.primary_key, ["post_id", "tag"]);
        assert!(
            link.columns
                .iter()
                .all(|c| !c.auto_increment && !c.nullable)
        );
    }
}
