//! `tariff-impact catalog export|import`: the saved catalog as a directory of proto3-JSON
//! files, one per object, in the layout `serve --catalog DIR` reads (`boms/ID.json`,
//! `price_decks/`, `tariff_schedules/`, `schedule_overlays/`, `fx_decks/`): for review in git,
//! for moving a catalog between databases, and as a read-only layer. Export writes the
//! latest version of each live object; the database itself (the SQLite file, `pg_dump`) is the
//! backup of every version.

use crate::catalog::{self, Catalog, Kind, Object};
use crate::convert::Limits;
use crate::store::{CatalogStore, Expectation, PgStore, SqliteStore, StoreError};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Which database a catalog command works on.
#[derive(Debug, Clone)]
pub enum Database {
    /// The SQLite file under this data directory.
    Sqlite(PathBuf),
    /// The PostgreSQL database at this URL.
    Postgres(String),
}

async fn open(db: &Database) -> Result<Arc<dyn CatalogStore>, String> {
    Ok(match db {
        Database::Sqlite(dir) => Arc::new(
            SqliteStore::open(dir)
                .await
                .map_err(|e| format!("{}: {e}", dir.display()))?,
        ),
        Database::Postgres(url) => {
            Arc::new(PgStore::connect(url).await.map_err(|e| e.to_string())?)
        }
    })
}

/// The file an object of `id` is exported to: the id itself when it is plain (letters,
/// digits, '-', '_', '.', not leading), else every other byte as `%XX`, so no two ids share a
/// file (import reads the id from the file's content, not its name).
fn file_name(id: &str) -> String {
    let mut name = String::with_capacity(id.len() + 5);
    for (i, b) in id.bytes().enumerate() {
        let plain = b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || (b == b'.' && i > 0);
        if plain {
            name.push(char::from(b));
        } else {
            name.push_str(&format!("%{b:02X}"));
        }
    }
    name.push_str(".json");
    name
}

/// Writes the latest version of every live saved object under `out`; returns a report.
pub async fn export(db: &Database, out: &Path) -> Result<String, String> {
    let store = open(db).await?;
    let mut report = String::new();
    let mut total = 0;
    for kind in Kind::ALL {
        let dir = out.join(catalog::folder(kind));
        let mut token = String::new();
        let mut n = 0;
        let mut written = std::collections::HashSet::new();
        loop {
            let page = store
                .list_latest(Some(kind), 0, &token)
                .await
                .map_err(|e| e.to_string())?;
            for r in &page.revisions {
                std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
                let name = file_name(&r.id);
                // On a case-insensitive file system "A" and "a" would share a file.
                if !written.insert(name.to_lowercase()) {
                    return Err(format!(
                        "{kind} {:?}: another id of this kind exports to the same file name but \
                         for case; export to a case-sensitive file system",
                        r.id
                    ));
                }
                let path = dir.join(name);
                let mut body = r.body.clone();
                body.push('\n');
                std::fs::write(&path, body).map_err(|e| format!("{}: {e}", path.display()))?;
                n += 1;
            }
            if page.next_page_token.is_empty() {
                break;
            }
            token = page.next_page_token;
        }
        if n > 0 {
            let _ = writeln!(report, "{kind}: {n} written to {}", dir.display());
        }
        total += n;
    }
    let _ = writeln!(report, "exported {total} object(s)");
    Ok(report)
}

/// Saves every object file under `dir` as a new version (unless the latest version already
/// has the same content), each validated as the inline input it would be; nothing is written
/// unless every file is valid. An id of a built-in preset, or of a preset under `presets_dir`
/// (the server's `--catalog`), is refused: the server would serve the preset instead. Returns
/// a report.
pub async fn import(
    db: &Database,
    dir: &Path,
    presets_dir: Option<&Path>,
) -> Result<String, String> {
    let mut presets = Catalog::builtin().map_err(|e| e.to_string())?;
    if let Some(p) = presets_dir {
        presets.load_dir(p).map_err(|e| e.to_string())?;
    }
    let mut objects = Vec::new();
    for kind in Kind::ALL {
        let sub = dir.join(catalog::folder(kind));
        if !sub.is_dir() {
            continue;
        }
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&sub)
            .map_err(|e| format!("{}: {e}", sub.display()))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        paths.sort();
        for path in paths {
            let name = path.display().to_string();
            let json = std::fs::read_to_string(&path).map_err(|e| format!("{name}: {e}"))?;
            let object = Object::from_json(kind, &json)
                .map_err(|e| format!("{name}: not valid proto3 JSON: {e}"))?;
            if presets.is_preset(kind, object.id()) {
                return Err(format!(
                    "{name}: {kind} {:?} is a preset's id (presets are read-only)",
                    object.id()
                ));
            }
            let root = Object::field(kind);
            if let Err(errors) =
                object
                    .clone()
                    .validate(root, &Limits::default(), Default::default())
            {
                let first = errors.first().map(|e| e.to_string()).unwrap_or_default();
                return Err(format!("{name}: {first}"));
            }
            objects.push((name, object));
        }
    }
    if objects.is_empty() {
        return Err(format!(
            "{}: no *.json files under boms/, price_decks/, tariff_schedules/, \
             schedule_overlays/ or fx_decks/",
            dir.display()
        ));
    }
    let store = open(db).await?;
    let (mut written, mut same) = (0, 0);
    let mut report = String::new();
    for (name, object) in objects {
        let latest = match store.get(object.kind(), object.id(), None).await {
            Ok(r) => Object::from_json(r.kind, &r.body).ok(),
            Err(StoreError::NotFound { .. }) => None,
            Err(e) => return Err(e.to_string()),
        };
        if latest.as_ref() == Some(&object) {
            same += 1;
            continue;
        }
        let r = store
            .put(
                object.kind(),
                object.id(),
                &object.to_json(),
                object.as_of_date(),
                Expectation::Any,
            )
            .await
            .map_err(|e| format!("{name}: {e}"))?;
        let _ = writeln!(report, "{} {} saved as version {}", r.kind, r.id, r.version);
        written += 1;
    }
    let _ = writeln!(report, "imported {written} object(s); {same} unchanged");
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::file_name;

    #[test]
    fn every_id_gets_a_file_of_its_own() {
        assert_eq!(file_name("team-ev_2.x"), "team-ev_2.x.json");
        assert_eq!(file_name("a:b"), "a%3Ab.json");
        assert_eq!(file_name("a_b"), "a_b.json");
        assert_eq!(file_name("a\\b"), "a%5Cb.json");
        assert_eq!(file_name(".hidden"), "%2Ehidden.json");
        assert_eq!(file_name("a%3Ab"), "a%253Ab.json");
        assert_eq!(file_name("é"), "%C3%A9.json");
    }
}
