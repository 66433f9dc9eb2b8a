//! A merge of two labeled bases; files in a name order that is not the topological order.

use std::pin::pin;
use std::task::{Context, Poll, Waker};

use migrate_core::{Backend, Db};

migrate_macros::migrations!("graph");

fn run(f: migrate_core::MigrationFn, db: &mut Db) {
    let mut fut = pin!(f(db));
    match fut.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(r) => r.expect("runs"),
        Poll::Pending => panic!("offline statements complete at once"),
    }
}

fn main() {
    // the registry lists the files in name order; the graph orders them topologically
    let revs = MIGRATIONS.revisions();
    let ids: Vec<&str> = revs.iter().map(|r| r.id).collect();
    assert_eq!(ids, ["a0merge", "c0re", "auth"]);
    let graph = MIGRATIONS.graph().expect("valid");
    let order: Vec<&str> = graph.revisions().iter().map(|r| r.id.as_str()).collect();
    assert_eq!(order, ["c0re", "auth", "a0merge"]);

    let [merge, core, auth] = revs else { unreachable!() };
    assert_eq!(core.message, "create the core tables");
    assert_eq!(core.file, "graph/b1_core.rs");
    assert_eq!(core.branch_labels, ["core"]);
    assert!(core.transactional);
    assert_eq!(auth.branch_labels, ["auth"]);
    assert_eq!(auth.depends_on, ["c0re"]);
    assert!(!auth.transactional);
    assert_eq!(auth.irreversible, Some("drops the auth data"));
    assert_eq!(merge.irreversible, Some(""));
    assert_eq!(core.irreversible, None);
    assert_eq!(merge.down_revisions, ["c0re", "auth"]);
    assert_eq!(merge.message, "merge core and auth");
    for r in revs {
        assert_eq!(r.checksum.len(), 64);
    }
    assert_ne!(core.checksum, auth.checksum);
    assert_eq!(MIGRATIONS.graph().expect("valid").heads().len(), 1);

    let mut db = Db::offline(Backend::Sqlite);
    run(core.upgrade, &mut db);
    run(core.downgrade, &mut db);
    assert_eq!(db.take_script(), ["CREATE TABLE core (id INTEGER)", "DROP TABLE core"]);
}
