//! The schema engine on live databases: a schema with every object kind is created,
//! introspected, compared with itself (no difference, also after a no-op statement) and with
//! a slightly changed copy (exactly the expected differences), on SQLite, PostgreSQL and
//! MySQL.

use migrate_core::Backend;
use migrate_core::schema::introspect::introspect;
use migrate_core::schema::{Schema, diff};
use migrate_tests::{TestDb, backend_test};

const SQLITE: &str = r#"
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email VARCHAR(255) NOT NULL UNIQUE,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    score REAL CHECK (score >= 0)
);
CREATE TABLE posts (
    id INTEGER NOT NULL,
    author_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title TEXT NOT NULL DEFAULT 'untitled',
    status VARCHAR(20) NOT NULL DEFAULT 'draft',
    PRIMARY KEY (id),
    CONSTRAINT ck_title CHECK (length(title) > 0)
);
CREATE INDEX ix_posts_status ON posts (status) WHERE status <> 'draft';
CREATE UNIQUE INDEX ix_users_lower_email ON users (lower(email));
CREATE INDEX ix_posts_author_title ON posts (author_id, title DESC);
CREATE VIEW published AS SELECT id, title FROM posts WHERE status = 'published';
CREATE TRIGGER posts_touch AFTER UPDATE ON posts BEGIN SELECT 1; END;
CREATE TABLE migrate_version (version_num TEXT);
"#;

const POSTGRES: &str = r#"
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE SEQUENCE ticket_seq START 100 INCREMENT 5;
CREATE TABLE users (
    id SERIAL PRIMARY KEY,
    email VARCHAR(255) NOT NULL UNIQUE,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ DEFAULT CURRENT_TIMESTAMP,
    score NUMERIC(10, 2) CHECK (score >= 0),
    feeling mood NOT NULL DEFAULT 'ok',
    ticket BIGINT GENERATED ALWAYS AS IDENTITY
);
CREATE TABLE posts (
    id BIGSERIAL,
    author_id INTEGER NOT NULL,
    title TEXT NOT NULL DEFAULT 'untitled',
    status CHARACTER VARYING(20) NOT NULL DEFAULT 'draft',
    tags TEXT[],
    CONSTRAINT posts_pkey PRIMARY KEY (id),
    CONSTRAINT fk_author FOREIGN KEY (author_id) REFERENCES users (id) ON DELETE CASCADE ON UPDATE SET NULL,
    CONSTRAINT ck_title CHECK (length(title) > 0),
    CONSTRAINT uq_author_title UNIQUE (author_id, title)
);
CREATE INDEX ix_posts_status ON posts (status) WHERE status <> 'draft';
CREATE UNIQUE INDEX ix_users_lower_email ON users (lower(email));
CREATE INDEX ix_posts_author_title ON posts (author_id, title DESC);
CREATE VIEW published AS SELECT id, title FROM posts WHERE status = 'published';
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER posts_touch BEFORE UPDATE ON posts FOR EACH ROW EXECUTE FUNCTION touch();
CREATE TABLE migrate_version (version_num TEXT);
"#;

const MYSQL: &str = r#"
CREATE TABLE users (
    id INT AUTO_INCREMENT PRIMARY KEY,
    email VARCHAR(255) NOT NULL UNIQUE,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    score DECIMAL(10, 2) CHECK (score >= 0),
    feeling ENUM('sad', 'ok', 'happy') NOT NULL DEFAULT 'ok'
);
CREATE TABLE posts (
    id BIGINT NOT NULL AUTO_INCREMENT,
    author_id INT NOT NULL,
    title VARCHAR(200) NOT NULL DEFAULT 'untitled',
    status VARCHAR(20) NOT NULL DEFAULT 'draft',
    PRIMARY KEY (id),
    CONSTRAINT fk_author FOREIGN KEY (author_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT ck_title CHECK (CHAR_LENGTH(title) > 0),
    CONSTRAINT uq_author_title UNIQUE (author_id, title)
);
CREATE INDEX ix_posts_status ON posts (status);
CREATE INDEX ix_posts_author_title ON posts (author_id, title(20));
CREATE VIEW published AS SELECT id, title FROM posts WHERE status = 'published';
CREATE TRIGGER posts_touch BEFORE UPDATE ON posts FOR EACH ROW SET NEW.title = NEW.title;
CREATE TABLE migrate_version (version_num VARCHAR(32));
"#;

async fn read(db: &TestDb) -> Schema {
    let mut conn = db.connect().await;
    let s = introspect(&mut conn, &["migrate_version"]).await.unwrap();
    conn.close().await;
    s
}

fn lines(a: &Schema, b: &Schema) -> Vec<String> {
    diff(a, b).iter().map(ToString::to_string).collect()
}

backend_test!(every_object_kind_round_trips, |db| async move {
    let (script, change, expected): (&str, &str, Vec<&str>) = match db.backend {
        Backend::Sqlite => (
            SQLITE,
            "ALTER TABLE posts ADD COLUMN slug TEXT; DROP INDEX ix_posts_status; \
             DROP VIEW published; CREATE VIEW published AS SELECT id FROM posts;",
            vec![
                "column `posts`.`slug` added",
                "index `ix_posts_status` on `posts` removed",
                "view `published` changed: definition `create view published as select id, title from posts where status = 'published'` -> `create view published as select id from posts`",
            ],
        ),
        Backend::Postgres => (
            POSTGRES,
            "ALTER TABLE posts ADD COLUMN slug TEXT; DROP INDEX ix_posts_status; \
             ALTER TABLE users ALTER COLUMN email TYPE TEXT; ALTER TYPE mood ADD VALUE 'glad'; \
             ALTER TABLE posts DROP CONSTRAINT fk_author; \
             ALTER TABLE posts ADD CONSTRAINT fk_author FOREIGN KEY (author_id) REFERENCES users (id);",
            vec![
                "enum `mood` changed: labels `sad, ok, happy` -> `sad, ok, happy, glad`",
                "column `posts`.`slug` added",
                "index `ix_posts_status` on `posts` removed",
                "foreign key `fk_author` on `posts` changed: on delete `CASCADE` -> `NO ACTION`",
                "foreign key `fk_author` on `posts` changed: on update `SET NULL` -> `NO ACTION`",
                "column `users`.`email` changed: type `varchar(255)` -> `text`",
            ],
        ),
        Backend::MySql => (
            MYSQL,
            "ALTER TABLE posts ADD COLUMN slug TEXT; DROP INDEX ix_posts_status ON posts; \
             ALTER TABLE users MODIFY email VARCHAR(100) NOT NULL; \
             ALTER TABLE users ALTER COLUMN active SET DEFAULT FALSE;",
            vec![
                "column `posts`.`slug` added",
                "index `ix_posts_status` on `posts` removed",
                "column `users`.`active` changed: default `true` -> `false`",
                "column `users`.`email` changed: type `varchar(255)` -> `varchar(100)`",
            ],
        ),
    };
    db.exec(script).await;
    let before = read(&db).await;

    // what was read, spot-checked per object kind
    assert!(
        !before.tables.contains_key("migrate_version"),
        "the version table is left out"
    );
    let users = &before.tables["users"];
    let posts = &before.tables["posts"];
    let col = |t: &migrate_core::schema::model::Table, c: &str| t.column(c).unwrap().clone();
    assert_eq!(col(users, "email").ty, "varchar(255)", "{users:#?}");
    assert!(!col(users, "email").nullable);
    assert_eq!(col(users, "active").ty, "boolean", "{users:#?}");
    assert_eq!(col(users, "active").default.as_deref(), Some("true"));
    assert_eq!(
        col(users, "created_at").default.as_deref(),
        Some("current_timestamp")
    );
    assert_eq!(col(posts, "title").default.as_deref(), Some("'untitled'"));
    assert!(col(users, "id").auto_increment, "{users:#?}");
    assert!(!col(users, "id").nullable);
    assert_eq!(users.primary_key.as_ref().unwrap().columns, ["id"]);
    assert_eq!(posts.primary_key.as_ref().unwrap().columns, ["id"]);
    assert_eq!(users.uniques.len(), 1, "{users:#?}");
    assert_eq!(users.uniques.values().next().unwrap().columns, ["email"]);
    assert!(
        users.checks.values().any(|c| c.expression == "score >= 0"),
        "{users:#?}"
    );
    assert!(
        posts
            .checks
            .values()
            .any(|c| c.expression.contains("length(title) > 0")),
        "{posts:#?}"
    );
    let fk = posts.foreign_keys.values().next().unwrap();
    assert_eq!(
        (fk.columns.as_slice(), fk.referenced_table.as_str()),
        (&["author_id".to_owned()][..], "users")
    );
    assert_eq!(fk.on_delete, migrate_core::schema::model::FkAction::Cascade);
    assert!(posts.indexes.contains_key("ix_posts_status"), "{posts:#?}");
    assert!(
        posts.indexes.contains_key("ix_posts_author_title"),
        "{posts:#?}"
    );
    assert!(before.views.contains_key("published"));
    assert_eq!(
        before.triggers.keys().collect::<Vec<_>>(),
        ["posts.posts_touch"]
    );
    match db.backend {
        Backend::Sqlite | Backend::Postgres => {
            let ix = &posts.indexes["ix_posts_status"];
            assert_eq!(
                ix.predicate.as_deref(),
                Some("status <> 'draft'"),
                "{ix:#?}"
            );
            assert_eq!(
                posts.indexes["ix_posts_author_title"].parts,
                ["author_id", "title desc"]
            );
            let lower = &users.indexes["ix_users_lower_email"];
            assert!(lower.unique);
            assert_eq!(lower.parts, ["lower(email)"], "{lower:#?}");
        }
        Backend::MySql => {
            assert_eq!(
                posts.indexes["ix_posts_author_title"].parts,
                ["author_id", "title(20)"]
            );
            assert_eq!(col(users, "feeling").default.as_deref(), Some("'ok'"));
        }
    }
    if db.backend == Backend::Postgres {
        assert_eq!(before.enums["mood"], ["sad", "ok", "happy"]);
        assert_eq!(
            before.sequences.keys().collect::<Vec<_>>(),
            ["ticket_seq"],
            "serial sequences are the columns'"
        );
        assert_eq!(before.sequences["ticket_seq"].start, 100);
        assert!(before.functions.contains_key("touch()"));
        assert_eq!(col(posts, "status").ty, "varchar(20)");
        assert_eq!(col(posts, "status").default.as_deref(), Some("'draft'"));
        assert_eq!(col(users, "updated_at").ty, "timestamptz");
        assert_eq!(col(users, "feeling").default.as_deref(), Some("'ok'"));
        assert!(col(users, "ticket").auto_increment);
        assert_eq!(col(posts, "tags").ty, "text[]");
        assert_eq!(col(users, "score").ty, "numeric(10,2)");
    }

    // the same database read twice, and after a statement that changes nothing
    assert_eq!(lines(&before, &read(&db).await), Vec::<String>::new());
    let noop = match db.backend {
        Backend::MySql => "ALTER TABLE posts COMMENT = ''",
        _ => "ANALYZE",
    };
    db.exec(noop).await;
    let again = read(&db).await;
    assert_eq!(lines(&before, &again), Vec::<String>::new());
    assert_eq!(before, again);

    db.exec(change).await;
    assert_eq!(lines(&before, &read(&db).await), expected);
});
