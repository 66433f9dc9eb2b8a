//! The database handle a revision's `upgrade` and `downgrade` receive.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::str::FromStr;
use std::time::Duration;

use sea_query::{QueryStatementWriter, SchemaStatementBuilder};
use sea_query_sqlx::SqlxBinder;
use sqlx::AssertSqlSafe;
#[cfg(feature = "mysql")]
use sqlx::MySql;
#[cfg(feature = "postgres")]
use sqlx::Postgres;
use sqlx::pool::PoolConnection;

use crate::Error;
#[cfg(feature = "sqlite")]
use crate::sqlite::SqliteConn;

/// A database backend. One revision source runs on all three: sea-query renders each
/// dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// SQLite (bundled with sqlx; the embedded default).
    Sqlite,
    /// PostgreSQL.
    Postgres,
    /// MySQL or MariaDB.
    MySql,
}

impl Backend {
    /// The backend a URL's scheme names: `sqlite:`, `postgres:`/`postgresql:`,
    /// `mysql:`/`mariadb:`.
    ///
    /// # Errors
    /// [`Error::BadUrl`] for any other scheme; [`Error::BackendNotCompiled`] when the backend's
    /// cargo feature is not compiled in ([`Backend::ensure_compiled`]).
    pub fn from_url(url: &str) -> Result<Backend, Error> {
        Backend::scheme_of(url)?.ensure_compiled()
    }

    /// [`Backend::from_url`] without the check that the backend is compiled in.
    fn scheme_of(url: &str) -> Result<Backend, Error> {
        if url.trim().is_empty() {
            return Err(Error::BadUrl {
                url: String::new(),
                reason: "the URL is empty; give sqlite:FILE, postgres://USER@HOST/DB or \
                         mysql://USER@HOST/DB"
                    .into(),
            });
        }
        let scheme = url
            .split(':')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        match scheme.as_str() {
            "sqlite" => Ok(Backend::Sqlite),
            "postgres" | "postgresql" => Ok(Backend::Postgres),
            "mysql" | "mariadb" => Ok(Backend::MySql),
            _ => Err(Error::BadUrl {
                url: redact_url(url),
                reason: "the scheme must be sqlite:, postgres:, postgresql:, mysql: or mariadb:"
                    .into(),
            }),
        }
    }

    /// `"sqlite"`, `"postgres"` or `"mysql"`: the names `--dialect` takes.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
            Backend::MySql => "mysql",
        }
    }

    /// The cargo feature of migrate-core that compiles this backend in: `"sqlite"`,
    /// `"postgres"` or `"mysql"` (the same as [`Backend::name`]).
    pub fn feature(self) -> &'static str {
        self.name()
    }

    /// Whether this build of migrate-core has the backend: its cargo feature
    /// ([`Backend::feature`]) was enabled.
    pub fn is_compiled(self) -> bool {
        match self {
            Backend::Sqlite => cfg!(feature = "sqlite"),
            Backend::Postgres => cfg!(feature = "postgres"),
            Backend::MySql => cfg!(feature = "mysql"),
        }
    }

    /// The backends this build of migrate-core has, in the order sqlite, postgres, mysql.
    pub fn compiled() -> Vec<Backend> {
        [Backend::Sqlite, Backend::Postgres, Backend::MySql]
            .into_iter()
            .filter(|b| b.is_compiled())
            .collect()
    }

    /// `Ok(self)` when the backend is compiled in ([`Backend::is_compiled`]).
    ///
    /// # Errors
    /// [`Error::BackendNotCompiled`] naming the missing feature and the manifest to add it
    /// to: the migrations crate's `Cargo.toml`, whose path `cargo migrate` passes to the
    /// runner in `CARGO_MIGRATE_MANIFEST`.
    pub fn ensure_compiled(self) -> Result<Backend, Error> {
        if self.is_compiled() {
            return Ok(self);
        }
        let manifest = std::env::var("CARGO_MIGRATE_MANIFEST")
            .ok()
            .filter(|m| !m.is_empty())
            .map_or_else(
                || "the migrations crate's Cargo.toml".to_owned(),
                |m| format!("`{m}`"),
            );
        Err(Error::BackendNotCompiled {
            feature: self.feature(),
            manifest,
        })
    }

    /// Whether DDL runs inside a transaction and rolls back with it (SQLite, PostgreSQL).
    /// MySQL commits implicitly before and after every DDL statement.
    pub fn transactional_ddl(self) -> bool {
        !matches!(self, Backend::MySql)
    }
}

impl FromStr for Backend {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "sqlite" => Ok(Backend::Sqlite),
            "postgres" | "postgresql" => Ok(Backend::Postgres),
            "mysql" | "mariadb" => Ok(Backend::MySql),
            other => Err(format!(
                "unknown dialect `{other}`; expected sqlite, postgres or mysql"
            )),
        }
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The passwords of the URLs this process was given ([`remember_url_secrets`]), in every
/// spelling they may be printed in.
static SECRETS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Remembers the password of `url` so that [`redact_url`] hides it from any text, however it
/// got there: the password as typed, its percent-decoded form and the form the `url` crate
/// (and so sqlx) serialises, of both the user info and every `…password=` query parameter.
/// The user info is read as the `url` crate parses it (WHATWG), and also as a sloppy URL
/// would be read by a person (up to the last `@` of the authority, or of the whole URL when
/// the authority has none). Called for every URL the CLI resolves and every URL
/// [`Db::connect`] opens, before anything can print it.
pub fn remember_url_secrets(url: &str) {
    let mut found = url_secrets(url);
    found.retain(|s| !s.is_empty());
    if found.is_empty() {
        return;
    }
    let mut secrets = SECRETS.lock().unwrap_or_else(|e| e.into_inner());
    for s in found {
        if !secrets.contains(&s) {
            secrets.push(s);
        }
    }
    // longest first: a spelling that contains another is replaced whole
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
}

/// Every spelling of the passwords in `url` (see [`remember_url_secrets`]).
fn url_secrets(url: &str) -> Vec<String> {
    fn decoded(s: &str) -> String {
        url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    }
    let mut out = Vec::new();
    let mut add = |s: &str| {
        if !s.is_empty() {
            out.push(s.to_owned());
            out.push(decoded(s));
            // and the form a URL serialiser gives the decoded password
            let mut u = url::Url::parse("postgres://u@h/").expect("a valid URL");
            if u.set_password(Some(&decoded(s))).is_ok()
                && let Some(p) = u.password()
            {
                out.push(p.to_owned());
            }
        }
    };
    // as the url crate (and sqlx) read it
    if let Ok(u) = url::Url::parse(url) {
        if let Some(p) = u.password() {
            add(p);
        }
        for (k, v) in u.query_pairs() {
            if k.to_ascii_lowercase().ends_with("password") {
                add(&v);
            }
        }
    }
    // as typed: the user info after the scheme, up to the last `@` of the authority (or of
    // the rest, for a password with an unescaped `/`, `?` or `#`)
    if let Some(colon) = url.find(':') {
        let rest = url[colon + 1..].trim_start_matches('/');
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let at = rest[..authority_end].rfind('@').or_else(|| rest.rfind('@'));
        if let Some(at) = at
            && let Some(c) = rest[..at].find(':')
        {
            add(&rest[c + 1..at]);
        }
    }
    // raw `password=` query values
    if let Some(q) = url.find('?') {
        for p in url[q + 1..].split(['&', '#']) {
            if let Some((k, v)) = p.split_once('=')
                && k.to_ascii_lowercase().ends_with("password")
            {
                add(v);
            }
        }
    }
    out
}

/// Replaces the password of every URL in `text` with `***` (`postgres://u:***@host/db`).
///
/// First every spelling of every password this process was given
/// ([`remember_url_secrets`]: the CLI's URL, every URL [`Db::connect`] opened) is replaced
/// wherever it appears, whatever surrounds it (quotes, spaces, a file path). Then, for URLs
/// nobody told us about, the text is scanned for URLs: the password of the user info and a
/// `password=` query parameter. Sloppy URLs are covered as well (a password with an unescaped
/// `/`, `?` or `#`, a single slash after `postgres:`), at the price of hiding more than the
/// password. Used for every URL and every error line the crate prints.
pub fn redact_url(text: &str) -> String {
    let mut text = text.to_owned();
    {
        let secrets = SECRETS.lock().unwrap_or_else(|e| e.into_inner());
        for s in secrets.iter() {
            if text.contains(s.as_str()) {
                text = text.replace(s.as_str(), "***");
            }
        }
    }
    redact_scanned(&text)
}

/// [`redact_url`]'s scan for URLs in `text`: each whitespace- and quote-delimited piece that
/// holds a URL has its password replaced. A piece that ends inside a user info (a password
/// holding a quote or a space: `postgres://u:pa ss@h`) is redacted up to the `@` later on the
/// same line.
fn redact_scanned(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut token_start = None;
    let mut skip_to = 0;
    for (i, c) in text.char_indices() {
        if i < skip_to {
            continue;
        }
        let delimiter = c.is_whitespace() || matches!(c, '\'' | '"' | '`');
        match (delimiter, token_start) {
            (true, Some(start)) => {
                let token = &text[start..i];
                if let Some(cut) = open_userinfo(token)
                    && let Some(at) = text[i..]
                        .find(['@', '\n'])
                        .filter(|&a| text[i + a..].starts_with('@'))
                {
                    out.push_str(&token[..cut]);
                    out.push_str("***");
                    skip_to = i + at;
                    token_start = Some(i + at);
                    continue;
                }
                out.push_str(&redact_token(token));
                out.push(c);
                token_start = None;
            }
            (true, None) => out.push(c),
            (false, None) => token_start = Some(i),
            (false, Some(_)) => {}
        }
    }
    if let Some(start) = token_start {
        out.push_str(&redact_token(&text[start..]));
    }
    out
}

/// For a piece of text cut short inside a URL's password (`postgres://u:pa`, no `@` yet): the
/// length of the piece up to and including the user info's `:`.
fn open_userinfo(token: &str) -> Option<usize> {
    let lower = token.to_ascii_lowercase();
    let scheme = NETWORK_SCHEMES
        .iter()
        .chain(&["sqlite:"])
        .find_map(|s| lower.find(s).map(|i| i + s.len()))?;
    let rest = &token[scheme..];
    let slashes = rest.len() - rest.trim_start_matches('/').len();
    let authority = &rest[slashes..];
    if authority.contains('@') || authority.contains('/') {
        return None;
    }
    authority.find(':').map(|c| scheme + slashes + c + 1)
}

/// Network schemes whose URLs may carry credentials even without `//`.
const NETWORK_SCHEMES: [&str; 4] = ["postgres:", "postgresql:", "mysql:", "mariadb:"];

/// One whitespace- and quote-free piece of text: redacts the URL in it, if any.
fn redact_token(token: &str) -> String {
    let start = match token.find("://") {
        // the scheme before `://`: letters, digits, `+`, `-`, `.`
        Some(sep) => token[..sep]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
            .map_or(0, |i| i + 1),
        None => match NETWORK_SCHEMES.iter().find_map(|s| {
            let lower = token.to_ascii_lowercase();
            lower
                .find(s)
                .filter(|&i| i == 0 || !token.as_bytes()[i - 1].is_ascii_alphanumeric())
        }) {
            Some(i) => i,
            None => return token.to_owned(),
        },
    };
    format!("{}{}", &token[..start], redact_one(&token[start..]))
}

/// `scheme://user:password@host/db?password=x` with both passwords replaced by `***`.
fn redact_one(url: &str) -> String {
    let head_end = match url.find("://") {
        Some(i) => i + 3,
        None => {
            // `postgres:/u:pw@host/db`, `mysql:u:pw@host`: no authority, perhaps credentials
            let colon = url.find(':').map_or(url.len(), |i| i + 1);
            colon + url[colon..].len() - url[colon..].trim_start_matches('/').len()
        }
    };
    let (head, rest) = url.split_at(head_end);
    // the user info ends at the last `@` of the authority (which ends at the first `/`, `?`
    // or `#`); when the authority has none but the rest has one, the password probably holds
    // an unescaped `/`, `?` or `#`: the user info ends at the rest's last `@`
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let at = rest[..authority_end].rfind('@').or_else(|| rest.rfind('@'));
    let (userinfo, tail) = match at {
        Some(at) => match rest[..at].find(':') {
            Some(colon) => (format!("{}:***", &rest[..colon]), &rest[at..]),
            None => (rest[..at].to_owned(), &rest[at..]),
        },
        None => (String::new(), rest),
    };
    format!("{head}{userinfo}{}", redact_query_password(tail))
}

/// `…?a=1&password=x` with the value of every `…password` parameter replaced by `***`.
fn redact_query_password(s: &str) -> String {
    let Some(q) = s.find('?') else {
        return s.to_owned();
    };
    let (before, query) = s.split_at(q + 1);
    let (query, fragment) = match query.find('#') {
        Some(h) => query.split_at(h),
        None => (query, ""),
    };
    let params: Vec<String> = query
        .split('&')
        .map(|p| match p.split_once('=') {
            Some((k, _)) if k.to_ascii_lowercase().ends_with("password") => format!("{k}=***"),
            _ => p.to_owned(),
        })
        .collect();
    format!("{before}{}{fragment}", params.join("&"))
}

/// Rows `fetch_*` can return: any type that implements `sqlx::FromRow` for the row type of
/// every backend compiled in (features `sqlite`, `postgres`, `mysql`), which
/// `#[derive(migrate_macros::FromRow)]` and `#[derive(sqlx::FromRow)]` do.
pub trait FromAnyRow: row::Sqlite + row::Postgres + row::MySql + Send + Unpin {}

impl<T> FromAnyRow for T where T: row::Sqlite + row::Postgres + row::MySql + Send + Unpin {}

/// One bound of [`FromAnyRow`] per backend: `sqlx::FromRow` of its row type when the backend is
/// compiled in, nothing otherwise.
#[doc(hidden)]
pub mod row {
    /// `sqlx::FromRow` for SQLite rows (feature `sqlite`).
    #[cfg(feature = "sqlite")]
    pub trait Sqlite: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow> {}
    #[cfg(feature = "sqlite")]
    impl<T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>> Sqlite for T {}
    /// No bound: SQLite is not compiled in.
    #[cfg(not(feature = "sqlite"))]
    pub trait Sqlite {}
    #[cfg(not(feature = "sqlite"))]
    impl<T> Sqlite for T {}

    /// `sqlx::FromRow` for PostgreSQL rows (feature `postgres`).
    #[cfg(feature = "postgres")]
    pub trait Postgres: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> {}
    #[cfg(feature = "postgres")]
    impl<T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>> Postgres for T {}
    /// No bound: PostgreSQL is not compiled in.
    #[cfg(not(feature = "postgres"))]
    pub trait Postgres {}
    #[cfg(not(feature = "postgres"))]
    impl<T> Postgres for T {}

    /// `sqlx::FromRow` for MySQL rows (feature `mysql`).
    #[cfg(feature = "mysql")]
    pub trait MySql: for<'r> sqlx::FromRow<'r, sqlx::mysql::MySqlRow> {}
    #[cfg(feature = "mysql")]
    impl<T: for<'r> sqlx::FromRow<'r, sqlx::mysql::MySqlRow>> MySql for T {}
    /// No bound: MySQL is not compiled in.
    #[cfg(not(feature = "mysql"))]
    pub trait MySql {}
    #[cfg(not(feature = "mysql"))]
    impl<T> MySql for T {}
}

/// A sea-query data statement (`Query::select()`, `insert()`, `update()`, `delete()`) that
/// [`Db::execute`] and the `fetch_*` methods run with bound values.
pub trait DataStatement: SqlxBinder + QueryStatementWriter {}
impl<T: SqlxBinder + QueryStatementWriter> DataStatement for T {}

/// A connection we own (opened from a URL) or one borrowed from the application's pool.
pub(crate) enum Handle<DB: sqlx::Database> {
    Owned(DB::Connection),
    Pooled(PoolConnection<DB>),
}

impl<DB: sqlx::Database> std::ops::Deref for Handle<DB> {
    type Target = DB::Connection;
    fn deref(&self) -> &DB::Connection {
        match self {
            Handle::Owned(c) => c,
            Handle::Pooled(c) => c,
        }
    }
}

impl<DB: sqlx::Database> std::ops::DerefMut for Handle<DB> {
    fn deref_mut(&mut self) -> &mut DB::Connection {
        match self {
            Handle::Owned(c) => c,
            Handle::Pooled(c) => c,
        }
    }
}

impl<DB: sqlx::Database> Handle<DB> {
    /// Makes sure the session ends when the handle is dropped (an owned connection always
    /// does; a pooled one would otherwise go back to the pool with its session state, such
    /// as a held advisory lock).
    pub(crate) fn close_on_drop(&mut self) {
        if let Handle::Pooled(c) = self {
            c.close_on_drop();
        }
    }
}

pub(crate) enum Conn {
    #[cfg(feature = "sqlite")]
    Sqlite(SqliteConn),
    #[cfg(feature = "postgres")]
    Postgres(Handle<Postgres>),
    #[cfg(feature = "mysql")]
    MySql(Handle<MySql>),
}

enum Target {
    Online(Conn),
    /// Offline (`--sql`) mode: statements are collected, nothing runs.
    Offline(Vec<String>),
}

/// The raw connection behind a [`Db`], for what the typed API does not cover.
#[non_exhaustive]
pub enum Connection<'a> {
    /// SQLite (feature `sqlite`).
    #[cfg(feature = "sqlite")]
    Sqlite(&'a mut sqlx::SqliteConnection),
    /// PostgreSQL (feature `postgres`).
    #[cfg(feature = "postgres")]
    Postgres(&'a mut sqlx::PgConnection),
    /// MySQL / MariaDB (feature `mysql`).
    #[cfg(feature = "mysql")]
    MySql(&'a mut sqlx::MySqlConnection),
}

/// The database handle: what `upgrade` and `downgrade` receive.
///
/// Inside a revision, everything runs in the revision's transaction (unless the revision
/// declared `transactional = false`), together with the version-table update.
///
/// - Typed schema operations built with sea-query: [`Db::create_table`], [`Db::drop_table`],
///   [`Db::rename_table`], [`Db::alter_table`] (add / drop / rename / modify column),
///   [`Db::create_index`], [`Db::drop_index`], [`Db::create_foreign_key`],
///   [`Db::drop_foreign_key`], or any statement with [`Db::schema`].
/// - Raw SQL, a whole multi-statement script: [`Db::sql`].
/// - Typed data access with bound values: [`Db::execute`], [`Db::fetch_all`],
///   [`Db::fetch_one`], [`Db::fetch_optional`] into `#[derive(sqlx::FromRow)]` structs.
///
/// In offline mode (`--sql`), statements are rendered as SQL text instead of run, and the
/// `fetch_*` methods fail with [`Error::OfflineRead`].
pub struct Db {
    backend: Backend,
    target: Target,
    pub(crate) last_statement: Option<String>,
    pub(crate) revision: &'static str,
    /// Calls that succeeded since the runner last reset it (one revision's worth).
    pub(crate) calls_ok: u32,
    /// Whether the last call was atomic on its own: PostgreSQL runs a whole simple-protocol
    /// script as one implicit transaction; elsewhere only a single statement is.
    pub(crate) last_call_atomic: bool,
    /// A transaction start (`BEGIN`) not sent yet: it goes out with the next statement, which
    /// saves a round trip per revision.
    pub(crate) deferred: Option<&'static str>,
    /// Set while a runner command runs on this handle, with whether it holds the migration
    /// lock; still set when the next command starts only if that run was cancelled midway
    /// (its future dropped), leaving its transaction open and its lock held.
    pub(crate) unfinished_run: Option<bool>,
    /// While the runner runs a revision outside a covering transaction: the statements that
    /// completed (one line each, shortened), for the message that says what a failure left.
    pub(crate) ran: Option<Vec<String>>,
    /// Offline mode: how many statements were collected when the current revision started
    /// (the script is cut back there when the revision cannot be rendered).
    pub(crate) offline_mark: usize,
    /// Set when a script fails: which of its statements failed, and how many it has.
    script_position: Option<(usize, usize)>,
    /// Offline on SQLite: the shadow database the script is replayed in (batch mode reads
    /// table definitions from it).
    #[cfg(feature = "sqlite")]
    pub(crate) shadow: Option<crate::sqlite_batch::Shadow>,
    /// How to open another connection to the same database (the lock table's renewal task,
    /// `--lock auto`'s probe); `None` offline.
    pub(crate) reopen: Option<Reopen>,
    /// The lock table's lease while a command holds it (`--lock table`).
    pub(crate) lease: Option<crate::lock::Lease>,
    /// What the server was found to do ([`Db::probe_capabilities`]), once probed.
    pub(crate) capabilities: Option<crate::lock::Capabilities>,
}

/// How to open another connection to the database of a [`Db`].
#[derive(Clone)]
pub(crate) enum Reopen {
    /// Connect to the URL again.
    Url(String, ConnectOptions),
    /// Take another connection of the application's pool.
    #[cfg(feature = "postgres")]
    Postgres(sqlx::PgPool),
    /// Take another connection of the application's pool.
    #[cfg(feature = "mysql")]
    MySql(sqlx::MySqlPool),
}

impl Reopen {
    /// Opens the other connection.
    pub(crate) async fn open(&self) -> Result<Db, Error> {
        match self {
            Reopen::Url(url, options) => Db::connect_with(url, options).await,
            #[cfg(feature = "postgres")]
            Reopen::Postgres(pool) => Db::from_pg_pool(pool).await,
            #[cfg(feature = "mysql")]
            Reopen::MySql(pool) => Db::from_mysql_pool(pool).await,
        }
    }
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("backend", &self.backend)
            .field("offline", &self.is_offline())
            .finish_non_exhaustive()
    }
}

/// Whether a raw script is a single statement. Conservative: a `;` anywhere but at the end
/// (even inside a string literal) counts as several statements.
pub(crate) fn is_one_statement(script: &str) -> bool {
    !script.trim().trim_end_matches(';').contains(';')
}

/// Runs a raw multi-statement script through sqlx (PostgreSQL: one simple-query message).
#[cfg(any(feature = "postgres", feature = "mysql"))]
async fn raw_execute<DB: sqlx::Database>(
    c: &mut DB::Connection,
    script: String,
) -> Result<(), sqlx::Error>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
{
    sqlx::raw_sql(AssertSqlSafe(script))
        .execute(c)
        .await
        .map(|_| ())
}

/// Where a multi-statement script failed, as the backend tells it.
enum Failed {
    /// After this many results (PostgreSQL and MySQL: one per completed statement).
    #[cfg(any(feature = "postgres", feature = "mysql"))]
    After(usize),
    /// In the statement whose text starts at this byte of the batch (SQLite).
    #[cfg(feature = "sqlite")]
    At(usize),
}

/// Runs a raw multi-statement script through sqlx, counting the statements that completed:
/// on failure, how many completed before the failing one (PostgreSQL and MySQL report one
/// result per statement).
#[cfg(any(feature = "postgres", feature = "mysql"))]
async fn raw_execute_counting<DB: sqlx::Database>(
    c: &mut DB::Connection,
    script: String,
) -> Result<(), (usize, sqlx::Error)>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
{
    let mut stream = sqlx::raw_sql(AssertSqlSafe(script)).execute_many(c);
    let mut done = 0;
    while let Some(r) = std::future::poll_fn(|cx| stream.as_mut().poll_next(cx)).await {
        match r {
            Ok(_) => done += 1,
            Err(e) => return Err((done, e)),
        }
    }
    Ok(())
}

/// The statements of a raw script, as byte ranges: split at the `;`s outside string
/// literals (`'…'`, with `''` and, on MySQL, `\'`), quoted identifiers (`"…"`, `` `…` ``),
/// comments (`-- …`, `/* … */`) and PostgreSQL dollar quotes (`$tag$…$tag$`); pieces with
/// nothing but blanks and comments are not statements. What the servers do for the usual
/// scripts; a `BEGIN … END` body with `;` inside (a trigger) is split where the server would
/// not, which only makes the quoted statement shorter than the real one.
pub(crate) fn split_statements(script: &str, backend: Backend) -> Vec<std::ops::Range<usize>> {
    let b = script.as_bytes();
    let mut out = Vec::new();
    let (mut start, mut i, mut code) = (0, 0, false);
    while i < b.len() {
        let c = b[i];
        match c {
            b'\'' | b'"' | b'`' => {
                code = true;
                i += 1;
                while i < b.len() {
                    if backend == Backend::MySql && c == b'\'' && b[i] == b'\\' {
                        i += 2;
                        continue;
                    }
                    if b[i] == c {
                        if b.get(i + 1) == Some(&c) {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                i += 1;
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                    i += 1;
                }
                i += 2;
            }
            b'$' if backend == Backend::Postgres => {
                code = true;
                let tag_end = b[i + 1..]
                    .iter()
                    .position(|&x| !(x.is_ascii_alphanumeric() || x == b'_'))
                    .map(|n| i + 1 + n);
                match tag_end {
                    Some(e) if b[e] == b'$' => {
                        let tag = &script[i..=e];
                        match script[e + 1..].find(tag) {
                            Some(close) => i = e + 1 + close + tag.len(),
                            None => i = b.len(),
                        }
                    }
                    _ => i += 1,
                }
            }
            b';' => {
                if code {
                    out.push(start..i);
                }
                start = i + 1;
                code = false;
                i += 1;
            }
            c => {
                code |= !c.is_ascii_whitespace();
                i += 1;
            }
        }
    }
    if code {
        out.push(start..b.len().min(script.len()));
    }
    out
}

/// Awaits a connection attempt for at most `timeout`; a server that never completes the
/// handshake becomes a [`ConnectTimedOut`] I/O error naming the wait.
#[cfg(any(feature = "postgres", feature = "mysql"))]
async fn within<C>(
    timeout: Duration,
    connect: impl std::future::Future<Output = Result<C, sqlx::Error>>,
) -> Result<C, sqlx::Error> {
    tokio::time::timeout(timeout, connect)
        .await
        .unwrap_or_else(|_| {
            Err(sqlx::Error::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                ConnectTimedOut(timeout),
            )))
        })
}

/// The I/O error of a connection attempt that got no complete answer within the timeout.
#[derive(Debug)]
struct ConnectTimedOut(Duration);

impl std::fmt::Display for ConnectTimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let d = self.0;
        if d.subsec_millis() == 0 {
            write!(f, "no answer within {} s", d.as_secs())
        } else {
            write!(f, "no answer within {} ms", d.as_millis())
        }
    }
}

impl std::error::Error for ConnectTimedOut {}

/// A failed connection attempt as an [`Error`]: [`Error::NoProtocol`] when the server
/// accepted the connection but gave no answer in time, answered in another protocol, or
/// closed the connection before the handshake; else [`Error::Connect`].
fn connect_error(url: &str, backend: Backend, e: sqlx::Error) -> Error {
    let protocol = match backend {
        Backend::Postgres => "PostgreSQL",
        Backend::MySql => "MySQL",
        Backend::Sqlite => "SQLite",
    };
    let no_protocol = |detail: String| Error::NoProtocol {
        url: redact_url(url),
        protocol,
        detail: redact_url(&detail),
    };
    match &e {
        sqlx::Error::Io(io)
            if io
                .get_ref()
                .is_some_and(|inner| inner.downcast_ref::<ConnectTimedOut>().is_some()) =>
        {
            no_protocol(io.to_string())
        }
        sqlx::Error::Io(io)
            if backend != Backend::Sqlite
                && matches!(
                    io.kind(),
                    std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset
                ) =>
        {
            no_protocol(format!("it closed the connection: {io}"))
        }
        sqlx::Error::Protocol(_) | sqlx::Error::Decode(_) if backend != Backend::Sqlite => {
            no_protocol(format!("it answered something else: {e}"))
        }
        _ => Error::Connect {
            url: redact_url(url),
            source: e,
        },
    }
}

#[cfg(feature = "sqlite")]
/// Whether a SQLite URL names an in-memory database (`sqlite::memory:`,
/// `sqlite://:memory:`, `mode=memory`, `file::memory:`) or a temporary one (an empty file
/// name, which SQLite turns into a private temporary file deleted on close).
pub(crate) fn sqlite_in_memory(url: &str, opts: &sqlx::sqlite::SqliteConnectOptions) -> bool {
    // (not through sqlx's `to_url_lossy`, which panics on its own in-memory file names)
    let file = opts.get_filename().to_string_lossy();
    let query = url.split_once('?').map_or("", |(_, q)| q);
    file.is_empty()
        || file.starts_with("file:sqlx-in-memory-")
        || file == ":memory:"
        || file.starts_with("file::memory:")
        || url::form_urlencoded::parse(query.as_bytes()).any(|(k, v)| k == "mode" && v == "memory")
}

/// How often a PostgreSQL server checks, while it runs one of our statements, that the client
/// is still connected (`client_connection_check_interval`, PostgreSQL 14+): when a runner dies
/// midway, its statement is cancelled and its lock released within this time.
#[cfg(feature = "postgres")]
pub const CLIENT_CHECK_INTERVAL: Duration = Duration::from_secs(2);

/// How [`Db::connect_with`] opens a database.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ConnectOptions {
    /// How long the server has to complete its handshake (PostgreSQL, MySQL); a server that
    /// accepts the connection but does not answer in its protocol within this time gives
    /// [`Error::NoProtocol`]. Default 10 s (the CLI's `--connect-timeout`).
    pub connect_timeout: Duration,
    /// How long SQLite waits for another connection's write lock. Default 60 s (the CLI's
    /// `--lock-timeout`).
    pub busy_timeout: Duration,
    /// Whether a missing SQLite file is created (true by default). The CLI sets it for the
    /// commands that write (`upgrade`, `stamp`) only, so a mistyped path given to `current`
    /// or `downgrade` is an error instead of a new empty database.
    pub create_sqlite_file: bool,
    /// The command's name for [`Error::NoSuchSqliteFile`] (default `"this command"`).
    pub command: &'static str,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            connect_timeout: Duration::from_secs(10),
            busy_timeout: Duration::from_secs(60),
            create_sqlite_file: true,
            command: "this command",
        }
    }
}

impl ConnectOptions {
    /// Sets [`ConnectOptions::connect_timeout`].
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets [`ConnectOptions::busy_timeout`].
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }

    /// Sets [`ConnectOptions::create_sqlite_file`] and the command named by
    /// [`Error::NoSuchSqliteFile`].
    pub fn create_sqlite_file(mut self, create: bool, command: &'static str) -> Self {
        self.create_sqlite_file = create;
        self.command = command;
        self
    }
}

fn db_err(context: impl Into<String>) -> impl FnOnce(sqlx::Error) -> Error {
    let context = context.into();
    move |source| Error::Database { context, source }
}

/// Runs `$body` with `$c` bound to the connection of whichever backend `$conn` holds, and
/// optionally `$b` to that backend's sea-query builder.
macro_rules! on_conn {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            #[cfg(feature = "sqlite")]
            Conn::Sqlite($c) => $body,
            #[cfg(feature = "postgres")]
            Conn::Postgres($c) => $body,
            #[cfg(feature = "mysql")]
            Conn::MySql($c) => $body,
        }
    };
    ($conn:expr, $c:ident, $b:ident => $body:expr) => {
        match $conn {
            #[cfg(feature = "sqlite")]
            Conn::Sqlite($c) => {
                let $b = ::sea_query::SqliteQueryBuilder;
                $body
            }
            #[cfg(feature = "postgres")]
            Conn::Postgres($c) => {
                let $b = ::sea_query::PostgresQueryBuilder;
                $body
            }
            #[cfg(feature = "mysql")]
            Conn::MySql($c) => {
                let $b = ::sea_query::MysqlQueryBuilder;
                $body
            }
        }
    };
}

/// Evaluates `$body` with `$b` bound to `$backend`'s sea-query builder (each builder is its
/// own type, so the body is instantiated once per backend). A backend that is not compiled in
/// panics: no [`Db`] is ever made for one ([`Db::offline`] and [`Backend::from_url`] refuse).
macro_rules! with_builder {
    ($backend:expr, $b:ident => $body:expr) => {
        match $backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite => {
                let $b = ::sea_query::SqliteQueryBuilder;
                $body
            }
            #[cfg(feature = "postgres")]
            Backend::Postgres => {
                let $b = ::sea_query::PostgresQueryBuilder;
                $body
            }
            #[cfg(feature = "mysql")]
            Backend::MySql => {
                let $b = ::sea_query::MysqlQueryBuilder;
                $body
            }
            #[allow(unreachable_patterns)]
            other => unreachable!("the {other} backend is not compiled in"),
        }
    };
}
pub(crate) use {on_conn, with_builder};

impl Db {
    /// Connects to `url` (`sqlite:path`, `postgres://…`, `mysql://…`) with the default
    /// [`ConnectOptions`]: a SQLite file is created when missing, 30 s to connect and for
    /// SQLite's busy timeout.
    ///
    /// # Errors
    /// As [`Db::connect_with`].
    pub async fn connect(url: &str) -> Result<Db, Error> {
        Db::connect_with_timeout(url, Duration::from_secs(30)).await
    }

    /// [`Db::connect`] with `timeout` both to connect and as SQLite's busy timeout.
    ///
    /// # Errors
    /// As [`Db::connect_with`].
    pub async fn connect_with_timeout(url: &str, timeout: Duration) -> Result<Db, Error> {
        Db::connect_with(
            url,
            &ConnectOptions {
                connect_timeout: timeout,
                busy_timeout: timeout,
                ..ConnectOptions::default()
            },
        )
        .await
    }

    /// Connects to `url` (`sqlite:path`, `postgres://…`, `mysql://…`) as `options` say.
    ///
    /// PostgreSQL sessions are named `cargo-migrate` in `pg_stat_activity` unless the URL
    /// sets `application_name`, and get TCP keepalives (`tcp_keepalives_idle` 30 s, then every 10 s,
    /// 3 probes: a client whose host died or whose network is gone is noticed within about a
    /// minute) and, on PostgreSQL 14 and later, `client_connection_check_interval` of
    /// [`CLIENT_CHECK_INTERVAL`], so a statement whose client process died (a crashed or
    /// killed runner) is cancelled, its transaction rolled back and its session's migration
    /// lock released, instead of running to its end. The URL's password is remembered so
    /// that no message ever shows it ([`remember_url_secrets`]).
    ///
    /// # Errors
    /// - [`Error::BadUrl`] for an unknown scheme or an unparsable URL, or a SQLite file whose
    ///   directory does not exist.
    /// - [`Error::NoSuchSqliteFile`] when the SQLite file does not exist and
    ///   `options.create_sqlite_file` is false.
    /// - [`Error::NoProtocol`] when the server accepts the connection but does not complete
    ///   its handshake within `options.connect_timeout`, or answers in another protocol.
    /// - [`Error::Connect`] when the server is down, the credentials are wrong or the
    ///   database does not exist.
    ///
    /// No error message contains the URL's password.
    pub async fn connect_with(url: &str, options: &ConnectOptions) -> Result<Db, Error> {
        remember_url_secrets(url);
        let backend = Backend::from_url(url)?;
        use sqlx::ConnectOptions as _;
        let bad = |e: sqlx::Error| Error::BadUrl {
            url: redact_url(url),
            reason: redact_url(&e.to_string()),
        };
        let conn = match backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite => {
                let opts = sqlx::sqlite::SqliteConnectOptions::from_str(url)
                    .map_err(bad)?
                    .create_if_missing(options.create_sqlite_file)
                    .busy_timeout(options.busy_timeout);
                let file = opts.get_filename();
                let in_memory = sqlite_in_memory(url, &opts);
                // SQLite creates a missing file but not its directory, and then only says
                // "unable to open database file"
                if !in_memory
                    && let Some(dir) = file.parent()
                    && !dir.as_os_str().is_empty()
                    && !dir.is_dir()
                {
                    return Err(Error::BadUrl {
                        url: redact_url(url),
                        reason: redact_url(&format!(
                            "the directory `{}` does not exist; create it first (SQLite creates \
                             the database file, not its directory)",
                            dir.display()
                        )),
                    });
                }
                if !in_memory && !options.create_sqlite_file && !file.exists() {
                    return Err(Error::NoSuchSqliteFile {
                        path: redact_url(&file.display().to_string()),
                        command: options.command,
                    });
                }
                Conn::Sqlite(SqliteConn::new(Handle::Owned(
                    opts.connect()
                        .await
                        .map_err(|e| connect_error(url, backend, e))?,
                )))
            }
            #[cfg(feature = "postgres")]
            Backend::Postgres => {
                let mut opts = sqlx::postgres::PgConnectOptions::from_str(url).map_err(bad)?;
                if opts.get_application_name().is_none() {
                    // names our sessions in `pg_stat_activity` (and in a lock holder's
                    // description, see `runner::lock_holder`)
                    opts = opts.application_name("cargo-migrate");
                }
                let opts = opts.options([
                    ("tcp_keepalives_idle", "30"),
                    ("tcp_keepalives_interval", "10"),
                    ("tcp_keepalives_count", "3"),
                ]);
                let mut c = within(options.connect_timeout, opts.connect())
                    .await
                    .map_err(|e| connect_error(url, backend, e))?;
                if c.server_version_num().is_some_and(|v| v >= 140_000) {
                    sqlx::raw_sql(AssertSqlSafe(format!(
                        "SET client_connection_check_interval = {}",
                        CLIENT_CHECK_INTERVAL.as_millis()
                    )))
                    .execute(&mut c)
                    .await
                    .map_err(db_err("setting client_connection_check_interval"))?;
                }
                Conn::Postgres(Handle::Owned(c))
            }
            #[cfg(feature = "mysql")]
            Backend::MySql => {
                let opts = sqlx::mysql::MySqlConnectOptions::from_str(url).map_err(bad)?;
                Conn::MySql(Handle::Owned(
                    within(options.connect_timeout, opts.connect())
                        .await
                        .map_err(|e| connect_error(url, backend, e))?,
                ))
            }
            // `Backend::from_url` refused a backend that is not compiled in
            #[allow(unreachable_patterns)]
            other => return Err(other.ensure_compiled().expect_err("not compiled in")),
        };
        let mut db = Db::from_conn(backend, conn);
        db.reopen = Some(Reopen::Url(url.to_owned(), options.clone()));
        Ok(db)
    }

    /// A handle on one connection of the application's SQLite pool (feature `sqlite`).
    ///
    /// # Errors
    /// [`Error::Database`] when no connection can be acquired.
    #[cfg(feature = "sqlite")]
    pub async fn from_sqlite_pool(pool: &sqlx::SqlitePool) -> Result<Db, Error> {
        let c = pool
            .acquire()
            .await
            .map_err(db_err("acquiring a connection"))?;
        Ok(Db::from_conn(
            Backend::Sqlite,
            Conn::Sqlite(SqliteConn::new(Handle::Pooled(c))),
        ))
    }

    /// A handle on one connection of the application's PostgreSQL pool (feature `postgres`).
    ///
    /// # Errors
    /// [`Error::Database`] when no connection can be acquired.
    #[cfg(feature = "postgres")]
    pub async fn from_pg_pool(pool: &sqlx::PgPool) -> Result<Db, Error> {
        let c = pool
            .acquire()
            .await
            .map_err(db_err("acquiring a connection"))?;
        let mut db = Db::from_conn(Backend::Postgres, Conn::Postgres(Handle::Pooled(c)));
        db.reopen = Some(Reopen::Postgres(pool.clone()));
        Ok(db)
    }

    /// A handle on one connection of the application's MySQL pool (feature `mysql`).
    ///
    /// # Errors
    /// [`Error::Database`] when no connection can be acquired.
    #[cfg(feature = "mysql")]
    pub async fn from_mysql_pool(pool: &sqlx::MySqlPool) -> Result<Db, Error> {
        let c = pool
            .acquire()
            .await
            .map_err(db_err("acquiring a connection"))?;
        let mut db = Db::from_conn(Backend::MySql, Conn::MySql(Handle::Pooled(c)));
        db.reopen = Some(Reopen::MySql(pool.clone()));
        Ok(db)
    }

    fn from_conn(backend: Backend, conn: Conn) -> Db {
        Db {
            backend,
            target: Target::Online(conn),
            last_statement: None,
            revision: "",
            calls_ok: 0,
            last_call_atomic: true,
            deferred: None,
            unfinished_run: None,
            ran: None,
            offline_mark: 0,
            script_position: None,
            #[cfg(feature = "sqlite")]
            shadow: None,
            reopen: None,
            lease: None,
            capabilities: None,
        }
    }

    /// An offline (`--sql`) handle: statements for `backend` are collected as text (on
    /// SQLite also replayed in an in-memory shadow database, where batch mode reads table
    /// definitions).
    ///
    /// # Panics
    /// When `backend` is not compiled in ([`Backend::is_compiled`]): its SQL dialect is not
    /// there to render with. Check with [`Backend::ensure_compiled`] first.
    pub fn offline(backend: Backend) -> Db {
        assert!(
            backend.is_compiled(),
            "the {backend} backend is not compiled in (migrate-core feature \"{backend}\")"
        );
        Db {
            backend,
            target: Target::Offline(Vec::new()),
            last_statement: None,
            revision: "",
            calls_ok: 0,
            last_call_atomic: true,
            deferred: None,
            unfinished_run: None,
            ran: None,
            offline_mark: 0,
            script_position: None,
            #[cfg(feature = "sqlite")]
            shadow: (backend == Backend::Sqlite).then(crate::sqlite_batch::Shadow::default),
            reopen: None,
            lease: None,
            capabilities: None,
        }
    }

    /// The backend this handle talks to (or renders for, offline).
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Whether DDL on this connection runs inside a transaction and rolls back with it: what
    /// [`Db::probe_capabilities`] found, once it ran on this handle (`--lock auto` runs it);
    /// before that, the backend's rule ([`Backend::transactional_ddl`]). Where it is false
    /// the runner records each revision as `pending` first and `applied` after (the MySQL
    /// model), so a failure midway leaves a recorded, recoverable state.
    pub fn transactional_ddl(&self) -> bool {
        match &self.capabilities {
            Some(c) => c.transactional_ddl,
            None => self.backend.transactional_ddl(),
        }
    }

    /// What the server behind this connection can do ([`crate::lock::Capabilities`]):
    /// probed once (a few round trips, nothing left behind), then kept on the handle and
    /// used by the runner to pick the lock (`--lock auto`) and to decide how revisions are
    /// recorded ([`Db::transactional_ddl`]). SQLite and offline: the backend's rules, without
    /// a probe.
    ///
    /// # Errors
    /// [`Error::Database`] when a probe statement fails for another reason than a missing
    /// function or privilege.
    pub async fn probe_capabilities(&mut self) -> Result<crate::lock::Capabilities, Error> {
        if let Some(c) = &self.capabilities {
            return Ok(c.clone());
        }
        let c = crate::lock::probe_capabilities(self).await?;
        self.capabilities = Some(c.clone());
        Ok(c)
    }

    /// True in offline (`--sql`) mode.
    pub fn is_offline(&self) -> bool {
        matches!(self.target, Target::Offline(_))
    }

    /// Offline mode: takes the statements collected so far (each a complete statement
    /// without its terminating `;`, or a `-- comment` line). Empty online.
    pub fn take_script(&mut self) -> Vec<String> {
        match &mut self.target {
            Target::Offline(v) => std::mem::take(v),
            Target::Online(_) => Vec::new(),
        }
    }

    /// Offline mode: how many statements were collected so far (0 online).
    pub(crate) fn script_len(&self) -> usize {
        match &self.target {
            Target::Offline(v) => v.len(),
            Target::Online(_) => 0,
        }
    }

    /// Offline mode: drops the statements collected after the first `len`.
    pub(crate) fn truncate_script(&mut self, len: usize) {
        if let Target::Offline(v) = &mut self.target {
            v.truncate(len);
        }
    }

    /// Closes the connection cleanly (a connection opened by [`Db::connect`]); a pooled
    /// connection goes back to its pool.
    pub async fn close(mut self) {
        use sqlx::Connection as _;
        if let Some(lease) = self.lease.take() {
            // a command of this handle was cancelled while it held the lock table's lease:
            // end the transaction it may have left open, then release the lease
            if self.unfinished_run.is_some() && self.deferred.take().is_none() {
                let _ = self.sql("ROLLBACK").await;
            }
            lease.release(&mut self).await;
        }
        if let Target::Online(conn) = self.target {
            let _ = match conn {
                #[cfg(feature = "sqlite")]
                Conn::Sqlite(c) => match c.into_handle() {
                    Handle::Owned(c) => c.close().await,
                    Handle::Pooled(_) => Ok(()),
                },
                #[cfg(feature = "postgres")]
                Conn::Postgres(Handle::Owned(c)) => c.close().await,
                #[cfg(feature = "mysql")]
                Conn::MySql(Handle::Owned(c)) => c.close().await,
                #[allow(unreachable_patterns)]
                _ => Ok(()),
            };
        }
    }

    /// The raw sqlx connection, for what the typed API does not cover. Statements run on it
    /// are part of the revision's transaction.
    ///
    /// # Errors
    /// [`Error::OfflineRead`] in offline mode.
    pub async fn connection(&mut self) -> Result<Connection<'_>, Error> {
        self.flush_deferred().await?;
        let revision = self.revision;
        match &mut self.target {
            #[cfg(feature = "sqlite")]
            Target::Online(Conn::Sqlite(c)) => Ok(Connection::Sqlite(c)),
            #[cfg(feature = "postgres")]
            Target::Online(Conn::Postgres(c)) => Ok(Connection::Postgres(c)),
            #[cfg(feature = "mysql")]
            Target::Online(Conn::MySql(c)) => Ok(Connection::MySql(c)),
            Target::Offline(_) => Err(Error::OfflineRead {
                revision: revision.into(),
                operation: "connection",
            }),
        }
    }

    /// Runs any sea-query schema statement (`Table::create()`, `Index::drop()`, …) rendered
    /// for this backend.
    ///
    /// # Errors
    /// [`Error::Unsupported`] when the backend cannot express it (sea-query refuses, e.g.
    /// several alterations in one `ALTER TABLE` on SQLite); [`Error::Database`] when the
    /// database rejects it.
    pub async fn schema<S: SchemaStatementBuilder>(&mut self, statement: &S) -> Result<(), Error> {
        let sql = self.render_schema(statement)?;
        self.sql(&sql).await
    }

    /// `statement` in this backend's SQL; [`Error::Unsupported`] when sea-query cannot render
    /// it (it panics: caught here).
    fn render_schema<S: SchemaStatementBuilder>(&self, statement: &S) -> Result<String, Error> {
        let backend = self.backend;
        catch_unwind(AssertUnwindSafe(
            || with_builder!(backend, b => statement.build(b)),
        ))
        .map_err(|panic| Error::Unsupported {
            backend: backend.name(),
            detail: panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "sea-query cannot render this statement".into()),
        })
    }

    /// `CREATE TABLE`: `db.create_table(Table::create().table("users").col(…).to_owned())`.
    ///
    /// # Errors
    /// As [`Db::schema`].
    pub async fn create_table(
        &mut self,
        statement: sea_query::TableCreateStatement,
    ) -> Result<(), Error> {
        self.schema(&statement).await
    }

    /// `DROP TABLE`.
    ///
    /// # Errors
    /// As [`Db::schema`].
    pub async fn drop_table(
        &mut self,
        statement: sea_query::TableDropStatement,
    ) -> Result<(), Error> {
        self.schema(&statement).await
    }

    /// `ALTER TABLE … RENAME TO …`.
    ///
    /// # Errors
    /// As [`Db::schema`].
    pub async fn rename_table(
        &mut self,
        statement: sea_query::TableRenameStatement,
    ) -> Result<(), Error> {
        self.schema(&statement).await
    }

    /// `ALTER TABLE`: add, drop, rename or modify a column
    /// (`Table::alter().table("users").add_column(…)`). On SQLite, what SQLite's own ALTER
    /// TABLE cannot do (several options in one statement, dropping a constraint or a foreign
    /// key, dropping a column SQLite refuses to drop) is done by a rebuild of the table
    /// ([`Db::batch_alter_table`]); a column's new definition cannot be read out of the
    /// statement, so modifying a column on SQLite is [`Db::alter_column`]'s job.
    ///
    /// # Errors
    /// As [`Db::schema`].
    pub async fn alter_table(
        &mut self,
        statement: sea_query::TableAlterStatement,
    ) -> Result<(), Error> {
        if self.backend == Backend::Sqlite {
            return self.sqlite_alter_table(&statement).await;
        }
        self.schema(&statement).await
    }

    /// `CREATE INDEX`.
    ///
    /// # Errors
    /// As [`Db::schema`].
    pub async fn create_index(
        &mut self,
        statement: sea_query::IndexCreateStatement,
    ) -> Result<(), Error> {
        self.schema(&statement).await
    }

    /// `DROP INDEX`. Give the index's table (`Index::drop().name("ix").table("posts")`):
    /// MySQL drops an index by table, PostgreSQL and SQLite ignore it, so the revision runs on
    /// all three.
    ///
    /// # Errors
    /// As [`Db::schema`]; [`Error::Unsupported`] on MySQL when the statement names no table
    /// (sea-query would send `DROP INDEX … ON` with nothing after it), before anything runs.
    pub async fn drop_index(
        &mut self,
        statement: sea_query::IndexDropStatement,
    ) -> Result<(), Error> {
        let sql = self.render_schema(&statement)?;
        if self.backend == Backend::MySql && sql.trim_end().ends_with(" ON") {
            return Err(Error::Unsupported {
                backend: self.backend.name(),
                detail: format!(
                    "`{sql}` names no table: MySQL drops an index by table; add \
                     `.table(\"…\")` to `Index::drop()` (PostgreSQL and SQLite ignore it)"
                ),
            });
        }
        self.sql(&sql).await
    }

    /// `ALTER TABLE … ADD CONSTRAINT … FOREIGN KEY`; on SQLite by a rebuild of the table
    /// ([`Db::batch_alter_table`]), which checks the existing rows against it.
    ///
    /// # Errors
    /// As [`Db::schema`].
    pub async fn create_foreign_key(
        &mut self,
        statement: sea_query::ForeignKeyCreateStatement,
    ) -> Result<(), Error> {
        if self.backend == Backend::Sqlite {
            return self.sqlite_create_foreign_key(&statement).await;
        }
        self.schema(&statement).await
    }

    /// `ALTER TABLE … DROP CONSTRAINT` / `DROP FOREIGN KEY`; on SQLite by a rebuild of the
    /// table ([`Db::batch_alter_table`]).
    ///
    /// # Errors
    /// As [`Db::schema`].
    pub async fn drop_foreign_key(
        &mut self,
        statement: sea_query::ForeignKeyDropStatement,
    ) -> Result<(), Error> {
        if self.backend == Backend::Sqlite {
            return self.sqlite_drop_foreign_key(&statement).await;
        }
        self.schema(&statement).await
    }

    /// Runs a raw SQL script: one statement or many separated by `;`, with dollar quoting,
    /// functions and triggers as the database accepts them (sent as one simple-protocol
    /// batch, no bound parameters).
    ///
    /// # Errors
    /// [`Error::Database`] with the database's message when any statement fails.
    pub async fn sql(&mut self, script: &str) -> Result<(), Error> {
        match &mut self.target {
            Target::Offline(out) => {
                out.push(script.trim().trim_end_matches(';').trim_end().to_owned());
                #[cfg(feature = "sqlite")]
                if let Some(shadow) = &mut self.shadow {
                    shadow.replay(script);
                }
                Ok(())
            }
            Target::Online(conn) => {
                self.last_statement = Some(script.to_owned());
                tracing::debug!(statement = script, "running sql");
                self.last_call_atomic =
                    self.backend == Backend::Postgres || is_one_statement(script);
                let begin = self.deferred.take();
                let prefix = begin.map_or(0, |b| b.len() + 2);
                let batch = match begin {
                    Some(begin) => format!("{begin};\n{script}"),
                    None => script.to_owned(),
                };
                let one = is_one_statement(script);
                let r = match conn {
                    // on SQLite's own thread, without the worker round trip (`crate::sqlite`)
                    #[cfg(feature = "sqlite")]
                    Conn::Sqlite(c) if one => c.exec(&batch).await,
                    // a script: SQLite says where the failing statement starts
                    #[cfg(feature = "sqlite")]
                    Conn::Sqlite(c) => c.exec_script(&batch).await.map_err(|(at, e)| match at {
                        Some(at) => self.failed_in_script(script, prefix, Failed::At(at), e),
                        None => e,
                    }),
                    #[cfg(feature = "postgres")]
                    Conn::Postgres(c) if one => raw_execute::<Postgres>(c, batch).await,
                    #[cfg(feature = "mysql")]
                    Conn::MySql(c) if one => raw_execute::<MySql>(c, batch).await,
                    // a script: find the statement that failed
                    #[cfg(feature = "postgres")]
                    Conn::Postgres(c) => {
                        raw_execute_counting::<Postgres>(c, batch)
                            .await
                            .map_err(|(done, e)| {
                                self.failed_in_script(script, prefix, Failed::After(done), e)
                            })
                    }
                    #[cfg(feature = "mysql")]
                    Conn::MySql(c) => {
                        raw_execute_counting::<MySql>(c, batch)
                            .await
                            .map_err(|(done, e)| {
                                self.failed_in_script(script, prefix, Failed::After(done), e)
                            })
                    }
                };
                self.calls_ok += u32::from(r.is_ok());
                if r.is_ok()
                    && let Some(ran) = &mut self.ran
                {
                    ran.push(crate::error::one_line(script));
                }
                let context = match self.script_position.take() {
                    Some((n, of)) => format!("executing statement {n} of {of} of the SQL script"),
                    None => "executing SQL".to_owned(),
                };
                r.map_err(db_err(context))
            }
        }
    }

    /// A multi-statement script failed (sent with a deferred `BEGIN` in front of it, `prefix`
    /// bytes long, counted in `how`): names the failing statement in `last_statement` (by
    /// where SQLite says it starts, by the server's error position when PostgreSQL gives one,
    /// else by the count of results), records the ones that completed, and returns the error.
    fn failed_in_script(
        &mut self,
        script: &str,
        prefix: usize,
        how: Failed,
        e: sqlx::Error,
    ) -> sqlx::Error {
        #[cfg(feature = "sqlite")]
        if matches!(how, Failed::At(at) if at < prefix) {
            return e; // the deferred `BEGIN` failed, not the script
        }
        let statements = split_statements(script, self.backend);
        let (by_count, at) = match how {
            #[cfg(any(feature = "postgres", feature = "mysql"))]
            Failed::After(done) => (done.saturating_sub(usize::from(prefix > 0)), None),
            // the statement whose text (blanks before it included) starts at or after `at`
            #[cfg(feature = "sqlite")]
            Failed::At(at) => (
                0,
                at.checked_sub(prefix)
                    .and_then(|at| statements.iter().position(|r| r.end > at)),
            ),
        };
        // PostgreSQL: a 1-based character position in the batch sent
        #[cfg(not(feature = "postgres"))]
        let by_position = None;
        #[cfg(feature = "postgres")]
        let by_position = match &e {
            sqlx::Error::Database(d) => d
                .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                .and_then(|pg| match pg.position() {
                    Some(sqlx::postgres::PgErrorPosition::Original(p)) => Some(p),
                    _ => None,
                })
                .and_then(|p| {
                    let batch_chars = p.checked_sub(1)?;
                    let byte = script
                        .char_indices()
                        .nth(batch_chars.checked_sub(prefix)?)
                        .map(|(b, _)| b)?;
                    statements
                        .iter()
                        .position(|r| r.contains(&byte) || r.end == byte)
                }),
            _ => None,
        };
        let index = at.or(by_position).unwrap_or(by_count);
        if let Some(range) = statements.get(index) {
            let failing = script[range.clone()].trim().to_owned();
            self.last_statement = Some(failing);
            if statements.len() > 1 {
                self.script_position = Some((index + 1, statements.len()));
            }
            if let Some(ran) = &mut self.ran {
                for r in &statements[..index] {
                    ran.push(crate::error::one_line(&script[r.clone()]));
                }
            }
            // nothing of the script took effect when its first statement failed
            if index == 0 {
                self.last_call_atomic = true;
            }
        }
        e
    }

    /// Runner-internal: [`Db::sql`] for a statement that takes a database lock (SQLite's
    /// `BEGIN IMMEDIATE` and `COMMIT`). On SQLite it is tried without waiting on this thread,
    /// and only when another connection holds the lock is it handed to sqlx's worker thread
    /// to wait there (up to the busy timeout), so waiting never blocks the caller's thread.
    ///
    /// # Errors
    /// As [`Db::sql`].
    pub(crate) async fn sql_taking_lock(&mut self, sql: &str) -> Result<(), Error> {
        #[cfg(feature = "sqlite")]
        if self.deferred.is_none()
            && let Target::Online(Conn::Sqlite(c)) = &mut self.target
        {
            self.last_statement = Some(sql.to_owned());
            tracing::debug!(statement = sql, "running sql");
            self.last_call_atomic = true;
            let r = c.exec_or_wait(sql).await;
            self.calls_ok += u32::from(r.is_ok());
            return r.map_err(db_err("executing SQL"));
        }
        self.sql(sql).await
    }

    /// Runs a sea-query data statement (`Query::insert()`, `update()`, `delete()`) with
    /// bound values; returns the number of rows affected (0 offline).
    ///
    /// # Errors
    /// [`Error::Database`] when the database rejects it.
    pub async fn execute<S: DataStatement>(&mut self, statement: &S) -> Result<u64, Error> {
        self.flush_deferred().await?;
        let backend = self.backend;
        match &mut self.target {
            Target::Offline(out) => {
                let sql = with_builder!(backend, b => statement.to_string(b));
                #[cfg(feature = "sqlite")]
                if let Some(shadow) = &mut self.shadow {
                    shadow.replay(&sql);
                }
                out.push(sql);
                Ok(0)
            }
            Target::Online(conn) => {
                let r = on_conn!(conn, c, b => {
                    let (sql, values) = statement.build_sqlx(b);
                    self.last_statement = Some(sql.clone());
                    tracing::debug!(statement = sql.as_str(), "executing data statement");
                    sqlx::query_with(AssertSqlSafe(sql), values)
                        .execute(&mut **c)
                        .await
                        .map(|r| r.rows_affected())
                });
                self.last_call_atomic = true;
                self.calls_ok += u32::from(r.is_ok());
                if r.is_ok()
                    && let (Some(ran), Some(sql)) = (&mut self.ran, &self.last_statement)
                {
                    ran.push(crate::error::one_line(sql));
                }
                r.map_err(db_err("executing a statement"))
            }
        }
    }

    /// Runs a sea-query `SELECT` with bound values and decodes every row into `T`
    /// (`#[derive(sqlx::FromRow)]`).
    ///
    /// # Errors
    /// [`Error::OfflineRead`] in offline mode; [`Error::Database`] when the query or the
    /// decoding fails.
    pub async fn fetch_all<T: FromAnyRow, S: DataStatement>(
        &mut self,
        statement: &S,
    ) -> Result<Vec<T>, Error> {
        self.flush_deferred().await?;
        let revision = self.revision;
        let Target::Online(conn) = &mut self.target else {
            return Err(Error::OfflineRead {
                revision: revision.into(),
                operation: "fetch_all",
            });
        };
        let r = on_conn!(conn, c, b => {
            let (sql, values) = statement.build_sqlx(b);
            self.last_statement = Some(sql.clone());
            tracing::debug!(statement = sql.as_str(), "fetching rows");
            sqlx::query_as_with::<_, T, _>(AssertSqlSafe(sql), values)
                .fetch_all(&mut **c)
                .await
        });
        r.map_err(db_err("fetching rows"))
    }

    /// [`Db::fetch_all`] for at most one row.
    ///
    /// # Errors
    /// As [`Db::fetch_all`].
    pub async fn fetch_optional<T: FromAnyRow, S: DataStatement>(
        &mut self,
        statement: &S,
    ) -> Result<Option<T>, Error> {
        self.guard_offline("fetch_optional")?;
        Ok(self.fetch_all(statement).await?.into_iter().next())
    }

    /// [`Db::fetch_all`] for exactly one row.
    ///
    /// # Errors
    /// As [`Db::fetch_all`], and [`Error::Database`] (`RowNotFound`) when there is no row.
    pub async fn fetch_one<T: FromAnyRow, S: DataStatement>(
        &mut self,
        statement: &S,
    ) -> Result<T, Error> {
        self.guard_offline("fetch_one")?;
        self.fetch_optional(statement)
            .await?
            .ok_or_else(|| Error::Database {
                context: "fetching one row".into(),
                source: sqlx::Error::RowNotFound,
            })
    }

    fn guard_offline(&self, operation: &'static str) -> Result<(), Error> {
        if self.is_offline() {
            Err(Error::OfflineRead {
                revision: self.revision.into(),
                operation,
            })
        } else {
            Ok(())
        }
    }

    /// Sends a deferred `BEGIN` on its own (before a statement that cannot carry it: bound
    /// statements and fetches use the extended protocol, one statement at a time).
    pub(crate) async fn flush_deferred(&mut self) -> Result<(), Error> {
        let Some(begin) = self.deferred.take() else {
            return Ok(());
        };
        let Target::Online(conn) = &mut self.target else {
            return Ok(());
        };
        let r = on_conn!(conn, c => sqlx::raw_sql(AssertSqlSafe(begin)).execute(&mut **c).await.map(|_| ()));
        r.map_err(db_err("starting a transaction"))
    }

    /// Where a SQLite rebuild reads the table's definition: the live connection online, the
    /// shadow database offline.
    #[cfg(feature = "sqlite")]
    ///
    /// # Errors
    /// As [`crate::sqlite_batch::Shadow::conn`]; [`Error::OfflineRead`] without a shadow.
    pub(crate) async fn definition_source(
        &mut self,
        table: &str,
    ) -> Result<&mut SqliteConn, Error> {
        match (&mut self.target, &mut self.shadow) {
            (Target::Online(Conn::Sqlite(c)), _) => Ok(c),
            (Target::Offline(_), Some(shadow)) => shadow.conn(table).await,
            _ => Err(Error::OfflineRead {
                revision: self.revision.into(),
                operation: "batch rebuild",
            }),
        }
    }

    /// The first column of every row `sql` returns, as text (the fleet's catalog query):
    /// text columns as they are, integers in decimal; `NULL` rows are skipped.
    pub(crate) async fn query_first_column(&mut self, sql: &str) -> Result<Vec<String>, Error> {
        fn col<R: sqlx::Row>(r: &R) -> Result<Option<String>, sqlx::Error>
        where
            usize: sqlx::ColumnIndex<R>,
            String: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
            i64: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        {
            r.try_get::<Option<String>, _>(0).or_else(|_| {
                r.try_get::<Option<i64>, _>(0)
                    .map(|v| v.map(|v| v.to_string()))
            })
        }
        let Target::Online(conn) = &mut self.target else {
            return Err(Error::OfflineRead {
                revision: String::new(),
                operation: "a catalog query",
            });
        };
        let rows: Result<Vec<Option<String>>, sqlx::Error> = match conn {
            #[cfg(feature = "sqlite")]
            Conn::Sqlite(c) => sqlx::query(AssertSqlSafe(sql.to_owned()))
                .fetch_all(&mut **c)
                .await
                .and_then(|rows| rows.iter().map(col).collect()),
            #[cfg(feature = "postgres")]
            Conn::Postgres(c) => sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
                .fetch_all(&mut **c)
                .await
                .and_then(|rows| rows.iter().map(col).collect()),
            #[cfg(feature = "mysql")]
            Conn::MySql(c) => sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
                .fetch_all(&mut **c)
                .await
                .and_then(|rows| rows.iter().map(col).collect()),
        };
        rows.map(|v| v.into_iter().flatten().collect())
            .map_err(db_err("running the targets query on the catalog database"))
    }

    /// Runner-internal: the online connection.
    pub(crate) fn conn(&mut self) -> Option<&mut Conn> {
        match &mut self.target {
            Target::Online(c) => Some(c),
            Target::Offline(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact_url("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact_url("mysql://root@h/db"), "mysql://root@h/db");
        assert_eq!(redact_url("sqlite:x.db"), "sqlite:x.db");
        assert_eq!(
            redact_url("postgres://u:p%40ss@h/db?x=1"),
            "postgres://u:***@h/db?x=1"
        );
        // sloppy passwords: unescaped `@`, `/`, `?`
        assert_eq!(redact_url("mysql://u:p@ss@h/db"), "mysql://u:***@h/db");
        assert_eq!(
            redact_url("postgres://u:se/cret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(
            redact_url("postgres://u:se?cret@h/db"),
            "postgres://u:***@h/db"
        );
        // a password in the query, a single slash after the scheme
        assert_eq!(
            redact_url("postgres://u@h/db?sslmode=disable&password=secret#x"),
            "postgres://u@h/db?sslmode=disable&password=***#x"
        );
        assert_eq!(
            redact_url("postgres:/u:secret@h/db"),
            "postgres:/u:***@h/db"
        );
        assert_eq!(redact_url("mysql:u:secret@h/db"), "mysql:u:***@h/db");
        // URLs inside a message; other text untouched
        assert_eq!(
            redact_url("Invalid revision spec 'postgres://u:secret@h/db': a range"),
            "Invalid revision spec 'postgres://u:***@h/db': a range"
        );
        assert_eq!(
            redact_url("using  (--database-url)"),
            "using  (--database-url)"
        );
        assert_eq!(
            redact_url("spec 'a:b' and head:base"),
            "spec 'a:b' and head:base"
        );
        assert_eq!(
            redact_url("sqlite:///tmp/a@b:c/x.db"),
            "sqlite:///tmp/a@b:c/x.db"
        );
        assert_eq!(redact_url("sqlite:/tmp/x:y@z.db"), "sqlite:/tmp/x:y@z.db");
    }

    #[test]
    fn redacts_remembered_passwords_in_every_spelling() {
        // each password is unique to its case: the list of remembered secrets is global
        remember_url_secrets("postgres://u:q1'x y\"z`w@h/db");
        let out = redact_url("cannot connect to postgres://u:q1'x y\"z`w@h/db: refused");
        assert_eq!(out, "cannot connect to postgres://u:***@h/db: refused");
        // the url crate's spelling and the decoded one
        assert!(!redact_url("q1'x%20y%22z%60w").contains("q1"));
        remember_url_secrets("mysql://u:q2%40%27p@h/db");
        assert_eq!(redact_url("q2%40%27p q2@'p"), "*** ***");
        // a query parameter, raw and decoded
        remember_url_secrets("postgres://u@h/db?password=q3%20p");
        assert_eq!(redact_url("(q3%20p) (q3 p)"), "(***) (***)");
        // the SQLite form: user info is part of the file's path
        remember_url_secrets("sqlite://u:q4\"p@nohost/x.db");
        assert_eq!(
            redact_url("the directory `u:q4\"p@nohost` does not exist"),
            "the directory `u:***@nohost` does not exist"
        );
    }

    #[test]
    fn redacts_unknown_urls_cut_by_quotes_or_spaces() {
        assert_eq!(
            redact_url("spec 'postgres://u:ab'cd@h/db' is bad"),
            "spec 'postgres://u:***@h/db' is bad"
        );
        assert_eq!(
            redact_url("at mysql://u:ab cd@h/db\nnext line @x"),
            "at mysql://u:***@h/db\nnext line @x"
        );
    }

    #[test]
    #[cfg(feature = "sqlite")]
    fn in_memory_sqlite_urls() {
        for (url, memory) in [
            ("sqlite::memory:", true),
            ("sqlite://:memory:", true),
            ("sqlite://?mode=memory", true),
            ("sqlite:x.db?mode=memory", true),
            ("sqlite:", true),
            ("sqlite:x.db", false),
            ("sqlite:///tmp/x.db?mode=rwc", false),
        ] {
            let opts: sqlx::sqlite::SqliteConnectOptions = url.parse().unwrap();
            assert_eq!(sqlite_in_memory(url, &opts), memory, "{url}");
        }
    }

    #[test]
    fn backend_from_url() {
        assert_eq!(
            Backend::from_url("postgresql://x").unwrap(),
            Backend::Postgres
        );
        assert_eq!(Backend::from_url("mariadb://x").unwrap(), Backend::MySql);
        assert!(
            Backend::from_url("oracle://u:pw@x")
                .unwrap_err()
                .to_string()
                .contains("u:***@x")
        );
    }
}
