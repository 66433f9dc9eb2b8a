//! Experiment (BENCHMARKS.md, W1 SQLite): what the number of calls per revision costs with
//! sqlx's SQLite driver (each call is a round trip to its worker thread).
//! hops MODE DB L1_SCRIPT; MODE: 6 (as the runner today), 4 (BEGIN+check and INSERT+COMMIT
//! merged), 1 (a revision's whole script in one call).
//! Built and run by `bench/run.sh sqlx-calls`; not part of the workspace.
use sqlx::{AssertSqlSafe, Connection, Row};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let a: Vec<String> = std::env::args().collect();
    let mode: u32 = a[1].parse().unwrap();
    let script = std::fs::read_to_string(&a[3]).unwrap();
    // l1_up.sql: BEGIN IMMEDIATE; <ddl>...; COMMIT; per revision
    let revs: Vec<Vec<String>> = script
        .split("BEGIN IMMEDIATE;\n")
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.lines().filter(|l| !l.is_empty() && *l != "COMMIT;").map(str::to_owned).collect())
        .collect();
    let mut c = sqlx::SqliteConnection::connect(&format!("sqlite:{}", a[2])).await.unwrap();
    sqlx::raw_sql("CREATE TABLE IF NOT EXISTS v (revision varchar(32) NOT NULL PRIMARY KEY, checksum varchar(64) NOT NULL)").execute(&mut c).await.unwrap();
    for (i, ddl) in revs.iter().enumerate() {
        let id = format!("{i:012x}");
        match mode {
            6 => {
                sqlx::raw_sql("BEGIN IMMEDIATE").execute(&mut c).await.unwrap();
                let n: i64 = sqlx::query("SELECT COUNT(*) FROM v WHERE revision = ?").bind(&id).fetch_one(&mut c).await.unwrap().get(0);
                assert_eq!(n, 0);
                for s in ddl {
                    sqlx::raw_sql(AssertSqlSafe(s.clone())).execute(&mut c).await.unwrap();
                }
                sqlx::query("INSERT INTO v (revision, checksum) VALUES (?, ?)").bind(&id).bind("x").execute(&mut c).await.unwrap();
                sqlx::raw_sql("COMMIT").execute(&mut c).await.unwrap();
            }
            4 => {
                let rows = sqlx::raw_sql(AssertSqlSafe(format!("BEGIN IMMEDIATE; SELECT COUNT(*) FROM v WHERE revision = '{id}'"))).fetch_all(&mut c).await.unwrap();
                assert_eq!(rows[0].get::<i64, _>(0), 0);
                for s in ddl {
                    sqlx::raw_sql(AssertSqlSafe(s.clone())).execute(&mut c).await.unwrap();
                }
                sqlx::raw_sql(AssertSqlSafe(format!("INSERT INTO v (revision, checksum) VALUES ('{id}', 'x'); COMMIT"))).execute(&mut c).await.unwrap();
            }
            _ => {
                let body = ddl.join("\n");
                sqlx::raw_sql(AssertSqlSafe(format!("BEGIN IMMEDIATE;\n{body}\nINSERT INTO v (revision, checksum) VALUES ('{id}', 'x'); COMMIT"))).execute(&mut c).await.unwrap();
            }
        }
    }
    c.close().await.unwrap();
}
