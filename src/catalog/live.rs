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
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::Duration;
use tokio::sync::broadcast;

/// How often the snapshot asks the store for changes even without a notice.
const POLL: Duration = Duration::from_secs(1);
/// Revisions read from the store per query while catching up.
const BATCH: usize = 100;
/// Older versions kept validated in memory, and the most body bytes they may hold.
pub(super) const CACHED_VERSIONS: usize = 64;
pub(super) const CACHED_BYTES: usize = 64 * 1024 * 1024;
/// Most older versions (`id@version`) one request may name: each is a database read and an
/// object in memory for the call, paid before the request's budgets are checked.
pub const MAX_PINNED: usize = 32;

/// Why a request's older versions could not be loaded.
#[derive(Debug)]
pub enum PinError {
    /// The request names more than [`MAX_PINNED`] older versions.
    TooMany {
        /// How many distinct ones it names.
        named: usize,
    },
    /// The store failed.
    Store(StoreError),
}

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
    /// The store's change sequence the current snapshot includes (0: nothing saved), read by
    /// the metrics without taking the position's lock.
    version: AtomicI64,
    store: Option<Arc<dyn CatalogStore>>,
    position: tokio::sync::Mutex<Position>,
    cache: Mutex<VersionCache>,
    /// The limits of a request: what a write is validated under.
    limits: Limits,
    /// What a stored object is loaded under: at least the defaults, so an object saved under
    /// a server's looser flags is not silently dropped by a replica (or a restart) with
    /// stricter ones; a calculation with it still meets the request budgets.
    load_limits: Limits,
}

/// `limits`, each at least its default.
fn ceiling(limits: Limits) -> Limits {
    let d = Limits::default();
    Limits {
        max_depth: limits.max_depth.max(d.max_depth),
        max_items: limits.max_items.max(d.max_items),
        max_scenarios: limits.max_scenarios.max(d.max_scenarios),
        max_inputs: limits.max_inputs.max(d.max_inputs),
        max_overlay_changes: limits.max_overlay_changes.max(d.max_overlay_changes),
        max_overlay_entries: limits.max_overlay_entries.max(d.max_overlay_entries),
    }
}

impl Catalogs {
    /// A catalog of presets only: writes answer [`SaveError::NoStore`].
    pub fn fixed(presets: Catalog) -> Arc<Catalogs> {
        Arc::new(Catalogs {
            current: RwLock::new(Arc::new(presets.clone())),
            version: AtomicI64::new(0),
            presets,
            store: None,
            position: tokio::sync::Mutex::default(),
            cache: Mutex::default(),
            limits: Limits::default(),
            load_limits: Limits::default(),
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
            version: AtomicI64::new(0),
            presets,
            store: Some(store),
            position: tokio::sync::Mutex::default(),
            cache: Mutex::default(),
            limits,
            load_limits: ceiling(limits),
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

    /// The store's change sequence the current snapshot includes (0: nothing saved).
    pub fn version(&self) -> i64 {
        self.version.load(Ordering::Relaxed)
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
        // What was applied is published even when a later query fails: the position has moved
        // past it, so it would otherwise stay unpublished until the next write.
        let result = loop {
            let batch = match store.changes_since(at.seq, BATCH).await {
                Ok(b) => b,
                Err(e) => break Err(e),
            };
            let Some(last) = batch.last().map(|r| r.seq) else {
                break Ok(());
            };
            let full = batch.len() == BATCH;
            let applied = self.applied(batch).await;
            for (kind, id, v) in applied {
                match v {
                    Some(v) => drop(at.saved.insert(id, v)),
                    None => at.saved.remove(kind, &id),
                }
            }
            at.seq = last;
            changed = true;
            if !full {
                break Ok(());
            }
        };
        if changed {
            let next = Arc::new(self.presets.with_saved(Arc::new(at.saved.clone())));
            match self.current.write() {
                Ok(mut c) => *c = next,
                Err(poisoned) => *poisoned.into_inner() = next,
            }
            self.version.store(at.seq, Ordering::Relaxed);
        }
        result
    }

    /// What each object of `batch` becomes in the saved layer (`None`: not served), from its
    /// last revision in the batch, validated on the worker pool (a schedule can be large).
    async fn applied(&self, batch: Vec<Revision>) -> Vec<(Kind, String, Option<Validated>)> {
        let mut latest: HashMap<(Kind, String), Revision> = HashMap::new();
        for r in batch {
            latest.insert((r.kind, r.id.clone()), r);
        }
        let mut ordered: Vec<Revision> = latest.into_values().collect();
        ordered.sort_by_key(|r| r.seq);
        let (presets, limits) = (self.presets.clone(), self.load_limits);
        let work = move || {
            ordered
                .into_iter()
                .map(|r| {
                    let v = applied(&presets, &limits, &r);
                    (r.kind, r.id, v)
                })
                .collect()
        };
        tokio::task::spawn_blocking(work).await.unwrap_or_default()
    }

    /// `snapshot` with the older versions that `refs` name (kind, `id@version`) loaded, for
    /// one request. A version the store does not have is left out: resolving it then answers
    /// NOT_FOUND at its field.
    pub async fn pin(
        &self,
        snapshot: Arc<Catalog>,
        refs: &[(Kind, &str)],
    ) -> Result<Arc<Catalog>, PinError> {
        let Some(store) = &self.store else {
            return Ok(snapshot);
        };
        let mut wanted: Vec<(Kind, &str, i64)> = refs
            .iter()
            .filter_map(|(kind, reference)| {
                let (id, version) = versioned::split(reference)?;
                (!snapshot.contains(*kind, reference)).then_some((*kind, id, version))
            })
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        if wanted.len() > MAX_PINNED {
            return Err(PinError::TooMany {
                named: wanted.len(),
            });
        }
        let mut pinned = Layer::default();
        for (kind, id, version) in wanted {
            let kind = &kind;
            let reference = versioned::key(id, version);
            let key = reference.clone();
            let cached = self.cached(*kind, &key);
            let v = match cached {
                Some(v) => v,
                None => {
                    let r = match store.get(*kind, id, Some(version)).await {
                        Ok(r) => r,
                        Err(StoreError::NotFound { .. }) => continue,
                        Err(e) => return Err(PinError::Store(e)),
                    };
                    match validated(&r, &self.load_limits) {
                        Ok(v) => {
                            self.remember(*kind, &key, v.clone(), r.body.len());
                            v
                        }
                        Err(e) => {
                            tracing::error!(kind = %kind, "a saved version no longer validates (its id and the error: the details log target)");
                            tracing::error!(target: crate::observe::DETAILS, kind = %kind, reference = %reference, "a saved version no longer validates: {e}");
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

    fn remember(&self, kind: Kind, key: &str, v: Validated, bytes: usize) {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache.insert((kind, key.to_string()), v, bytes);
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
        let body = object.to_json();
        if let Some(latest) = unchanged(store.as_ref(), object, &body, &expected).await? {
            return Ok(latest);
        }
        let r = store
            .put(kind, id, &body, object.as_of_date(), expected)
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

/// The latest version when writing `body` would change nothing (an update with the latest
/// etag or without precondition, and the same content): histories grow only with changes.
async fn unchanged(
    store: &dyn CatalogStore,
    object: &Object,
    body: &str,
    expected: &Expectation,
) -> Result<Option<Revision>, SaveError> {
    let etag = match expected {
        Expectation::MustNotExist => return Ok(None),
        Expectation::Etag(e) => Some(e),
        Expectation::Any => None,
    };
    match store.get(object.kind(), object.id(), None).await {
        Ok(latest) if latest.body == body && etag.is_none_or(|e| *e == latest.etag) => {
            Ok(Some(latest))
        }
        Ok(_) | Err(StoreError::NotFound { .. }) => Ok(None),
        Err(e) => Err(SaveError::Store(e)),
    }
}

/// What revision `r` becomes in the saved layer: its validated object, or `None` for a
/// deletion, a preset's id, or a body that no longer validates.
fn applied(presets: &Catalog, limits: &Limits, r: &Revision) -> Option<Validated> {
    if r.deleted {
        return None;
    }
    if presets.is_preset(r.kind, &r.id) {
        tracing::warn!(kind = %r.kind, "a saved object has a preset's id; the preset is served");
        tracing::warn!(target: crate::observe::DETAILS, kind = %r.kind, id = %r.id, "the saved object with a preset's id");
        return None;
    }
    match validated(r, limits) {
        Ok(v) => Some(v),
        Err(e) => {
            // Written under other rules: serving an older version under the latest's name
            // would be a silently wrong input, so the object is left out.
            tracing::error!(kind = %r.kind, "a saved object no longer validates and is not served (its id and the error: the details log target)");
            tracing::error!(target: crate::observe::DETAILS, kind = %r.kind, id = %r.id, version = r.version, "a saved object no longer validates: {e}");
            None
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

/// Validated older versions, the oldest dropped first beyond [`CACHED_VERSIONS`] entries or
/// [`CACHED_BYTES`] of bodies.
#[derive(Debug, Default)]
pub(super) struct VersionCache {
    pub(super) map: HashMap<(Kind, String), Validated>,
    order: VecDeque<((Kind, String), usize)>,
    pub(super) bytes: usize,
}

impl VersionCache {
    pub(super) fn insert(&mut self, key: (Kind, String), v: Validated, bytes: usize) {
        if bytes > CACHED_BYTES {
            return;
        }
        if self.map.insert(key.clone(), v).is_none() {
            self.order.push_back((key, bytes));
            self.bytes += bytes;
        }
        while self.order.len() > CACHED_VERSIONS || self.bytes > CACHED_BYTES {
            let Some((old, size)) = self.order.pop_front() else {
                break;
            };
            self.map.remove(&old);
            self.bytes -= size;
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
