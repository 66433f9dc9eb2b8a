//! SQLite test databases: files in the temporary directory; a template is a migrated file,
//! cloned by copying it.

use std::path::{Path, PathBuf};

use super::Template;
use crate::{Db, Error};

fn dir(name: &str) -> Result<PathBuf, Error> {
    let d = std::env::temp_dir().join(name);
    std::fs::create_dir_all(&d).map_err(|e| Error::TestDatabase {
        reason: format!("cannot create the directory `{}`: {e}", d.display()),
    })?;
    Ok(d)
}

/// A new empty database file (SQLite reads an empty file as an empty database).
pub(super) fn new_file(name: &str) -> Result<PathBuf, Error> {
    let path = dir("cargo-migrate-tests")?.join(format!("{name}.db"));
    std::fs::write(&path, b"").map_err(|e| Error::TestDatabase {
        reason: format!("cannot create `{}`: {e}", path.display()),
    })?;
    Ok(path)
}

/// Deletes a database file and the files SQLite keeps beside it.
pub(super) fn remove(path: &Path) -> Result<(), String> {
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut side = path.as_os_str().to_owned();
        side.push(suffix);
        let _ = std::fs::remove_file(side);
    }
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(format!("{}: {e}", path.display()))
        }
        _ => Ok(()),
    }
}

/// A copy of `template`'s file (built first when missing) named `name`.
pub(super) async fn clone(template: &Template<'_>, name: &str) -> Result<PathBuf, Error> {
    let file = ensure_template(template).await?;
    let path = dir("cargo-migrate-tests")?.join(format!("{name}.db"));
    std::fs::copy(&file, &path).map_err(|e| Error::TestDatabase {
        reason: format!(
            "cannot copy the template `{}` to `{}`: {e}",
            file.display(),
            path.display()
        ),
    })?;
    Ok(path)
}

/// The template's file, built when it does not exist: migrated in a file of its own, closed
/// (so no `-wal` file is left) and renamed into place, which is atomic: a concurrent process
/// sees either no template or a complete one (two processes that build at once each rename
/// an equivalent file; the last one wins).
async fn ensure_template(template: &Template<'_>) -> Result<PathBuf, Error> {
    let file = dir("cargo-migrate-templates")?.join(format!("{}.db", template.name));
    let lock = super::process_lock(&file.display().to_string());
    let _guard = lock.lock().await;
    if file.exists() && !super::rebuild_requested(&template.name) {
        return Ok(file);
    }
    let building = file.with_extension(format!("{}.building", super::unique_name()));
    let result = async {
        let mut db = Db::connect(&format!("sqlite:{}", building.display())).await?;
        let r = template.migrate(&mut db).await;
        db.close().await;
        r?;
        std::fs::rename(&building, &file).map_err(|e| Error::TestDatabase {
            reason: format!("cannot move the template into `{}`: {e}", file.display()),
        })
    }
    .await;
    if result.is_err() {
        let _ = remove(&building);
    }
    result.map(|()| file)
}
