//! The catalog: BOMs, price decks, tariff schedules, schedule overlays and FX decks, in three
//! layers. Presets: proto3-JSON data files (the same JSON grpcurl prints and accepts) compiled
//! into the binary from `catalog/` and optionally extended at start-up from a directory;
//! read-only, always present. Saved objects: the latest version of each object written
//! through `CatalogService` ([`live`] keeps them in step with the store). Pinned versions: the
//! older versions (`id@version`) one request names, loaded for it. Every object is validated
//! by the same conversion as a request; a broken preset file stops the start-up with its name
//! and field.
//!
//! A [`Catalog`] is an immutable snapshot, cheap to clone (three `Arc`s): a calculation holds
//! one for its whole run and never waits on the database.

mod builtin;
mod layer;
pub mod live;
#[cfg(test)]
mod live_tests;
mod object;
pub mod versioned;

pub use crate::store::Kind;
pub use layer::Header;
pub use live::Catalogs;
pub use object::Object;

use crate::convert::Limits;
use crate::convert::bom::SourcedBom;
use crate::engine::InputError;
use crate::engine::fx::FxDeck;
use crate::engine::model::{PriceDeck, Schedule};
use crate::pb;
use layer::{Layer, Stored};
use object::{Meta, Validated};
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

/// Where a catalog object comes from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Origin {
    /// Compiled into the binary.
    #[default]
    BuiltIn,
    /// Loaded from a `--catalog` directory at start.
    Directory,
    /// Saved through `CatalogService` (versioned).
    Saved,
}

/// One catalog object: the message as stored (returned by `CatalogService`), its validated
/// form, and where it came from.
#[derive(Debug)]
pub struct Entry<P, D> {
    /// As stored.
    pub proto: Arc<P>,
    /// Validated domain value.
    pub domain: Arc<D>,
    /// File it came from (`store:<kind>/<id>@<version>` for a saved object).
    pub file: String,
    /// Built-in, directory or saved.
    pub origin: Origin,
    /// Saved version (1, 2, ...), 0 for a preset.
    pub version: i64,
    /// Saved version's etag, empty for a preset.
    pub etag: String,
    /// When the version was saved, ms since the epoch; 0 for a preset.
    pub created_at_ms: i64,
}

impl<P, D> Clone for Entry<P, D> {
    fn clone(&self) -> Self {
        Entry {
            proto: self.proto.clone(),
            domain: self.domain.clone(),
            file: self.file.clone(),
            origin: self.origin,
            version: self.version,
            etag: self.etag.clone(),
            created_at_ms: self.created_at_ms,
        }
    }
}

/// A snapshot of the catalog: presets, the latest saved versions and a request's pinned
/// versions.
#[derive(Debug, Default, Clone)]
pub struct Catalog {
    presets: Arc<Layer>,
    saved: Arc<Layer>,
    pinned: Arc<Layer>,
}

/// A catalog file that could not be loaded: which file, which field, what is wrong.
#[derive(Debug)]
pub struct CatalogError {
    /// File name.
    pub file: String,
    /// Field path inside the file ("" when the file is not valid JSON at all).
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for CatalogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "catalog file {}: {}", self.file, self.message)
        } else {
            write!(
                f,
                "catalog file {}: field {}: {}",
                self.file, self.field, self.message
            )
        }
    }
}

impl std::error::Error for CatalogError {}

/// The folder of a catalog directory that holds the files of `kind`.
pub fn folder(kind: Kind) -> &'static str {
    match kind {
        Kind::Bom => "boms",
        Kind::PriceDeck => "price_decks",
        Kind::TariffSchedule => "tariff_schedules",
        Kind::ScheduleOverlay => "schedule_overlays",
        Kind::FxDeck => "fx_decks",
    }
}

fn err(file: &str, field: &str, message: impl Into<String>) -> CatalogError {
    CatalogError {
        file: file.to_string(),
        field: field.to_string(),
        message: message.into(),
    }
}

fn from_input(file: &str, errors: Vec<InputError>) -> CatalogError {
    let first = errors.into_iter().next();
    match first {
        Some(e) => err(
            file,
            &e.field.to_string(),
            format!("{} ({})", e.message, e.reason.as_str()),
        ),
        None => err(file, "", "invalid"),
    }
}

fn require(file: &str, field: &str, value: &str) -> Result<(), CatalogError> {
    if value.is_empty() {
        Err(err(
            file,
            field,
            "is required in a catalog file (presets carry their provenance)",
        ))
    } else {
        Ok(())
    }
}

impl Catalog {
    /// The presets compiled into the binary.
    pub fn builtin() -> Result<Catalog, CatalogError> {
        let mut c = Catalog::default();
        for (kind, file, json) in builtin::FILES {
            c.add_as(Origin::BuiltIn, *kind, file, json)?;
        }
        Ok(c)
    }

    /// Adds every `*.json` file under `dir/boms`, `dir/price_decks`, `dir/tariff_schedules`,
    /// `dir/schedule_overlays` and `dir/fx_decks` (the layout `catalog export` writes).
    pub fn load_dir(&mut self, dir: &Path) -> Result<usize, CatalogError> {
        let mut n = 0;
        for kind in Kind::ALL {
            let sub = dir.join(folder(kind));
            if !sub.is_dir() {
                continue;
            }
            let read = std::fs::read_dir(&sub)
                .map_err(|e| err(&sub.display().to_string(), "", e.to_string()))?;
            let mut paths: Vec<_> = read.filter_map(Result::ok).map(|e| e.path()).collect();
            paths.sort();
            for path in paths
                .iter()
                .filter(|p| p.extension().is_some_and(|e| e == "json"))
            {
                let name = path.display().to_string();
                let json =
                    std::fs::read_to_string(path).map_err(|e| err(&name, "", e.to_string()))?;
                self.add(kind, &name, &json)?;
                n += 1;
            }
        }
        if n == 0 {
            return Err(err(
                &dir.display().to_string(),
                "",
                "no *.json files under boms/, price_decks/, tariff_schedules/, \
                 schedule_overlays/ or fx_decks/",
            ));
        }
        Ok(n)
    }

    /// Parses, validates and adds one directory file's preset.
    pub fn add(&mut self, kind: Kind, file: &str, json: &str) -> Result<(), CatalogError> {
        self.add_as(Origin::Directory, kind, file, json)
    }

    fn add_as(
        &mut self,
        origin: Origin,
        kind: Kind,
        file: &str,
        json: &str,
    ) -> Result<(), CatalogError> {
        let object = Object::from_json(kind, json)
            .map_err(|e| err(file, "", format!("not valid proto3 JSON: {e}")))?;
        provenance(file, &object)?;
        let meta = Meta {
            file: file.to_string(),
            origin,
            ..Meta::default()
        };
        let id = object.id().to_string();
        // Converted under the request's root so a preset BOM's lines carry the same field
        // paths (`bom.items[0]`) as the same BOM sent inline; file errors drop the root.
        let root = if kind == Kind::Bom { "bom" } else { "" };
        let v = object
            .validate(root, &Limits::default(), meta)
            .map_err(|e| from_input(file, unrooted(e, root)))?;
        self.add_preset(file, id, v)
    }

    fn add_preset(&mut self, file: &str, id: String, v: Validated) -> Result<(), CatalogError> {
        let presets = Arc::make_mut(&mut self.presets);
        if let Some(existing) = presets.get(v.kind(), &id) {
            let by = existing.file();
            return Err(err(
                file,
                "id",
                format!("id {id:?} is already defined by {by}"),
            ));
        }
        presets.insert(id, v);
        Ok(())
    }

    /// Compiles the USITC HTS export `json` (read from `file`) with the data shipped in the
    /// binary ([`crate::hts::bundled`]: the inputs of the built-in `us-hts-2026`) and adds it
    /// as schedule `id`: how a newer official export is loaded at start without code changes.
    /// Returns the compile's report (what was imported, what was left out and why).
    pub fn add_hts_export(
        &mut self,
        file: &str,
        json: &str,
        id: &str,
        as_of_date: Option<String>,
        source: Option<String>,
    ) -> Result<String, CatalogError> {
        let inputs = crate::hts::bundled::inputs(id, as_of_date, source);
        let (schedule, report) =
            crate::hts::official::compile(file, json, &inputs).map_err(|e| err(file, "", e))?;
        let object = Object::TariffSchedule(schedule);
        provenance(file, &object)?;
        let meta = Meta {
            file: file.to_string(),
            origin: Origin::Directory,
            ..Meta::default()
        };
        let id = object.id().to_string();
        let v = object
            .validate("", &Limits::default(), meta)
            .map_err(|e| from_input(file, e))?;
        self.add_preset(file, id, v)?;
        Ok(report)
    }

    /// The same presets with `saved` as the saved layer (and nothing pinned).
    pub(crate) fn with_saved(&self, saved: Arc<Layer>) -> Catalog {
        Catalog {
            presets: self.presets.clone(),
            saved,
            pinned: Arc::default(),
        }
    }

    /// The same catalog with `pinned` as the request's pinned versions.
    pub(crate) fn with_pinned(&self, pinned: Layer) -> Catalog {
        Catalog {
            presets: self.presets.clone(),
            saved: self.saved.clone(),
            pinned: Arc::new(pinned),
        }
    }

    /// Whether a preset (built-in or directory) of `kind` has `id`: saved objects may not
    /// take it.
    pub fn is_preset(&self, kind: Kind, id: &str) -> bool {
        self.presets.get(kind, id).is_some()
    }

    fn find<'a, P, D>(
        &'a self,
        id: &str,
        map: impl Fn(&Layer) -> &BTreeMap<String, Entry<P, D>>,
    ) -> Option<&'a Entry<P, D>> {
        match versioned::split(id) {
            None => map(&self.presets)
                .get(id)
                .or_else(|| map(&self.saved).get(id)),
            Some((base, version)) => map(&self.saved)
                .get(base)
                .filter(|e| e.version == version)
                .or_else(|| map(&self.pinned).get(&versioned::key(base, version))),
        }
    }

    /// A BOM by id or `id@version`.
    pub fn bom(&self, id: &str) -> Option<&Entry<pb::Bom, SourcedBom>> {
        self.find(id, |l| &l.boms)
    }
    /// A price deck by id or `id@version`.
    pub fn price_deck(&self, id: &str) -> Option<&Entry<pb::PriceDeck, PriceDeck>> {
        self.find(id, |l| &l.price_decks)
    }
    /// A tariff schedule by id or `id@version`.
    pub fn tariff_schedule(&self, id: &str) -> Option<&Entry<pb::TariffSchedule, Schedule>> {
        self.find(id, |l| &l.tariff_schedules)
    }
    /// An FX deck by id or `id@version`.
    pub fn fx_deck(&self, id: &str) -> Option<&Entry<pb::FxDeck, FxDeck>> {
        self.find(id, |l| &l.fx_decks)
    }
    /// A saved schedule overlay by id or `id@version`.
    pub fn schedule_overlay(&self, id: &str) -> Option<&Entry<pb::ScheduleOverlay, ()>> {
        self.find(id, |l| &l.overlays)
    }

    /// Whether (kind, id or `id@version`) resolves in this snapshot.
    pub fn contains(&self, kind: Kind, id: &str) -> bool {
        self.stored(kind, id).is_some()
    }

    /// The header and message of (kind, id or `id@version`).
    pub fn object(&self, kind: Kind, id: &str) -> Option<(Header, Object)> {
        self.stored(kind, id).map(|e| (e.header(), e.object()))
    }

    fn stored(&self, kind: Kind, id: &str) -> Option<&dyn Stored> {
        match versioned::split(id) {
            None => self
                .presets
                .get(kind, id)
                .or_else(|| self.saved.get(kind, id)),
            Some((base, version)) => self
                .saved
                .get(kind, base)
                .filter(|e| e.version() == version)
                .or_else(|| self.pinned.get(kind, &versioned::key(base, version))),
        }
    }

    /// Every object of `kind`: presets and the latest saved versions, by id (a saved object
    /// never shares a preset's id).
    pub fn headers(&self, kind: Kind) -> Vec<Header> {
        let mut all: Vec<Header> = self
            .presets
            .all(kind)
            .into_iter()
            .chain(self.saved.all(kind))
            .map(|e| e.header())
            .collect();
        all.sort_by(|a, b| a.id.cmp(&b.id));
        all
    }

    /// How many saved objects the snapshot holds.
    pub fn saved_len(&self) -> usize {
        self.saved.len()
    }

    /// Every FX deck, by id.
    pub fn fx_decks(&self) -> impl Iterator<Item = &Entry<pb::FxDeck, FxDeck>> {
        merged(&self.presets.fx_decks, &self.saved.fx_decks)
    }
    /// Every BOM, by id.
    pub fn boms(&self) -> impl Iterator<Item = &Entry<pb::Bom, SourcedBom>> {
        merged(&self.presets.boms, &self.saved.boms)
    }
    /// Every price deck, by id.
    pub fn price_decks(&self) -> impl Iterator<Item = &Entry<pb::PriceDeck, PriceDeck>> {
        merged(&self.presets.price_decks, &self.saved.price_decks)
    }
    /// Every tariff schedule, by id.
    pub fn tariff_schedules(&self) -> impl Iterator<Item = &Entry<pb::TariffSchedule, Schedule>> {
        merged(&self.presets.tariff_schedules, &self.saved.tariff_schedules)
    }
}

/// The entries of two layers' maps, by id (presets first on a tie, which the saved layer
/// never has).
fn merged<'a, P, D>(
    a: &'a BTreeMap<String, Entry<P, D>>,
    b: &'a BTreeMap<String, Entry<P, D>>,
) -> impl Iterator<Item = &'a Entry<P, D>> {
    let mut all: Vec<(&String, &Entry<P, D>)> = a.iter().chain(b.iter()).collect();
    all.sort_by(|x, y| x.0.cmp(y.0));
    all.into_iter().map(|(_, e)| e)
}

/// Field paths of a file's errors without the request root a BOM is converted under.
fn unrooted(errors: Vec<InputError>, root: &str) -> Vec<InputError> {
    if root.is_empty() {
        return errors;
    }
    let prefix = format!("{root}.");
    errors
        .into_iter()
        .map(|mut v| {
            if let Some(p) = v.field.path().and_then(|p| p.strip_prefix(prefix.as_str())) {
                v.field = p.into();
            }
            v
        })
        .collect()
}

/// What a preset file must state besides what a request needs: its id and provenance (every
/// preset is cited in results).
fn provenance(file: &str, object: &Object) -> Result<(), CatalogError> {
    require(file, "id", object.id())?;
    if object.id().contains('@') {
        return Err(err(
            file,
            "id",
            "an id may not contain '@': requests name a saved version as id@version",
        ));
    }
    match object {
        Object::Bom(p) => require(file, "source", &p.source),
        Object::PriceDeck(p) => {
            require(file, "as_of_date", &p.as_of_date)?;
            for (i, price) in p.prices.iter().enumerate() {
                if price.source.is_empty() {
                    require(file, "source", &p.source)?;
                }
                if price.basis == 0 {
                    return Err(err(
                        file,
                        &format!("prices[{i}].basis"),
                        "a preset price states its basis",
                    ));
                }
            }
            Ok(())
        }
        Object::TariffSchedule(p) => {
            require(file, "as_of_date", &p.as_of_date)?;
            for (i, m) in p.measures.iter().enumerate() {
                require(file, &format!("measures[{i}].source"), &m.source)?;
            }
            for (i, f) in p.fees.iter().enumerate() {
                require(file, &format!("fees[{i}].source"), &f.source)?;
            }
            Ok(())
        }
        Object::ScheduleOverlay(p) => require(file, "source", &p.source),
        Object::FxDeck(p) => {
            require(file, "as_of_date", &p.as_of_date)?;
            for r in &p.rates {
                if r.source.is_empty() {
                    require(file, "source", &p.source)?;
                }
            }
            Ok(())
        }
    }
}
