//! Alembic's branch model on every backend, with the `branches` example: two labeled
//! branches, a `depends_on` and a merge; upgrade / downgrade / stamp online, and offline
//! `--sql` scripts executed through each database's own client (sqlite3, psql, mysql),
//! which must give the same schema and version table as the online run.

use std::process::{Command, Stdio};

use migrate_core::runner::{Event, OfflineCommand, Options, Runner};
use migrate_core::{Backend, Migrations};
use migrate_tests::{TestDb, backend_test};

static M: &Migrations = &branches_migrations::MIGRATIONS;

const ACCOUNTS: &str = "a1b2c3d4e5f6";
const CARTS: &str = "c0ffee000001";
const CART_ITEMS: &str = "c0ffee000002";
const HOSTS: &str = "d00d00000001";
const PORTS: &str = "d00d00000002";
const MERGE: &str = "0e0e0e0e0e0e";

async fn run(db: &TestDb, up: bool, target: &str) -> Result<Vec<String>, String> {
    let mut conn = db.connect().await;
    let runner = Runner::new(M, Options::default()).unwrap();
    let mut seen = Vec::new();
    let mut on = |e: Event<'_>| {
        if let Event::Finished {
            revision,
            direction,
            ..
        } = e
        {
            let sign = if direction == migrate_core::plan::Direction::Upgrade {
                '+'
            } else {
                '-'
            };
            seen.push(format!("{sign}{}", revision.id));
        }
    };
    let r = if up {
        runner.upgrade(&mut conn, target, &mut on).await
    } else {
        runner.downgrade(&mut conn, target, &mut on).await
    };
    conn.close().await;
    r.map(|_| seen).map_err(|e| e.to_string())
}

async fn current(db: &TestDb) -> Vec<String> {
    let mut conn = db.connect().await;
    let runner = Runner::new(M, Options::default()).unwrap();
    let status = runner.status(&mut conn).await.unwrap();
    conn.close().await;
    let mut ids: Vec<String> = status
        .heads
        .iter()
        .map(|&i| runner.graph().at(i).id.clone())
        .collect();
    ids.sort();
    ids
}

async fn stamp(db: &TestDb, targets: &[&str]) {
    let mut conn = db.connect().await;
    Runner::new(M, Options::default())
        .unwrap()
        .stamp(&mut conn, targets, false)
        .await
        .unwrap();
    conn.close().await;
}

backend_test!(
    branch_upgrades_follow_depends_on_and_merge,
    |db| async move {
        assert_eq!(
            run(&db, true, CART_ITEMS).await.unwrap(),
            [
                format!("+{ACCOUNTS}"),
                format!("+{CARTS}"),
                format!("+{CART_ITEMS}")
            ]
        );
        // the networking branch depends on the shopping cart's first revision, already applied
        assert_eq!(
            run(&db, true, PORTS).await.unwrap(),
            [format!("+{HOSTS}"), format!("+{PORTS}")]
        );
        assert_eq!(current(&db).await, [CART_ITEMS, PORTS]);
        assert_eq!(
            run(&db, true, "heads").await.unwrap(),
            [format!("+{MERGE}")]
        );
        assert_eq!(current(&db).await, [MERGE]);
    }
);

backend_test!(depends_on_is_applied_first, |db| async move {
    // upgrading the networking branch alone pulls in what it depends on
    let steps = run(&db, true, "networking@head").await;
    // networking@head is the merge (the only head carrying the label): everything applies
    assert_eq!(steps.unwrap().len(), 6);
    run(&db, false, "base").await.unwrap();
    let steps = run(&db, true, PORTS).await.unwrap();
    assert_eq!(
        steps,
        [
            format!("+{ACCOUNTS}"),
            format!("+{CARTS}"),
            format!("+{HOSTS}"),
            format!("+{PORTS}")
        ]
    );
});

backend_test!(downgrading_one_branch_leaves_the_other, |db| async move {
    run(&db, true, "heads").await.unwrap();
    let steps = run(&db, false, "networking@base").await.unwrap();
    assert_eq!(
        steps,
        [
            format!("-{MERGE}"),
            format!("-{PORTS}"),
            format!("-{HOSTS}")
        ]
    );
    assert_eq!(current(&db).await, [CART_ITEMS]);
    let tables = db.tables().await;
    assert!(
        tables.contains(&"cart_items".to_owned()) && !tables.contains(&"hosts".to_owned()),
        "{tables:?}"
    );
    // one step down from the merge point undoes the merge alone: both parents stay current
    // (issue 9 item 22; Alembic refuses this as an ambiguous walk)
    run(&db, true, "heads").await.unwrap();
    assert_eq!(run(&db, false, "-1").await.unwrap(), [format!("-{MERGE}")]);
    assert_eq!(current(&db).await, [CART_ITEMS, PORTS]);
    // two steps down from it would have to pick a parent: still refused, nothing undone
    run(&db, true, "heads").await.unwrap();
    let err = run(&db, false, "-2").await.unwrap_err();
    assert!(
        err.contains(CART_ITEMS) && err.contains(PORTS),
        "names both parents: {err}"
    );
    assert_eq!(current(&db).await, [MERGE]);
});

// Issue 9 item 1: `ports` (networking) depends_on `carts` (shoppingcart). Downgrading to
// `carts` undoes what descends from it through down_revision (`cart_items`) and keeps `ports`,
// which only depends on it: `carts` stays applied, so `ports` stays valid (Alembic's rule).
backend_test!(
    downgrade_keeps_revisions_that_only_depend_on_the_target,
    |db| async move {
        run(&db, true, CART_ITEMS).await.unwrap();
        run(&db, true, PORTS).await.unwrap();
        assert_eq!(
            run(&db, false, CARTS).await.unwrap(),
            [format!("-{CART_ITEMS}")]
        );
        assert_eq!(current(&db).await, [CARTS, PORTS]);
        let tables = db.tables().await;
        assert!(
            tables.contains(&"ports".to_owned()) && !tables.contains(&"cart_items".to_owned()),
            "{tables:?}"
        );
        // stamp shares the rule: stamping `carts` from `cart_items` + `ports` keeps `ports`
        run(&db, true, CART_ITEMS).await.unwrap();
        stamp(&db, &[CARTS]).await;
        assert_eq!(current(&db).await, [CARTS, PORTS]);
        // below `carts` itself, `ports` must go: it depends on what is undone
        stamp(&db, &[CART_ITEMS, PORTS]).await;
        assert_eq!(
            run(&db, false, ACCOUNTS).await.unwrap(),
            [
                format!("-{CART_ITEMS}"),
                format!("-{PORTS}"),
                format!("-{CARTS}")
            ]
        );
        assert_eq!(current(&db).await, [ACCOUNTS, HOSTS]);
    }
);

// Issue 9 item 20: with `ports` applied, `carts` is current only as its dependency (Alembic's
// version table holds `ports` alone), so `-1` walks from `ports`.
backend_test!(
    relative_steps_walk_from_the_head_a_dependency_hides,
    |db| async move {
        run(&db, true, PORTS).await.unwrap();
        assert_eq!(current(&db).await, [CARTS, PORTS]);
        assert_eq!(run(&db, false, "-1").await.unwrap(), [format!("-{PORTS}")]);
        assert_eq!(current(&db).await, [CARTS, HOSTS]);
    }
);

// Issue 9 item 16: upgrading to what is already applied (or to base) does nothing and
// succeeds, as in Alembic, so deploy scripts can run it again.
backend_test!(upgrade_to_an_applied_revision_is_a_no_op, |db| async move {
    run(&db, true, "heads").await.unwrap();
    for target in [MERGE, ACCOUNTS, CARTS, "base", "heads", "shoppingcart@head"] {
        assert_eq!(
            run(&db, true, target).await,
            Ok(Vec::new()),
            "upgrade {target}"
        );
    }
    assert_eq!(current(&db).await, [MERGE]);
    // `-1` still names a step down: refused, nothing undone
    let err = run(&db, true, "-1").await.unwrap_err();
    assert!(err.contains("use downgrade"), "{err}");
    assert_eq!(current(&db).await, [MERGE]);
});

backend_test!(stamp_heads_and_base, |db| async move {
    stamp(&db, &[CART_ITEMS, HOSTS]).await;
    assert_eq!(current(&db).await, [CART_ITEMS, HOSTS]);
    assert_eq!(db.tables().await, ["migrate_version"]);
    stamp(&db, &["heads"]).await;
    assert_eq!(current(&db).await, [MERGE]);
    stamp(&db, &["base"]).await;
    assert!(current(&db).await.is_empty());
});

backend_test!(
    upgrade_head_with_several_heads_is_refused,
    |db| async move {
        run(&db, true, CART_ITEMS).await.unwrap();
        run(&db, true, PORTS).await.unwrap();
        // the graph has one head (the merge), so `head` works; a missing id does not
        let err = run(&db, true, "ffffffffffff").await.unwrap_err();
        assert!(
            err.contains("Can't locate revision identified by 'ffffffffffff'"),
            "{err}"
        );
        assert_eq!(current(&db).await, [CART_ITEMS, PORTS]);
    }
);

/// Executes a script with the database's own command-line client.
fn client(db: &TestDb, script: &str) {
    let mut cmd = match db.backend {
        Backend::Sqlite => {
            let mut c = Command::new("sqlite3");
            c.arg(db.url.trim_start_matches("sqlite:"));
            c
        }
        Backend::Postgres => {
            let mut c = Command::new("psql");
            c.args(["-q", "-X", "-v", "ON_ERROR_STOP=1", "-d", &db.url]);
            c
        }
        Backend::MySql => {
            let u = url::Url::parse(&db.url).unwrap();
            let bin = if which("mariadb") { "mariadb" } else { "mysql" };
            let mut c = Command::new(bin);
            c.arg(format!("-h{}", u.host_str().unwrap()))
                .arg(format!("-P{}", u.port().unwrap_or(3306)))
                .arg(format!("-u{}", u.username()))
                .arg(u.path().trim_start_matches('/'));
            if let Some(p) = u.password() {
                c.arg(format!("-p{p}"));
            }
            c
        }
    };
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("client runs");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "client failed on script:\n{script}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // sqlite3 reports errors on stderr but exits 0 in some versions: refuse any but notices
    let stderr = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("NOTICE:"))
        .collect();
    assert!(errors.is_empty(), "client printed errors:\n{stderr}");
}

fn which(bin: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {bin}"))
        .output()
        .is_ok_and(|o| o.status.success())
}

async fn schema(db: &TestDb) -> Vec<String> {
    let mut out = Vec::new();
    for t in db.tables().await {
        out.push(format!("{t}({})", db.columns(&t).await.join(",")));
    }
    out
}

/// `revision state checksum` of every version-table row (timings left out).
async fn version_rows(db: &TestDb) -> Vec<String> {
    if !db.tables().await.contains(&"migrate_version".to_owned()) {
        return Vec::new();
    }
    let concat = match db.backend {
        Backend::MySql => "CONCAT(revision, ' ', state, ' ', checksum)",
        _ => "revision || ' ' || state || ' ' || checksum",
    };
    db.query_strings(&format!(
        "SELECT {concat} FROM migrate_version ORDER BY revision"
    ))
    .await
}

backend_test!(
    offline_sql_through_the_client_matches_online,
    |db| async move {
        let offline = TestDb::new(db.backend).await;
        let runner = Runner::new(M, Options::default()).unwrap();

        // upgrade heads: online vs the script through the client
        run(&db, true, "heads").await.unwrap();
        let script = runner
            .offline_script(db.backend, OfflineCommand::Upgrade("heads"))
            .await
            .unwrap();
        assert!(
            script.contains(&format!(
                "-- Running upgrade {CART_ITEMS}, {PORTS} -> {MERGE}"
            )),
            "{script}"
        );
        client(&offline, &script);
        assert_eq!(schema(&offline).await, schema(&db).await);
        assert_eq!(version_rows(&offline).await, version_rows(&db).await);
        assert_eq!(version_rows(&offline).await.len(), 6);

        // downgrade a range: from the heads down to the networking branch's base
        run(&db, false, "networking@base").await.unwrap();
        let script = runner
            .offline_script(
                db.backend,
                OfflineCommand::Downgrade(&format!("{MERGE}:networking@base")),
            )
            .await
            .unwrap();
        client(&offline, &script);
        assert_eq!(schema(&offline).await, schema(&db).await);
        assert_eq!(version_rows(&offline).await, version_rows(&db).await);

        // stamp
        let fresh = TestDb::new(db.backend).await;
        let script = runner
            .offline_script(db.backend, OfflineCommand::Stamp(&["heads"]))
            .await
            .unwrap();
        client(&fresh, &script);
        let rows = version_rows(&fresh).await;
        assert_eq!(rows.len(), 6, "{rows:?}");
        assert!(rows.iter().all(|r| r.contains("stamped")), "{rows:?}");
    }
);
