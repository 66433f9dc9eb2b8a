//! `#[derive(Model)]`, `#[derive(DbEnum)]` and `migrations!(models = [...])`: each model's
//! `TableDef` equals the one built by hand with the builders of
//! `migrate_core::schema::declare`, every attribute included.

use migrate_core::schema::declare::{
    ColumnDef, ColumnType, EnumDef, ForeignKeyDef, Model, SqlType, TableDef,
};
use migrate_core::schema::model::FkAction;

/// A stand-in for `rust_decimal::Decimal` (migrate-core's `rust_decimal` feature is not on
/// here): `precision`/`scale` recognise a decimal field by its type's name.
mod money {
    use migrate_core::schema::declare::{ColumnType, SqlType};
    pub struct Decimal;
    impl SqlType for Decimal {
        fn column_type() -> ColumnType {
            ColumnType::Decimal(38, 10)
        }
    }
}

/// A newtype of an integer: `auto_increment` lets unknown paths through.
type Id = i64;

#[derive(Debug, migrate_macros::DbEnum)]
#[allow(dead_code)]
enum Mood {
    Happy,
    VerySad,
}

#[derive(Debug, migrate_macros::DbEnum)]
#[db_enum(name = "post_status", rename_all = "snake_case")]
#[allow(dead_code)]
enum Status {
    Draft,
    InReview,
    #[db_enum(rename = "live")]
    Published,
}

/// The attributes sqlx::Type reads, as the same enum deriving it would carry them.
#[derive(Debug, migrate_macros::DbEnum)]
#[sqlx(type_name = "colour", rename_all = "UPPERCASE")]
#[allow(dead_code)]
enum Colour {
    Red,
    #[sqlx(rename = "dark green")]
    Green,
}

/// `#[repr(i16)]`: sqlx::Type encodes it as the integer.
#[derive(Debug, migrate_macros::DbEnum)]
#[repr(i16)]
#[allow(dead_code)]
enum Priority {
    Low = 1,
    High = 2,
}

#[derive(migrate_macros::Model)]
#[allow(dead_code)]
struct UserProfile {
    #[model(primary_key, auto_increment)]
    id: Id,
    #[model(length = 320, unique, index)]
    email: String,
    nickname: Option<String>,
    mood: Option<Mood>,
}

#[derive(migrate_macros::Model)]
#[model(
    table = "posts",
    renamed_from = "articles",
    renamed_from = "entries",
    index(
        name = "ix_posts_author_created",
        columns("author_id", "created"),
        unique
    ),
    index(columns("title")),
    unique(name = "uq_posts_slug_author", columns("slug", "author")),
    unique(columns("title", "created")),
    check(name = "ck_posts_score", expr = "score >= 0"),
    check(expr = "length(title) > 0")
)]
#[sqlx(rename_all = "camelCase")]
#[allow(dead_code)]
struct Post {
    #[model(primary_key, auto_increment)]
    id: i32,
    #[model(
        column = "author_id",
        references = "user_profile(id)",
        on_delete = "cascade",
        on_update = "SET  NULL"
    )]
    #[sqlx(rename = "author_id")]
    author: i64,
    #[model(
        references = "categories",
        on_delete = "set default",
        index = "ix_posts_cat"
    )]
    category_id: Option<i32>,
    #[model(length = 200, renamed_from = "headline", check = "title <> ''")]
    title: String,
    #[model(sql_type = "citext")]
    slug: Option<String>,
    #[model(default = "'draft'")]
    status: Status,
    #[model(default = 0, check = "score < 1000")]
    score: i64,
    #[model(precision = 10, scale = 2)]
    price: Option<money::Decimal>,
    #[model(precision = 5)]
    ratio: money::Decimal,
    #[model(default = "CURRENT_TIMESTAMP", sql_type = "timestamp")]
    created: String,
    colour: Colour,
    priority: Priority,
    #[sqlx(json)]
    extra: Option<String>,
    #[sqlx(try_from = "i64")]
    views: u64,
    #[model(skip)]
    cached: Vec<String>,
    #[sqlx(skip)]
    also_cached: bool,
    r#type: bool,
    #[sqlx(default)]
    flag_count: i16,
    blob: Vec<u8>,
    small: u8,
    ratio_f: f32,
    ratio_d: f64,
}

/// A composite primary key; a model elsewhere (registered by path).
mod shop {
    #[derive(migrate_macros::Model)]
    #[model(table = "post_tags", primary_key("post_id", "tag"))]
    #[allow(dead_code)]
    pub struct PostTag {
        #[model(references = "posts(id)", on_delete = "restrict")]
        pub post_id: i32,
        #[model(column = "tag", renamed_from = "label")]
        pub tag_name: String,
        #[model(default = -1)]
        pub weight: i8,
    }
}

#[test]
fn a_plain_struct_maps_its_fields_by_type() {
    let expected = TableDef::new("user_profile")
        .column(ColumnDef::new("id", ColumnType::BigInt).auto_increment())
        .column(ColumnDef::new("email", ColumnType::Varchar(320)))
        .column(ColumnDef::new("nickname", ColumnType::Text).nullable(true))
        .column(
            ColumnDef::new(
                "mood",
                ColumnType::Enum(EnumDef::new("mood", ["Happy", "VerySad"])),
            )
            .nullable(true),
        )
        .primary_key(["id"])
        .index("ix_user_profile_email", ["email"], false)
        .unique(None, ["email"]);
    assert_eq!(UserProfile::table(), expected);
}

#[test]
fn every_attribute_is_declared() {
    let expected = TableDef::new("posts")
        .renamed_from("articles")
        .renamed_from("entries")
        .column(ColumnDef::new("id", ColumnType::Integer).auto_increment())
        .column(ColumnDef::new("author_id", ColumnType::BigInt))
        .column(ColumnDef::new("categoryId", ColumnType::Integer).nullable(true))
        .column(ColumnDef::new("title", ColumnType::Varchar(200)).renamed_from("headline"))
        .column(ColumnDef::new("slug", ColumnType::Custom("citext".into())).nullable(true))
        .column(
            ColumnDef::new(
                "status",
                ColumnType::Enum(EnumDef::new("post_status", ["draft", "in_review", "live"])),
            )
            .default("'draft'"),
        )
        .column(ColumnDef::new("score", ColumnType::BigInt).default("0"))
        .column(ColumnDef::new("price", ColumnType::Decimal(10, 2)).nullable(true))
        .column(ColumnDef::new("ratio", ColumnType::Decimal(5, 0)))
        .column(
            ColumnDef::new("created", ColumnType::Custom("timestamp".into()))
                .default("CURRENT_TIMESTAMP"),
        )
        .column(ColumnDef::new(
            "colour",
            ColumnType::Enum(EnumDef::new("colour", ["RED", "dark green"])),
        ))
        .column(ColumnDef::new("priority", ColumnType::SmallInt))
        .column(ColumnDef::new("extra", ColumnType::Json).nullable(true))
        .column(ColumnDef::new("views", ColumnType::BigInt))
        .column(ColumnDef::new("type", ColumnType::Boolean))
        .column(ColumnDef::new("flagCount", ColumnType::SmallInt))
        .column(ColumnDef::new("blob", ColumnType::Blob))
        .column(ColumnDef::new("small", ColumnType::TinyUnsigned))
        .column(ColumnDef::new("ratioF", ColumnType::Float))
        .column(ColumnDef::new("ratioD", ColumnType::Double))
        .primary_key(["id"])
        .index("ix_posts_cat", ["categoryId"], false)
        .index("ix_posts_author_created", ["author_id", "created"], true)
        .index("ix_posts_title", ["title"], false)
        .unique(Some("uq_posts_slug_author"), ["slug", "author_id"])
        .unique(None, ["title", "created"])
        .check(None, "title <> ''")
        .check(None, "score < 1000")
        .check(Some("ck_posts_score"), "score >= 0")
        .check(None, "length(title) > 0")
        .foreign_key(
            ForeignKeyDef::new(["author_id"], "user_profile", ["id"])
                .on_delete(FkAction::Cascade)
                .on_update(FkAction::SetNull),
        )
        .foreign_key(
            ForeignKeyDef::new(["categoryId"], "categories", ["id"])
                .on_delete(FkAction::SetDefault),
        );
    let actual = Post::table();
    // column by column first, for a readable failure
    for (a, e) in actual.columns.iter().zip(&expected.columns) {
        assert_eq!(a, e);
    }
    assert_eq!(actual, expected);
}

/// Several fields marked `primary_key`: a composite key in field order; a generic model.
#[derive(migrate_macros::Model)]
#[model(table = "pairs")]
#[allow(dead_code)]
struct Pair<K, V> {
    #[model(primary_key)]
    key: K,
    #[model(primary_key)]
    scope: i32,
    value: Option<V>,
}

#[test]
fn field_primary_keys_compose_and_generics_are_bounded() {
    let expected = TableDef::new("pairs")
        .column(ColumnDef::new("key", ColumnType::Text))
        .column(ColumnDef::new("scope", ColumnType::Integer))
        .column(ColumnDef::new("value", ColumnType::Double).nullable(true))
        .primary_key(["key", "scope"]);
    assert_eq!(<Pair<String, f64> as Model>::table(), expected);
}

#[test]
fn composite_primary_key_and_renamed_columns() {
    let expected = TableDef::new("post_tags")
        .column(ColumnDef::new("post_id", ColumnType::Integer))
        .column(ColumnDef::new("tag", ColumnType::Text).renamed_from("label"))
        .column(ColumnDef::new("weight", ColumnType::TinyInt).default("-1"))
        .primary_key(["post_id", "tag"])
        .foreign_key(
            ForeignKeyDef::new(["post_id"], "posts", ["id"]).on_delete(FkAction::Restrict),
        );
    assert_eq!(shop::PostTag::table(), expected);
}

#[test]
fn db_enums_follow_sqlx_names() {
    assert_eq!(
        Mood::column_type(),
        ColumnType::Enum(EnumDef::new("mood", ["Happy", "VerySad"]))
    );
    const { assert!(!Mood::NULLABLE) };
    const { assert!(<Option<Mood> as SqlType>::NULLABLE) };
    assert_eq!(Priority::column_type(), ColumnType::SmallInt);
}

mod registered {
    migrate_macros::migrations!(
        "ui/pass/graph",
        models = [super::UserProfile, crate::Post, crate::shop::PostTag,]
    );
}

/// A table written with sea-query's builders (the escape hatch, `schema::sea`), registered
/// through the generic wrapper `SeaQuery<T>`: a type with generics in `models = [...]`, as
/// sea-orm entities are (`migrate_core::schema::sea_orm::Entity<post::Entity>`).
mod hand_built {
    use migrate_core::schema::sea::SeaQueryTable;
    use migrate_core::sea_query::{
        ColumnDef, Index, IndexCreateStatement, Table, TableCreateStatement,
    };

    pub struct AuditLog;

    impl SeaQueryTable for AuditLog {
        fn create_table() -> TableCreateStatement {
            Table::create()
                .table("audit_log")
                .col(ColumnDef::new("id").big_integer().not_null().primary_key())
                .col(ColumnDef::new("actor").string_len(64).not_null())
                .to_owned()
        }
        fn create_indexes() -> Vec<IndexCreateStatement> {
            vec![
                Index::create()
                    .name("audit_log_actor")
                    .table("audit_log")
                    .col("actor")
                    .to_owned(),
            ]
        }
    }

    migrate_macros::migrations!(
        dir = "ui/pass/empty",
        models = [crate::Post, migrate_core::schema::sea::SeaQuery<AuditLog>]
    );
}

mod registered_without_dir {
    // the default directory (`versions`, next to this file) does not exist: name one
    migrate_macros::migrations!(dir = "ui/pass/empty", models = []);
}

mod unregistered {
    migrate_macros::migrations!("ui/pass/empty");
}

#[test]
fn migrations_registers_the_models() {
    assert_eq!(unregistered::MIGRATIONS.models(), None);
    let models = registered::MIGRATIONS.models().expect("models registered");
    assert_eq!(
        models,
        [UserProfile::table(), Post::table(), shop::PostTag::table()]
    );
    // the revisions are still there
    assert_eq!(registered::MIGRATIONS.revisions().len(), 3);
    assert_eq!(
        registered_without_dir::MIGRATIONS.models(),
        Some(Vec::new())
    );
    let audit = TableDef::new("audit_log")
        .column(ColumnDef::new("id", ColumnType::BigInt))
        .column(ColumnDef::new("actor", ColumnType::Varchar(64)))
        .primary_key(["id"])
        .index("audit_log_actor", ["actor"], false);
    assert_eq!(
        hand_built::MIGRATIONS.models(),
        Some(vec![Post::table(), audit])
    );
}
