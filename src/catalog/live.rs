//! The live catalog of a server: the presets plus the latest saved version of every object,
//! as one immutable [`Catalog`] snapshot that calculations take without waiting on the
//! database. The snapshot is rebuilt after every write this server acknowledges (before the
//! answer, so a client reads its own write), on every change notice of the store (PostgreSQL
//! `NOTIFY`: writes of the other replicas) and once a second in case a notice was missed. All
//! three paths go through [`Catalogs::catch_up`], which applies the store's changes in commit
//! order from the last one seen, so the snapshot never goes back in time.
//!
//! Older versions (`id@version`) are loaded when a request names them ([`Catalogs::pin`]) and
//! kept in a small cache: a version never changes once written.

use super::object::{Meta, Validated};
use super::{Catalog, Header, Kind, Object, Origin, layer::Layer, versioned};
use crate::convert::Limits;
use crate::store::{CatalogStore, Change, Expectation, Revision, StoreError};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::Duration;
use tokio::sync::broadcast;

/// How often the snapshot asks the store for changes even without a notice.
const POLL: Duration = Duration::from_secs(1);
/// Revisions read from the store per query while catching up.
const BATCH: usize = 100;
/// Older versions kept validated in memory.
const CACHED_VERSIONS: usize = 64;

/// Why a write was not made.
#[derive(Debug)]
pub enum SaveError {
    /// The server keeps no catalog store (`serve --read-only-catalog`, or a test's server).
    NoStore,
    /// The id is a preset's: presets are read-only.
    Preset {
        /// Kind written.
        kind: Kind,
        /// The preset's id.
        id: String,
    },
    /// The store refused or failed.
    Store(StoreError),
}

impl From<StoreError> for SaveError {
    fn from(e: StoreError) -> Self {
        SaveError::Store(e)
    }
}

/// Where the snapshot stands in the store's change order.
#[derive(Debug, Default)]
struct Position {
    seq: i64,
    saved: Layer,
}

/// The presets, the store and the current snapshot.
#[derive(Debug)]
pub struct Catalogs {
    presets: Catalog,
    current: RwLock<Arc<Catalog>>,
    store: Option<Arc<dyn CatalogStore>>,
    position: tokio::sync::Mutex<Position>,
    cache: Mutex<VersionCache>,
    limits: Limits,
}

impl Catalogs {
    /// A catalog of presets only: writes answer [`SaveError::NoStore`].
    pub fn fixed(presets: Catalog) -> Arc<Catalogs> {
        Arc::new(Catalogs {
            current: RwLock::new(Arc::new(presets.clone())),
            presets,
            store: None,
            position: tokio::sync::Mutex::default(),
            cache: Mutex::default(),
            limits: Limits::default(),
        })
    }

    /// The presets plus what `store` holds, kept in step with it by a background task that
    /// ends when the returned value is dropped. Objects are validated under `limits` (a
    /// request's).
    pub async fn open(
        presets: Catalog,
        store: Arc<dyn CatalogStore>,
        limits: Limits,
    ) -> Result<Arc<Catalogs>, StoreError> {
        let notices = store.subscribe();
        let c = Arc::new(Catalogs {
            current: RwLock::new(Arc::new(presets.clone())),
            presets,
            store: Some(store),
            position: tokio::sync::Mutex::default(),
            cache: Mutex::default(),
            limits,
        });
        c.catch_up().await?;
        tokio::spawn(follow(Arc::downgrade(&c), notices));
        Ok(c)
    }

    /// The current snapshot.
    pub fn snapshot(&self) -> Arc<Catalog> {
        match self.current.read() {
            Ok(c) => c.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The store, when the server keeps one.
    pub fn store(&self) -> Option<&Arc<dyn CatalogStore>> {
        self.store.as_ref()
    }

    /// The limits saved objects are validated under.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Applies the store's changes since the snapshot's position and publishes the result.
    pub async fn catch_up(&self) -> Result<(), StoreError> {
        let Some(store) = &self.store else {
            return Ok(());
        };
        let mut at = self.position.lock().await;
        let mut changed = false;
        loop {
            let batch = store.changes_since(at.seq, BATCH).await?;
            let Some(last) = batch.last().map(|r| r.seq) else {
                break;
            };
            // Only the last revision of an object within a batch matters to the snapshot.
            let mut latest: HashMap<(Kind, &str), &Revision> = HashMap::new();
            for r in &batch {
                latest.insert((r.kind, r.id.as_str()), r);
            }
            let mut ordered: Vec<&Revision> = latest.into_values().collect();
            ordered.sort_by_key(|r| r.seq);
            for r in ordered {
                self.apply(&mut at.saved, r);
            }
            at.seq = last;
            changed = true;
        }
        if changed {
            let next = Arc::new(self.presets.with_saved(Arc::new(at.saved.clone())));
            match self.current.write() {
                Ok(mut c) => *c = next,
                Err(poisoned) => *poisoned.into_inner() = next,
            }
        }
        Ok(())
    }

    fn apply(&self, saved: &mut Layer, r: &Revision) {
        if r.deleted {
            saved.remove(r.kind, &r.id);
            return;
        }
        if self.presets.is_preset(r.kind, &r.id) {
            tracing::warn!(kind = %r.kind, id = %r.id, "a saved object has a preset's id; the preset is served");
            return;
        }
        match validated(r, &self.limits) {
            Ok(v) => {
                saved.insert(r.id.clone(), v);
            }
            Err(e) => {
                // Written by a version with other rules: serving an older version under the
                // latest's name would be a silently wrong input, so the object is left out.
                tracing::error!(kind = %r.kind, id = %r.id, version = r.version, "a saved object no longer validates and is not served: {e}");
                saved.remove(r.kind, &r.id);
            }
        }
    }

    /// `snapshot` with the older versions that `refs` name (kind, `id@version`) loaded, for
    /// one request. A version the store does not have is left out: resolving it then answers
    /// NOT_FOUND at its field.
    pub async fn pin(
        &self,
        snapshot: Arc<Catalog>,
        refs: &[(Kind, &str)],
    ) -> Result<Arc<Catalog>, StoreError> {
        let Some(store) = &self.store else {
            return Ok(snapshot);
        };
        let mut pinned = Layer::default();
        for (kind, reference) in refs {
            let Some((id, version)) = versioned::split(reference) else {
                continue;
            };
            if snapshot.contains(*kind, reference) {
                continue;
            }
            let key = versioned::key(id, version);
            let cached = self.cached(*kind, &key);
            let v = match cached {
                Some(v) => v,
                None => {
                    let r = match store.get(*kind, id, Some(version)).await {
                        Ok(r) => r,
                        Err(StoreError::NotFound { .. }) => continue,
                        Err(e) => return Err(e),
                    };
                    match validated(&r, &self.limits) {
                        Ok(v) => {
                            self.remember(*kind, &key, v.clone());
                            v
                        }
                        Err(e) => {
                            tracing::error!(kind = %kind, reference = %reference, "a saved version no longer validates: {e}");
                            continue;
                        }
                    }
                }
            };
            pinned.insert(key, v);
        }
        if pinned.len() == 0 {
            return Ok(snapshot);
        }
        Ok(Arc::new(snapshot.with_pinned(pinned)))
    }

    fn cached(&self, kind: Kind, key: &str) -> Option<Validated> {
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache.map.get(&(kind, key.to_string())).cloned()
    }

    fn remember(&self, kind: Kind, key: &str, v: Validated) {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache.insert((kind, key.to_string()), v);
    }

    /// Saves `object` (already validated by the caller as an inline input) if `expected`
    /// holds, and waits until the snapshot has it.
    pub async fn save(
        &self,
        object: &Object,
        expected: Expectation,
    ) -> Result<Revision, SaveError> {
        let store = self.store.as_ref().ok_or(SaveError::NoStore)?;
        let (kind, id) = (object.kind(), object.id());
        if self.presets.is_preset(kind, id) {
            return Err(SaveError::Preset {
                kind,
                id: id.to_string(),
            });
        }
        let r = store
            .put(kind, id, &object.to_json(), object.as_of_date(), expected)
            .await?;
        self.after_write().await;
        Ok(r)
    }

    /// Deletes a saved object (a tombstone version) and waits until the snapshot drops it.
    pub async fn delete(
        &self,
        kind: Kind,
        id: &str,
        etag: Option<&str>,
    ) -> Result<Revision, SaveError> {
        let store = self.store.as_ref().ok_or(SaveError::NoStore)?;
        if self.presets.is_preset(kind, id) {
            return Err(SaveError::Preset {
                kind,
                id: id.to_string(),
            });
        }
        let r = store.delete(kind, id, etag).await?;
        self.after_write().await;
        Ok(r)
    }

    /// Every version of a saved object.
    pub async fn versions(&self, kind: Kind, id: &str) -> Result<Vec<Revision>, SaveError> {
        let store = self.store.as_ref().ok_or(SaveError::NoStore)?;
        Ok(store.versions(kind, id).await?)
    }

    async fn after_write(&self) {
        // The write is durable; a failure to refresh only delays the snapshot until the next
        // poll, so it is logged, not answered.
        if let Err(e) = self.catch_up().await {
            tracing::warn!("catalog snapshot not refreshed after a write: {e}");
        }
    }
}

/// The header a revision of the store shows.
pub fn header_of(r: &Revision, object: Option<&Object>) -> Header {
    let (name, description, source) = object.map(describe).unwrap_or_default();
    Header {
        kind: r.kind,
        id: r.id.clone(),
        name,
        description,
        source,
        as_of_date: r.as_of_date.clone(),
        origin: Origin::Saved,
        version: r.version,
        etag: r.etag.clone(),
        created_at_ms: r.created_at_ms,
    }
}

fn describe(o: &Object) -> (String, String, String) {
    match o {
        Object::Bom(p) => (p.name.clone(), p.description.clone(), p.source.clone()),
        Object::PriceDeck(p) => (p.name.clone(), p.description.clone(), p.source.clone()),
        Object::TariffSchedule(p) => (p.name.clone(), p.description.clone(), p.source.clone()),
        Object::ScheduleOverlay(p) => (String::new(), p.description.clone(), p.source.clone()),
        Object::FxDeck(p) => (p.name.clone(), p.description.clone(), p.source.clone()),
    }
}

/// A saved revision's body, validated as the inline input it was when written.
fn validated(r: &Revision, limits: &Limits) -> Result<Validated, String> {
    let object = Object::from_json(r.kind, &r.body).map_err(|e| e.to_string())?;
    let meta = Meta {
        file: format!("store:{}/{}", r.kind, versioned::key(&r.id, r.version)),
        origin: Origin::Saved,
        version: r.version,
        etag: r.etag.clone(),
        created_at_ms: r.created_at_ms,
    };
    object
        .validate(Object::field(r.kind), limits, meta)
        .map_err(|errors| {
            errors
                .first()
                .map(|e| format!("{}: {}", e.field, e.message))
                .unwrap_or_default()
        })
}

/// Validated older versions, the oldest dropped first.
#[derive(Debug, Default)]
struct VersionCache {
    map: HashMap<(Kind, String), Validated>,
    order: VecDeque<(Kind, String)>,
}

impl VersionCache {
    fn insert(&mut self, key: (Kind, String), v: Validated) {
        if self.map.insert(key.clone(), v).is_none() {
            self.order.push_back(key);
        }
        while self.order.len() > CACHED_VERSIONS {
            if let Some(old) = self.order.pop_front() {
                self.map.remove(&old);
            }
        }
    }
}

/// Keeps the snapshot in step with the store: on every notice, and every [`POLL`] in case a
/// notice was lost. Ends when the catalogs are dropped.
async fn follow(catalogs: Weak<Catalogs>, mut notices: broadcast::Receiver<Change>) {
    let mut tick = tokio::time::interval(POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut listening = true;
    loop {
        tokio::select! {
            r = notices.recv(), if listening => {
                if matches!(r, Err(broadcast::error::RecvError::Closed)) {
                    listening = false;
                }
            }
            _ = tick.tick() => {}
        }
        let Some(c) = catalogs.upgrade() else {
            return;
        };
        if let Err(e) = c.catch_up().await {
            tracing::warn!("catalog snapshot could not catch up with the store: {e}");
        }
    }
}
