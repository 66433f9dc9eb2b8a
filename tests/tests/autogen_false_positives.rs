//! Autogenerate's false-positive test (issue 12, section 6): a database created from the
//! models, and above all a database created by hand-written SQL in each backend's own
//! spelling of the same schema, diff EMPTY against the declared schema of those models
//! (created in a shadow database and read back), on SQLite, PostgreSQL and MySQL.
//!
//! The models cover every `ColumnType` (NOT NULL and nullable), every default form (numbers,
//! negative numbers, strings, booleans, the current time, expressions), and every index form
//! (single and multi-column, unique index, unique constraint named and unnamed, foreign keys
//! with and without an index of their own — MySQL adds one when there is none —, composite
//! primary key, auto-increment / serial / identity).

use migrate_core::Backend;
use migrate_core::schema::autogen::{Shadow, declared_schema};
use migrate_core::schema::declare::{ColumnDef, ColumnType as T, EnumDef, ForeignKeyDef, TableDef};
use migrate_core::schema::introspect::introspect;
use migrate_core::schema::model::FkAction;
use migrate_core::schema::{Schema, diff};
use migrate_tests::{admin_url, backend_test};

/// Every column type, as `(suffix, type)`.
fn column_types() -> Vec<(&'static str, T)> {
    vec![
        ("tinyint", T::TinyInt),
        ("smallint", T::SmallInt),
        ("integer", T::Integer),
        ("bigint", T::BigInt),
        ("tinyu", T::TinyUnsigned),
        ("smallu", T::SmallUnsigned),
        ("unsigned", T::Unsigned),
        ("bigu", T::BigUnsigned),
        ("float", T::Float),
        ("double", T::Double),
        ("boolean", T::Boolean),
        ("text", T::Text),
        ("varchar", T::Varchar(20)),
        ("blob", T::Blob),
        ("date", T::Date),
        ("time", T::Time),
        ("datetime", T::DateTime),
        ("timestamptz", T::TimestampTz),
        ("uuid", T::Uuid),
        ("decimal", T::Decimal(10, 2)),
        ("json", T::Json),
        ("mood", T::Enum(EnumDef::new("mood", ["happy", "sad"]))),
        ("custom", T::Custom("char(3)".into())),
    ]
}

/// The models: one table per concern.
fn models() -> Vec<TableDef> {
    let mut types = TableDef::new("all_types")
        .column(ColumnDef::new("id", T::Integer).auto_increment())
        .primary_key(["id"]);
    for (suffix, ty) in column_types() {
        types = types
            .column(ColumnDef::new(format!("c_{suffix}"), ty.clone()))
            .column(ColumnDef::new(format!("n_{suffix}"), ty).nullable(true));
    }

    let defaults = TableDef::new("defaults")
        .column(ColumnDef::new("id", T::BigInt).auto_increment())
        .column(ColumnDef::new("i_zero", T::Integer).default("0"))
        .column(ColumnDef::new("i_neg", T::Integer).default("-1"))
        .column(ColumnDef::new("i_big", T::BigInt).default("42"))
        .column(ColumnDef::new("f_half", T::Double).default("1.5"))
        .column(ColumnDef::new("f_neg", T::Double).default("-2.5"))
        .column(ColumnDef::new("d_zero", T::Decimal(10, 2)).default("0.00"))
        .column(ColumnDef::new("s_draft", T::Varchar(20)).default("'draft'"))
        .column(ColumnDef::new("s_empty", T::Varchar(20)).default("''"))
        .column(ColumnDef::new("s_quote", T::Varchar(20)).default("'it''s'"))
        .column(ColumnDef::new("b_true", T::Boolean).default("true"))
        .column(ColumnDef::new("b_false", T::Boolean).default("false"))
        .column(ColumnDef::new("t_now", T::DateTime).default("CURRENT_TIMESTAMP"))
        .column(
            ColumnDef::new("t_nullable", T::DateTime)
                .nullable(true)
                .default("CURRENT_TIMESTAMP"),
        )
        .column(ColumnDef::new("e_sum", T::Integer).default("1 + 2"))
        .primary_key(["id"]);

    let parents = TableDef::new("parents")
        .column(ColumnDef::new("id", T::Integer).auto_increment())
        .column(ColumnDef::new("code", T::Varchar(10)))
        .column(ColumnDef::new("region", T::Integer))
        .primary_key(["id"])
        .unique(None, ["code"])
        .unique(Some("uq_parents_region_code"), ["region", "code"]);

    let children = TableDef::new("children")
        .column(ColumnDef::new("id", T::BigInt).auto_increment())
        .column(ColumnDef::new("parent_id", T::Integer))
        .column(ColumnDef::new("parent_code", T::Varchar(10)).nullable(true))
        .column(ColumnDef::new("a", T::Integer))
        .column(ColumnDef::new("b", T::Integer).nullable(true))
        .column(ColumnDef::new("c", T::Varchar(20)).nullable(true))
        .primary_key(["id"])
        .index("ix_children_a", ["a"], false)
        .index("ix_children_a_b", ["a", "b"], false)
        .index("ux_children_c", ["c"], true)
        .index("ix_children_parent_code", ["parent_code"], false)
        // no index of its own: MySQL makes one
        .foreign_key(
            ForeignKeyDef::new(["parent_id"], "parents", ["id"]).on_delete(FkAction::Cascade),
        )
        // an index of its own (above): MySQL uses it
        .foreign_key(
            ForeignKeyDef::new(["parent_code"], "parents", ["code"])
                .name("fk_children_parent_code")
                .on_update(FkAction::SetNull),
        );

    let memberships = TableDef::new("memberships")
        .column(ColumnDef::new("parent_id", T::Integer))
        .column(ColumnDef::new("child_id", T::BigInt))
        .column(ColumnDef::new("role", T::Text).nullable(true))
        .primary_key(["parent_id", "child_id"])
        .foreign_key(ForeignKeyDef::new(["parent_id"], "parents", ["id"]))
        .foreign_key(ForeignKeyDef::new(["child_id"], "children", ["id"]));

    vec![types, defaults, parents, children, memberships]
}

/// The same schema written by hand in SQLite's spelling.
const SQLITE: &str = r#"
CREATE TABLE all_types (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    c_tinyint TINYINT NOT NULL, n_tinyint TINYINT,
    c_smallint SMALLINT NOT NULL, n_smallint SMALLINT,
    c_integer INT NOT NULL, n_integer INT,
    c_bigint BIGINT NOT NULL, n_bigint BIGINT,
    c_tinyu TINYINT NOT NULL, n_tinyu TINYINT,
    c_smallu SMALLINT NOT NULL, n_smallu SMALLINT,
    c_unsigned INTEGER NOT NULL, n_unsigned INTEGER,
    c_bigu BIGINT NOT NULL, n_bigu BIGINT,
    c_float FLOAT NOT NULL, n_float FLOAT,
    c_double DOUBLE NOT NULL, n_double DOUBLE,
    c_boolean BOOLEAN NOT NULL, n_boolean BOOLEAN,
    c_text TEXT NOT NULL, n_text TEXT,
    c_varchar VARCHAR(20) NOT NULL, n_varchar VARCHAR(20),
    c_blob BLOB NOT NULL, n_blob BLOB,
    c_date DATE NOT NULL, n_date DATE,
    c_time TIME NOT NULL, n_time TIME,
    c_datetime DATETIME NOT NULL, n_datetime DATETIME,
    c_timestamptz TIMESTAMPTZ NOT NULL, n_timestamptz TIMESTAMPTZ,
    c_uuid UUID NOT NULL, n_uuid UUID,
    c_decimal DECIMAL(10, 2) NOT NULL, n_decimal DECIMAL(10, 2),
    c_json JSONB NOT NULL, n_json JSONB,
    c_mood TEXT NOT NULL CHECK (c_mood IN ('happy', 'sad')),
    n_mood TEXT CHECK (n_mood IN ('happy', 'sad')),
    c_custom CHAR(3) NOT NULL, n_custom CHAR(3)
);
CREATE TABLE defaults (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    i_zero INTEGER NOT NULL DEFAULT 0,
    i_neg INTEGER NOT NULL DEFAULT -1,
    i_big BIGINT NOT NULL DEFAULT '42',
    f_half DOUBLE NOT NULL DEFAULT 1.5,
    f_neg DOUBLE NOT NULL DEFAULT -2.5,
    d_zero DECIMAL(10,2) NOT NULL DEFAULT 0.00,
    s_draft VARCHAR(20) NOT NULL DEFAULT 'draft',
    s_empty VARCHAR(20) NOT NULL DEFAULT '',
    s_quote VARCHAR(20) NOT NULL DEFAULT 'it''s',
    b_true BOOLEAN NOT NULL DEFAULT TRUE,
    b_false BOOLEAN NOT NULL DEFAULT 0,
    t_now DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    t_nullable DATETIME DEFAULT (CURRENT_TIMESTAMP),
    e_sum INTEGER NOT NULL DEFAULT (1+2)
);
CREATE TABLE parents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code VARCHAR(10) NOT NULL UNIQUE,
    region INTEGER NOT NULL,
    CONSTRAINT uq_parents_region_code UNIQUE (region, code)
);
CREATE TABLE children (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    parent_id INTEGER NOT NULL REFERENCES parents (id) ON DELETE CASCADE,
    parent_code VARCHAR(10),
    a INTEGER NOT NULL,
    b INTEGER,
    c VARCHAR(20),
    CONSTRAINT fk_children_parent_code FOREIGN KEY (parent_code) REFERENCES parents (code) ON UPDATE SET NULL
);
CREATE INDEX ix_children_a ON children (a);
CREATE INDEX ix_children_a_b ON children (a, b);
CREATE UNIQUE INDEX ux_children_c ON children (c);
CREATE INDEX ix_children_parent_code ON children (parent_code);
CREATE TABLE memberships (
    parent_id INTEGER NOT NULL REFERENCES parents (id),
    child_id BIGINT NOT NULL REFERENCES children (id),
    role TEXT,
    PRIMARY KEY (parent_id, child_id)
);
"#;

/// The same schema written by hand in PostgreSQL's spelling.
const POSTGRES: &str = r#"
CREATE TYPE mood AS ENUM ('happy', 'sad');
CREATE TABLE all_types (
    id serial PRIMARY KEY,
    c_tinyint int2 NOT NULL, n_tinyint int2,
    c_smallint smallint NOT NULL, n_smallint smallint,
    c_integer int4 NOT NULL, n_integer int,
    c_bigint int8 NOT NULL, n_bigint bigint,
    c_tinyu smallint NOT NULL, n_tinyu smallint,
    c_smallu integer NOT NULL, n_smallu integer,
    c_unsigned bigint NOT NULL, n_unsigned bigint,
    c_bigu bigint NOT NULL, n_bigu bigint,
    c_float float4 NOT NULL, n_float real,
    c_double float8 NOT NULL, n_double double precision,
    c_boolean boolean NOT NULL, n_boolean bool,
    c_text text NOT NULL, n_text text,
    c_varchar character varying(20) NOT NULL, n_varchar varchar(20),
    c_blob bytea NOT NULL, n_blob bytea,
    c_date date NOT NULL, n_date date,
    c_time time without time zone NOT NULL, n_time time,
    c_datetime timestamp NOT NULL, n_datetime timestamp without time zone,
    c_timestamptz timestamptz NOT NULL, n_timestamptz timestamp with time zone,
    c_uuid uuid NOT NULL, n_uuid uuid,
    c_decimal numeric(10,2) NOT NULL, n_decimal decimal(10, 2),
    c_json jsonb NOT NULL, n_json jsonb,
    c_mood mood NOT NULL, n_mood mood,
    c_custom character(3) NOT NULL, n_custom char(3)
);
CREATE TABLE defaults (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    i_zero integer NOT NULL DEFAULT 0,
    i_neg integer NOT NULL DEFAULT -1,
    i_big bigint NOT NULL DEFAULT '42'::bigint,
    f_half double precision NOT NULL DEFAULT 1.5,
    f_neg double precision NOT NULL DEFAULT '-2.5',
    d_zero numeric(10,2) NOT NULL DEFAULT 0.00,
    s_draft varchar(20) NOT NULL DEFAULT 'draft'::character varying,
    s_empty varchar(20) NOT NULL DEFAULT '',
    s_quote varchar(20) NOT NULL DEFAULT 'it''s',
    b_true boolean NOT NULL DEFAULT true,
    b_false boolean NOT NULL DEFAULT 'f',
    t_now timestamp NOT NULL DEFAULT now(),
    t_nullable timestamp DEFAULT CURRENT_TIMESTAMP,
    e_sum integer NOT NULL DEFAULT (1 + 2)
);
CREATE TABLE parents (
    id serial PRIMARY KEY,
    code varchar(10) NOT NULL UNIQUE,
    region int NOT NULL,
    CONSTRAINT uq_parents_region_code UNIQUE (region, code)
);
CREATE TABLE children (
    id bigserial PRIMARY KEY,
    parent_id integer NOT NULL REFERENCES parents ON DELETE CASCADE,
    parent_code varchar(10),
    a integer NOT NULL,
    b integer,
    c varchar(20),
    CONSTRAINT fk_children_parent_code FOREIGN KEY (parent_code) REFERENCES parents (code) ON UPDATE SET NULL
);
CREATE INDEX ix_children_a ON children (a);
CREATE INDEX ix_children_a_b ON children USING btree (a, b);
CREATE UNIQUE INDEX ux_children_c ON children (c);
CREATE INDEX ix_children_parent_code ON children (parent_code);
CREATE TABLE memberships (
    parent_id integer NOT NULL REFERENCES parents (id),
    child_id bigint NOT NULL REFERENCES children (id),
    role text,
    PRIMARY KEY (parent_id, child_id)
);
"#;

/// The same schema written by hand in MySQL's (MariaDB's) spelling.
const MYSQL: &str = r#"
CREATE TABLE all_types (
    id INT(11) NOT NULL AUTO_INCREMENT PRIMARY KEY,
    c_tinyint TINYINT(4) NOT NULL, n_tinyint TINYINT,
    c_smallint SMALLINT(6) NOT NULL, n_smallint SMALLINT,
    c_integer INT(11) NOT NULL, n_integer INTEGER,
    c_bigint BIGINT(20) NOT NULL, n_bigint BIGINT,
    c_tinyu TINYINT(3) UNSIGNED NOT NULL, n_tinyu TINYINT UNSIGNED,
    c_smallu SMALLINT(5) UNSIGNED NOT NULL, n_smallu SMALLINT UNSIGNED,
    c_unsigned INT(10) UNSIGNED NOT NULL, n_unsigned INT UNSIGNED,
    c_bigu BIGINT(20) UNSIGNED NOT NULL, n_bigu BIGINT UNSIGNED,
    c_float FLOAT NOT NULL, n_float FLOAT,
    c_double DOUBLE NOT NULL, n_double DOUBLE PRECISION,
    c_boolean TINYINT(1) NOT NULL, n_boolean BOOLEAN,
    c_text TEXT NOT NULL, n_text TEXT,
    c_varchar VARCHAR(20) NOT NULL, n_varchar VARCHAR(20),
    c_blob BLOB NOT NULL, n_blob BLOB,
    c_date DATE NOT NULL, n_date DATE,
    c_time TIME NOT NULL, n_time TIME,
    c_datetime DATETIME NOT NULL, n_datetime DATETIME,
    c_timestamptz TIMESTAMP NOT NULL, n_timestamptz TIMESTAMP NULL,
    c_uuid BINARY(16) NOT NULL, n_uuid BINARY(16),
    c_decimal DECIMAL(10,2) NOT NULL, n_decimal NUMERIC(10, 2),
    c_json JSON NOT NULL, n_json JSON,
    c_mood ENUM('happy','sad') NOT NULL, n_mood ENUM('happy', 'sad'),
    c_custom CHAR(3) NOT NULL, n_custom CHAR(3)
);
CREATE TABLE defaults (
    id BIGINT(20) NOT NULL AUTO_INCREMENT,
    i_zero INT NOT NULL DEFAULT '0',
    i_neg INT NOT NULL DEFAULT -1,
    i_big BIGINT NOT NULL DEFAULT 42,
    f_half DOUBLE NOT NULL DEFAULT '1.5',
    f_neg DOUBLE NOT NULL DEFAULT -2.5,
    d_zero DECIMAL(10,2) NOT NULL DEFAULT '0.00',
    s_draft VARCHAR(20) NOT NULL DEFAULT 'draft',
    s_empty VARCHAR(20) NOT NULL DEFAULT '',
    s_quote VARCHAR(20) NOT NULL DEFAULT 'it''s',
    b_true TINYINT(1) NOT NULL DEFAULT 1,
    b_false BOOL NOT NULL DEFAULT FALSE,
    t_now DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    t_nullable DATETIME NULL DEFAULT now(),
    e_sum INT NOT NULL DEFAULT (1 + 2),
    PRIMARY KEY (id)
);
CREATE TABLE parents (
    id INT AUTO_INCREMENT PRIMARY KEY,
    code VARCHAR(10) NOT NULL UNIQUE,
    region INT NOT NULL,
    CONSTRAINT uq_parents_region_code UNIQUE KEY (region, code)
);
CREATE TABLE children (
    id BIGINT AUTO_INCREMENT PRIMARY KEY,
    parent_id INT NOT NULL,
    parent_code VARCHAR(10),
    a INT NOT NULL,
    b INT,
    c VARCHAR(20),
    KEY ix_children_a (a),
    INDEX ix_children_a_b (a, b),
    UNIQUE KEY ux_children_c (c),
    KEY ix_children_parent_code (parent_code),
    FOREIGN KEY (parent_id) REFERENCES parents (id) ON DELETE CASCADE,
    CONSTRAINT fk_children_parent_code FOREIGN KEY (parent_code) REFERENCES parents (code) ON UPDATE SET NULL
);
CREATE TABLE memberships (
    parent_id INT NOT NULL,
    child_id BIGINT NOT NULL,
    role TEXT,
    PRIMARY KEY (parent_id, child_id),
    FOREIGN KEY (parent_id) REFERENCES parents (id),
    FOREIGN KEY (child_id) REFERENCES children (id)
);
"#;

/// The URL a shadow is made from for `backend`: the test server's admin URL, or an
/// in-memory SQLite database.
fn server_url(backend: Backend) -> String {
    match backend {
        Backend::Sqlite => "sqlite::memory:".into(),
        other => admin_url(other),
    }
}

/// The declared schema of `defs`, read back from a shadow database on the test server.
async fn declared(backend: Backend, defs: &[TableDef]) -> Schema {
    let mut shadow = Shadow::create(&server_url(backend))
        .await
        .unwrap_or_else(|e| panic!("shadow on {backend}: {e}"));
    let schema = declared_schema(shadow.db(), defs).await;
    shadow.close().await.expect("the shadow is dropped");
    schema.unwrap_or_else(|e| panic!("declared schema on {backend}: {e}"))
}

fn assert_no_difference(what: &str, backend: Backend, a: &Schema, b: &Schema) {
    let d = diff(a, b);
    assert!(
        d.is_empty(),
        "{what} on {backend}: {} false positive(s):\n  {}",
        d.len(),
        d.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n  ")
    );
}

/// The comparison is not blind: the schema read back has every table and column, and a
/// model with one more column differs by exactly that column.
fn assert_complete(backend: Backend, schema: &Schema, defs: &[TableDef]) {
    for t in defs {
        let table = schema
            .tables
            .get(&t.name)
            .unwrap_or_else(|| panic!("{backend}: table {} read back", t.name));
        assert_eq!(
            table.columns.len(),
            t.columns.len(),
            "{backend}: {}",
            t.name
        );
    }
}

backend_test!(models_diff_empty_against_models, |db| async move {
    let defs = models();
    // a database created from the models (the test database, not a shadow)
    let mut conn = db.connect().await;
    let created = declared_schema(&mut conn, &defs)
        .await
        .unwrap_or_else(|e| panic!("create the models on {}: {e}", db.backend));
    conn.close().await;
    assert_complete(db.backend, &created, &defs);
    let shadow = declared(db.backend, &defs).await;
    assert_no_difference("models vs models", db.backend, &created, &shadow);

    // and the comparison sees a change
    let mut changed = defs.clone();
    changed[2] = changed[2]
        .clone()
        .column(ColumnDef::new("extra", T::Integer).nullable(true));
    let other = declared(db.backend, &changed).await;
    let d = diff(&created, &other);
    assert_eq!(
        d.iter().map(ToString::to_string).collect::<Vec<_>>(),
        ["column `parents`.`extra` added"],
        "{}",
        db.backend
    );
});

backend_test!(
    hand_written_sql_diffs_empty_against_models,
    |db| async move {
        let sql = match db.backend {
            Backend::Sqlite => SQLITE,
            Backend::Postgres => POSTGRES,
            Backend::MySql => MYSQL,
        };
        db.exec(sql).await;
        let mut conn = db.connect().await;
        let by_hand = introspect(&mut conn, &[]).await.expect("introspect");
        conn.close().await;
        let defs = models();
        assert_complete(db.backend, &by_hand, &defs);
        let declared = declared(db.backend, &defs).await;
        assert_no_difference(
            "hand-written SQL vs models",
            db.backend,
            &by_hand,
            &declared,
        );
    }
);

// Each column type alone (NOT NULL and nullable) in a table of its own, against itself
// created in another database: a type whose spelling the introspection reads back unlike
// the way it is created would show here even if the big tables above hid it.
backend_test!(each_type_alone_diffs_empty, |db| async move {
    let mut conn = db.connect().await;
    let mut defs = Vec::new();
    for (suffix, ty) in column_types() {
        defs.push(
            TableDef::new(format!("t_{suffix}"))
                .column(ColumnDef::new("v", ty.clone()))
                .column(ColumnDef::new("n", ty).nullable(true)),
        );
    }
    let created = declared_schema(&mut conn, &defs)
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", db.backend));
    conn.close().await;
    assert_complete(db.backend, &created, &defs);
    let shadow = declared(db.backend, &defs).await;
    assert_no_difference("each type alone", db.backend, &created, &shadow);
});
