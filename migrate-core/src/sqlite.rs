//! SQLite without the worker-thread round trip per statement.
//!
//! sqlx runs every SQLite connection on a worker thread: each statement is a message to it and
//! each result a message back, about four thread switches per call. A revision's statements
//! carry no bound values and return no rows, so they do not need sqlx's statement machinery:
//! [`SqliteConn::exec`] takes sqlx's lock on the raw `sqlite3*` handle
//! ([`sqlx::sqlite::SqliteConnection::lock_handle`], the documented way to make direct SQLite
//! calls) once, keeps it across statements and revisions, and runs each script with
//! `sqlite3_exec` on the caller's thread. Anything that goes through sqlx again (a bound query,
//! a fetch, [`crate::Db::connection`]) reaches the connection through `DerefMut`, which hands
//! the lock back to the worker first.
//!
//! Waiting for another writer stays on sqlx's worker thread: [`SqliteConn::exec_or_wait`]
//! first tries with a zero busy timeout and, when the database is locked, gives the statement
//! to sqlx, whose worker waits up to the connection's busy timeout, so an async caller's thread
//! is never blocked waiting for another connection that may need that very thread to finish.
//!
//! Measured in BENCHMARKS.md (W1/W2 SQLite).
//!
//! Compiled with migrate-core's `sqlite` feature only, which also brings `libsqlite3-sys`: the
//! very copy sqlx-sqlite links (`links = "sqlite3"` allows one per build), for its long-stable
//! C functions. Every `unsafe` block says why it is sound (`SAFETY:`, checked by clippy's
//! `undocumented_unsafe_blocks`).
#![warn(clippy::undocumented_unsafe_blocks)]

use std::borrow::Cow;
use std::ffi::{CStr, CString, c_char, c_int, c_void};
use std::ptr::{self, NonNull};

use libsqlite3_sys as ffi;
use sqlx::error::{DatabaseError, ErrorKind};
use sqlx::sqlite::{LockedSqliteHandle, SqliteConnection};
use sqlx::{AssertSqlSafe, Sqlite};

use crate::db::Handle;

/// A SQLite connection and, while held, sqlx's lock on its raw handle.
pub(crate) struct SqliteConn {
    /// Declared before `handle` so that it drops first. Its real lifetime is that of the
    /// connection's worker state (kept alive by `handle`); see [`SqliteConn::raw`].
    locked: Option<LockedSqliteHandle<'static>>,
    /// The connection's busy timeout in ms, read the first time it is needed.
    busy_ms: Option<c_int>,
    handle: Handle<Sqlite>,
}

impl SqliteConn {
    pub(crate) fn new(handle: Handle<Sqlite>) -> SqliteConn {
        SqliteConn {
            locked: None,
            busy_ms: None,
            handle,
        }
    }

    /// Gives the connection back to sqlx (ends the direct-call lock) and returns it.
    pub(crate) fn into_handle(mut self) -> Handle<Sqlite> {
        self.locked = None;
        self.handle
    }

    /// See [`Handle::close_on_drop`].
    pub(crate) fn close_on_drop(&mut self) {
        self.handle.close_on_drop();
    }

    /// The raw handle, taking sqlx's lock on it if this connection does not hold it yet (one
    /// round trip to the worker thread).
    async fn raw(&mut self) -> Result<NonNull<ffi::sqlite3>, sqlx::Error> {
        if self.locked.is_none() {
            let guard = self.handle.lock_handle().await?;
            // SAFETY: the guard borrows the mutex in the connection's shared worker state,
            // which lives in an `Arc` owned by `self.handle` (and the worker thread), so it
            // stays valid for as long as `self.handle` exists. `locked` is dropped before
            // `handle` (field order, `into_handle`), and every path that lets sqlx use the
            // connection again (`DerefMut`) drops the guard first, so the worker never waits
            // on a lock this struct still holds while we wait on the worker.
            let guard: LockedSqliteHandle<'static> = unsafe { std::mem::transmute(guard) };
            self.locked = Some(guard);
        }
        Ok(self
            .locked
            .as_mut()
            .expect("locked just above")
            .as_raw_handle())
    }

    /// Runs a script of statements that return no rows. Inside a transaction (the runner's,
    /// which already holds the write lock) it runs on this thread. Outside one, each statement
    /// takes its own lock: a single statement is tried without waiting (as
    /// [`SqliteConn::exec_or_wait`]); a script of several, which could stop halfway on a busy
    /// database and so cannot be retried, goes through sqlx's worker, as does a script SQLite
    /// cannot take as a C string (an interior NUL byte).
    ///
    /// # Errors
    /// The first statement's error, as sqlx would report it (`(code: N) message`).
    pub(crate) async fn exec(&mut self, script: &str) -> Result<(), sqlx::Error> {
        let Ok(sql) = CString::new(script) else {
            return self.exec_via_worker(script).await;
        };
        let db = self.raw().await?.as_ptr();
        // SAFETY: `db` is the live handle and we hold sqlx's lock on it
        if unsafe { ffi::sqlite3_get_autocommit(db) } == 0 {
            // SAFETY: as above
            return unsafe { exec(db, &sql, None) };
        }
        if !crate::db::is_one_statement(script) {
            return self.exec_via_worker(script).await;
        }
        self.exec_or_wait(script).await
    }

    /// [`SqliteConn::exec`] that also says where a failing script failed: the byte offset in
    /// `script` at which the failing statement (with the blanks and comments before it)
    /// starts, when the script ran on this thread inside a transaction (statement by
    /// statement, `sqlite3_prepare_v2` and `sqlite3_step`, as `sqlite3_exec` does it); `None`
    /// on the other paths.
    ///
    /// # Errors
    /// As [`SqliteConn::exec`], with the offset beside the error.
    pub(crate) async fn exec_script(
        &mut self,
        script: &str,
    ) -> Result<(), (Option<usize>, sqlx::Error)> {
        let Ok(sql) = CString::new(script) else {
            return self.exec(script).await.map_err(|e| (None, e));
        };
        let db = self.raw().await.map_err(|e| (None, e))?.as_ptr();
        // SAFETY: `db` is the live handle and we hold sqlx's lock on it
        if unsafe { ffi::sqlite3_get_autocommit(db) } == 0 {
            // SAFETY: as above
            return unsafe { exec_locating(db, &sql) }.map_err(|(at, e)| (Some(at), e));
        }
        self.exec(script).await.map_err(|e| (None, e))
    }

    /// [`SqliteConn::exec`] for a statement that may have to wait for another connection's
    /// lock (`BEGIN IMMEDIATE`, `COMMIT`): tried once without waiting; if the database is
    /// busy, run by sqlx's worker thread, which waits up to the busy timeout.
    ///
    /// # Errors
    /// As [`SqliteConn::exec`]; `(code: 5) database is locked` after the busy timeout.
    pub(crate) async fn exec_or_wait(&mut self, script: &str) -> Result<(), sqlx::Error> {
        let Ok(sql) = CString::new(script) else {
            return self.exec_via_worker(script).await;
        };
        match self
            // SAFETY: `try_without_waiting` passes the live handle with sqlx's lock held
            .try_without_waiting(|db| unsafe { exec(db, &sql, None) })
            .await?
        {
            Some(r) => r,
            None => self.exec_via_worker(script).await,
        }
    }

    /// Runs a script whose last statement returns one row and returns that row's columns as
    /// text (`None` for NULL), trying without waiting as [`SqliteConn::exec_or_wait`] does.
    /// `Ok(None)` means the database was busy: the caller waits through sqlx.
    ///
    /// # Errors
    /// As [`SqliteConn::exec`].
    pub(crate) async fn query_row_nowait(
        &mut self,
        script: &str,
    ) -> Result<Option<Vec<Option<String>>>, sqlx::Error> {
        let Ok(sql) = CString::new(script) else {
            return Ok(None);
        };
        let mut row: Vec<Option<String>> = Vec::new();
        let r = self
            // SAFETY: `try_without_waiting` passes the live handle with sqlx's lock held
            .try_without_waiting(|db| unsafe { exec(db, &sql, Some(&mut row)) })
            .await?;
        match r {
            Some(Ok(())) => Ok(Some(row)),
            Some(Err(e)) => Err(e),
            None => Ok(None),
        }
    }

    /// Runs `f` on the raw handle with a zero busy timeout. `Ok(None)` when SQLite answered
    /// `SQLITE_BUSY` (nothing was done: a statement that cannot get its lock does not start).
    async fn try_without_waiting<F>(
        &mut self,
        f: F,
    ) -> Result<Option<Result<(), sqlx::Error>>, sqlx::Error>
    where
        F: FnOnce(*mut ffi::sqlite3) -> Result<(), sqlx::Error>,
    {
        let db = self.raw().await?.as_ptr();
        let busy_ms = match self.busy_ms {
            Some(ms) => ms,
            None => {
                let mut row = Vec::new();
                // SAFETY: live handle, lock held
                unsafe { exec(db, c"PRAGMA busy_timeout", Some(&mut row))? };
                let ms = row
                    .first()
                    .and_then(|v| v.as_deref())
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                self.busy_ms = Some(ms);
                ms
            }
        };
        // SAFETY: live handle, lock held; the timeout is restored before returning
        unsafe { ffi::sqlite3_busy_timeout(db, 0) };
        let r = f(db);
        // SAFETY: live handle, lock held (still: `f` does not release it)
        unsafe { ffi::sqlite3_busy_timeout(db, busy_ms) };
        match r {
            Err(sqlx::Error::Database(e)) if is_busy(&*e) => Ok(None),
            r => Ok(Some(r)),
        }
    }

    /// Switches foreign-key enforcement on or off with
    /// `sqlite3_db_config(SQLITE_DBCONFIG_ENABLE_FKEY)`, which, unlike `PRAGMA foreign_keys`
    /// (a no-op inside a transaction), takes effect inside the revision's transaction.
    /// Returns whether enforcement was on before.
    ///
    /// # Errors
    /// When sqlx's lock on the raw handle cannot be taken.
    pub(crate) async fn set_foreign_keys(&mut self, on: bool) -> Result<bool, sqlx::Error> {
        let db = self.raw().await?.as_ptr();
        let (mut before, mut after): (c_int, c_int) = (0, 0);
        // SAFETY: live handle, lock held; the op takes an int and an int* (SQLite's docs)
        unsafe {
            ffi::sqlite3_db_config(
                db,
                ffi::SQLITE_DBCONFIG_ENABLE_FKEY,
                -1 as c_int,
                &mut before as *mut c_int,
            );
            ffi::sqlite3_db_config(
                db,
                ffi::SQLITE_DBCONFIG_ENABLE_FKEY,
                c_int::from(on),
                &mut after as *mut c_int,
            );
        }
        Ok(before != 0)
    }

    async fn exec_via_worker(&mut self, script: &str) -> Result<(), sqlx::Error> {
        sqlx::raw_sql(AssertSqlSafe(script.to_owned()))
            .execute(&mut **self)
            .await
            .map(|_| ())
    }
}

impl std::ops::Deref for SqliteConn {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        &self.handle
    }
}

impl std::ops::DerefMut for SqliteConn {
    /// Hands the raw-handle lock back to sqlx's worker before sqlx uses the connection.
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        self.locked = None;
        &mut self.handle
    }
}

fn is_busy(e: &dyn DatabaseError) -> bool {
    e.try_downcast_ref::<RawSqliteError>()
        .is_some_and(|e| e.code & 0xff == ffi::SQLITE_BUSY)
}

/// `sqlite3_exec`: runs every statement of `sql`; when `row` is given, each result row
/// replaces its contents (so it ends with the last row, as text).
///
/// # Safety
/// `db` is a live connection handle that no other thread uses meanwhile.
unsafe fn exec(
    db: *mut ffi::sqlite3,
    sql: &CStr,
    row: Option<&mut Vec<Option<String>>>,
) -> Result<(), sqlx::Error> {
    unsafe extern "C" fn collect(
        out: *mut c_void,
        n: c_int,
        values: *mut *mut c_char,
        _names: *mut *mut c_char,
    ) -> c_int {
        // SAFETY: `out` is the `&mut Vec` passed below; SQLite gives `n` column values
        let out = unsafe { &mut *out.cast::<Vec<Option<String>>>() };
        out.clear();
        for i in 0..n.max(0) as usize {
            // SAFETY: `values` holds `n` pointers (sqlite3_exec's callback contract)
            let v = unsafe { *values.add(i) };
            out.push((!v.is_null()).then(|| {
                // SAFETY: a non-NULL value is a NUL-terminated string SQLite owns for the
                // duration of the callback; it is copied before returning
                unsafe { CStr::from_ptr(v) }.to_string_lossy().into_owned()
            }));
        }
        0
    }
    let (callback, arg): (ffi::sqlite3_callback, *mut c_void) = match row {
        Some(row) => (Some(collect), ptr::from_mut(row).cast()),
        None => (None, ptr::null_mut()),
    };
    let mut errmsg: *mut c_char = ptr::null_mut();
    // SAFETY: per the function's contract; `sql` is NUL-terminated
    let rc = unsafe { ffi::sqlite3_exec(db, sql.as_ptr(), callback, arg, &mut errmsg) };
    if rc == ffi::SQLITE_OK {
        return Ok(());
    }
    if errmsg.is_null() {
        // SAFETY: per the function's contract
        return Err(unsafe { last_error(db, rc) });
    }
    // SAFETY: a non-NULL `errmsg` is the NUL-terminated message sqlite3_exec allocated
    let message = unsafe { CStr::from_ptr(errmsg) }
        .to_string_lossy()
        .into_owned();
    // SAFETY: freed once, with sqlite3_free as sqlite3_exec requires, after it was copied
    unsafe { ffi::sqlite3_free(errmsg.cast()) };
    // SAFETY: per the function's contract
    Err(unsafe { error_with(db, rc, message) })
}

/// Runs every statement of `sql` as `sqlite3_exec` does (prepare, step to the end, finalize,
/// next), and on failure returns the byte offset in `sql` where the failing statement's text
/// (including the blanks and comments before it) starts, with the error.
///
/// # Safety
/// `db` is a live connection handle that no other thread uses meanwhile.
unsafe fn exec_locating(db: *mut ffi::sqlite3, sql: &CStr) -> Result<(), (usize, sqlx::Error)> {
    let start = sql.as_ptr();
    let mut tail = start;
    loop {
        // SAFETY: `tail` points into `sql`, NUL-terminated (`next` from SQLite stays inside it)
        let offset = unsafe { tail.offset_from(start) } as usize;
        let mut stmt: *mut ffi::sqlite3_stmt = ptr::null_mut();
        let mut next: *const c_char = ptr::null();
        // SAFETY: per the function's contract; -1: read up to the NUL
        let rc = unsafe { ffi::sqlite3_prepare_v2(db, tail, -1, &mut stmt, &mut next) };
        if rc != ffi::SQLITE_OK {
            // SAFETY: per the function's contract
            return Err((offset, unsafe { last_error(db, rc) }));
        }
        if stmt.is_null() {
            return Ok(()); // only blanks or comments were left
        }
        let rc = loop {
            // SAFETY: `stmt` is the statement just prepared, finalized below
            let rc = unsafe { ffi::sqlite3_step(stmt) };
            if rc != ffi::SQLITE_ROW {
                break rc;
            }
        };
        // SAFETY: per the function's contract; read before `stmt` is finalized
        let result = (rc != ffi::SQLITE_DONE).then(|| unsafe { last_error(db, rc) });
        // SAFETY: finalized once, after the error was read
        unsafe { ffi::sqlite3_finalize(stmt) };
        if let Some(e) = result {
            return Err((offset, e));
        }
        tail = next;
        // SAFETY: `next` points into `sql`, at most at its NUL
        if unsafe { *tail } == 0 {
            return Ok(());
        }
    }
}

/// The connection's last error as sqlx shows SQLite errors (the extended code, else `rc`).
///
/// # Safety
/// `db` is a live connection handle that no other thread uses meanwhile.
unsafe fn last_error(db: *mut ffi::sqlite3, rc: c_int) -> sqlx::Error {
    // SAFETY: per the function's contract; sqlite3_errmsg returns a NUL-terminated string
    // valid until the next call on `db`, copied at once
    let message = unsafe { CStr::from_ptr(ffi::sqlite3_errmsg(db)) }
        .to_string_lossy()
        .into_owned();
    // SAFETY: per the function's contract
    unsafe { error_with(db, rc, message) }
}

/// `message` as the connection's error: with its extended result code, else `rc`.
///
/// # Safety
/// `db` is a live connection handle that no other thread uses meanwhile.
unsafe fn error_with(db: *mut ffi::sqlite3, rc: c_int, message: String) -> sqlx::Error {
    // SAFETY: per the function's contract
    let code = match unsafe { ffi::sqlite3_extended_errcode(db) } {
        0 => rc,
        c => c,
    };
    sqlx::Error::Database(Box::new(RawSqliteError { code, message }))
}

/// A SQLite error from a direct call, shown as sqlx shows its own SQLite errors
/// (`(code: N) message`, the extended result code).
#[derive(Debug)]
pub(crate) struct RawSqliteError {
    code: c_int,
    message: String,
}

impl std::fmt::Display for RawSqliteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "(code: {}) {}", self.code, self.message)
    }
}

impl std::error::Error for RawSqliteError {}

impl DatabaseError for RawSqliteError {
    fn message(&self) -> &str {
        &self.message
    }

    fn code(&self) -> Option<Cow<'_, str>> {
        Some(self.code.to_string().into())
    }

    fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        self
    }

    fn kind(&self) -> ErrorKind {
        match self.code {
            ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                ErrorKind::UniqueViolation
            }
            ffi::SQLITE_CONSTRAINT_FOREIGNKEY => ErrorKind::ForeignKeyViolation,
            ffi::SQLITE_CONSTRAINT_NOTNULL => ErrorKind::NotNullViolation,
            ffi::SQLITE_CONSTRAINT_CHECK => ErrorKind::CheckViolation,
            _ => ErrorKind::Other,
        }
    }
}
