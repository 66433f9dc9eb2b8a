//! migrate-core reports through `tracing`: a `revision` span per revision run (its id and
//! direction), each statement as a debug event inside it, and the migration lock's
//! acquire/release at debug. A small `tracing_subscriber` layer records what is emitted.
//!
//! SQLite (no lock) and PostgreSQL (advisory lock; `MIGRATE_TEST_POSTGRES_URL`, default
//! `postgres://postgres@127.0.0.1:5432/postgres`: an unreachable server fails the test).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use migrate_core::runner::{Options, Runner};
use migrate_core::{BoxFuture, Db, Migrations, Revision};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt as _};
use tracing_subscriber::registry::LookupSpan;

/// One recorded span or event: its name (span) or message (event), level and fields, and for
/// an event the span it happened in.
#[derive(Debug, Clone)]
struct Record {
    level: Level,
    name: String,
    fields: BTreeMap<String, String>,
    span: Option<BTreeMap<String, String>>,
}

#[derive(Default)]
struct Fields(BTreeMap<String, String>);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(
            field.name().to_owned(),
            format!("{value:?}").trim_matches('"').to_owned(),
        );
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

#[derive(Clone, Default)]
struct Capture {
    spans: Arc<Mutex<Vec<Record>>>,
    events: Arc<Mutex<Vec<Record>>>,
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        let record = Record {
            level: *attrs.metadata().level(),
            name: attrs.metadata().name().to_owned(),
            fields: fields.0,
            span: None,
        };
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(record.fields.clone());
        }
        self.spans.lock().unwrap().push(record);
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let span = ctx
            .event_span(event)
            .and_then(|s| s.extensions().get::<BTreeMap<String, String>>().cloned());
        let name = fields.0.remove("message").unwrap_or_default();
        self.events.lock().unwrap().push(Record {
            level: *event.metadata().level(),
            name,
            fields: fields.0,
            span,
        });
    }
}

fn up_a(db: &mut Db) -> BoxFuture<'_> {
    Box::pin(async move {
        db.sql("CREATE TABLE graphcfg_trace_a (id INTEGER PRIMARY KEY)")
            .await?;
        Ok(())
    })
}
fn down_a(db: &mut Db) -> BoxFuture<'_> {
    Box::pin(async move {
        db.sql("DROP TABLE graphcfg_trace_a").await?;
        Ok(())
    })
}
fn up_b(db: &mut Db) -> BoxFuture<'_> {
    Box::pin(async move {
        db.sql("CREATE TABLE graphcfg_trace_b (id INTEGER PRIMARY KEY)")
            .await?;
        Ok(())
    })
}
fn down_b(db: &mut Db) -> BoxFuture<'_> {
    Box::pin(async move {
        db.sql("DROP TABLE graphcfg_trace_b").await?;
        Ok(())
    })
}

static REVISIONS: [Revision; 2] = [
    Revision {
        id: "aaaa00000001",
        down_revisions: &[],
        branch_labels: &[],
        depends_on: &[],
        message: "create a",
        file: "src/versions/aaaa00000001_create_a.rs",
        checksum: "0",
        transactional: true,
        irreversible: None,
        allow_lint: &[],
        upgrade: up_a,
        downgrade: down_a,
    },
    Revision {
        id: "bbbb00000002",
        down_revisions: &["aaaa00000001"],
        branch_labels: &[],
        depends_on: &[],
        message: "create b",
        file: "src/versions/bbbb00000002_create_b.rs",
        checksum: "0",
        transactional: true,
        irreversible: None,
        allow_lint: &[],
        upgrade: up_b,
        downgrade: down_b,
    },
];
static MIGRATIONS: Migrations = Migrations::new(&REVISIONS);

/// Upgrades to head then downgrades to base on `url` under the capturing layer; returns
/// the spans and events.
fn run_captured(url: &str, version_table: &str) -> (Vec<Record>, Vec<Record>) {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::registry().with(capture.clone());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    tracing::subscriber::with_default(subscriber, || {
        rt.block_on(async {
            let mut db = Db::connect(url).await.expect("connects");
            let runner = Runner::new(
                &MIGRATIONS,
                Options {
                    version_table: version_table.to_owned(),
                    ..Options::default()
                },
            )
            .unwrap();
            runner.upgrade(&mut db, "head", &mut |_| {}).await.unwrap();
            runner
                .downgrade(&mut db, "base", &mut |_| {})
                .await
                .unwrap();
            let _ = db.sql(&format!("DROP TABLE {version_table}")).await;
            db.close().await;
        })
    });
    let spans = capture.spans.lock().unwrap().clone();
    let events = capture.events.lock().unwrap().clone();
    (spans, events)
}

fn check_revision_spans(spans: &[Record], events: &[Record]) {
    let revs: Vec<(String, String)> = spans
        .iter()
        .filter(|s| s.name == "revision")
        .map(|s| (s.fields["id"].clone(), s.fields["direction"].clone()))
        .collect();
    let pair = |id: &str, d: &str| (id.to_owned(), d.to_owned());
    assert_eq!(
        revs,
        [
            pair("aaaa00000001", "upgrade"),
            pair("bbbb00000002", "upgrade"),
            pair("bbbb00000002", "downgrade"),
            pair("aaaa00000001", "downgrade"),
        ],
        "{spans:#?}"
    );
    assert!(
        spans
            .iter()
            .all(|s| s.name != "revision" || s.level == Level::INFO)
    );
    // each revision's own statement is a debug event inside its span
    for (table, id, verb) in [
        ("CREATE TABLE graphcfg_trace_a", "aaaa00000001", "upgrade"),
        ("CREATE TABLE graphcfg_trace_b", "bbbb00000002", "upgrade"),
        ("DROP TABLE graphcfg_trace_b", "bbbb00000002", "downgrade"),
        ("DROP TABLE graphcfg_trace_a", "aaaa00000001", "downgrade"),
    ] {
        let e = events
            .iter()
            .find(|e| {
                e.fields
                    .get("statement")
                    .is_some_and(|s| s.starts_with(table))
            })
            .unwrap_or_else(|| panic!("no event for `{table}`: {events:#?}"));
        assert_eq!(e.level, Level::DEBUG);
        let span = e.span.as_ref().expect("inside a span");
        assert_eq!(
            (span["id"].as_str(), span["direction"].as_str()),
            (id, verb)
        );
    }
    // and each revision's end, with its duration
    let ran = events.iter().filter(|e| e.name == "revision ran").count();
    assert_eq!(ran, 4, "{events:#?}");
}

#[test]
fn an_upgrade_on_sqlite_reports_a_span_per_revision_and_its_statements() {
    let dir = tempfile_dir();
    let url = format!("sqlite:{}", dir.join("trace.db").display());
    // the file must exist for a plain connect
    std::fs::File::create(dir.join("trace.db")).unwrap();
    let (spans, events) = run_captured(&url, "graphcfg_trace_version");
    check_revision_spans(&spans, &events);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn an_upgrade_on_postgres_also_reports_the_lock() {
    let url = std::env::var("MIGRATE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let (spans, events) = run_captured(&url, "graphcfg_trace_version");
    check_revision_spans(&spans, &events);
    let lock: Vec<&str> = events
        .iter()
        .filter(|e| e.name.starts_with("migration lock"))
        .map(|e| e.name.as_str())
        .collect();
    // one command each: upgrade, downgrade
    assert_eq!(
        lock,
        [
            "migration lock acquired",
            "migration lock released",
            "migration lock acquired",
            "migration lock released"
        ],
        "{events:#?}"
    );
    assert!(
        events
            .iter()
            .filter(|e| e.name.starts_with("migration lock"))
            .all(|e| e.level == Level::DEBUG && e.fields["table"] == "graphcfg_trace_version")
    );
}

/// A fresh directory under the target's temporary directory.
fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "graphcfg-trace-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
