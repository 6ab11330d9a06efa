//! The catalog of presets: BOMs, price decks and tariff schedules stored as proto3-JSON data
//! files (the same JSON grpcurl prints and accepts), compiled into the binary from `catalog/`
//! and optionally extended at start-up from a directory. Every file is validated by the same
//! conversion as a request; a broken file stops the start-up with its name and field.

mod builtin;

use crate::convert::bom::SourcedBom;
use crate::convert::{self, Limits};
use crate::engine::InputError;
use crate::engine::fx::FxDeck;
use crate::engine::model::{PriceDeck, Schedule};
use crate::pb;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

/// One preset: the message as stored (returned by `CatalogService`) and its validated form.
#[derive(Debug)]
pub struct Entry<P, D> {
    /// As stored.
    pub proto: Arc<P>,
    /// Validated domain value.
    pub domain: Arc<D>,
    /// File it came from.
    pub file: String,
}

/// Every preset, by id.
#[derive(Debug, Default)]
pub struct Catalog {
    boms: BTreeMap<String, Entry<pb::Bom, SourcedBom>>,
    price_decks: BTreeMap<String, Entry<pb::PriceDeck, PriceDeck>>,
    tariff_schedules: BTreeMap<String, Entry<pb::TariffSchedule, Schedule>>,
    fx_decks: BTreeMap<String, Entry<pb::FxDeck, FxDeck>>,
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

/// The kinds of preset, by the folder their files live in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `boms/`.
    Bom,
    /// `price_decks/`.
    PriceDeck,
    /// `tariff_schedules/`.
    TariffSchedule,
    /// `fx_decks/`.
    FxDeck,
}

impl Kind {
    /// Folder name of this kind.
    pub fn folder(self) -> &'static str {
        match self {
            Kind::Bom => "boms",
            Kind::PriceDeck => "price_decks",
            Kind::TariffSchedule => "tariff_schedules",
            Kind::FxDeck => "fx_decks",
        }
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

fn parse<T: serde::de::DeserializeOwned>(file: &str, json: &str) -> Result<T, CatalogError> {
    serde_json::from_str(json).map_err(|e| err(file, "", format!("not valid proto3 JSON: {e}")))
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
            c.add(*kind, file, json)?;
        }
        Ok(c)
    }

    /// Adds every `*.json` file under `dir/boms`, `dir/price_decks`, `dir/tariff_schedules` and
    /// `dir/fx_decks`.
    pub fn load_dir(&mut self, dir: &Path) -> Result<usize, CatalogError> {
        let mut n = 0;
        for kind in [
            Kind::Bom,
            Kind::PriceDeck,
            Kind::TariffSchedule,
            Kind::FxDeck,
        ] {
            let sub = dir.join(kind.folder());
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
                "no *.json files under boms/, price_decks/, tariff_schedules/ or fx_decks/",
            ));
        }
        Ok(n)
    }

    /// Parses, validates and adds one file's preset.
    pub fn add(&mut self, kind: Kind, file: &str, json: &str) -> Result<(), CatalogError> {
        let limits = Limits::default();
        match kind {
            Kind::Bom => {
                let p: pb::Bom = parse(file, json)?;
                require(file, "id", &p.id)?;
                require(file, "source", &p.source)?;
                // Converted under the request's root so a preset's lines carry the same field
                // paths (`bom.items[0]`) as the same BOM sent inline; file errors drop the root.
                let d = convert::bom::bom(&p, "bom", &limits).map_err(|e| {
                    let in_file = e
                        .into_iter()
                        .map(|mut v| {
                            if let Some(p) = v.field.path().and_then(|p| p.strip_prefix("bom.")) {
                                v.field = p.into();
                            }
                            v
                        })
                        .collect();
                    from_input(file, in_file)
                })?;
                insert(&mut self.boms, file, p.id.clone(), p, d)
            }
            Kind::PriceDeck => {
                let p: pb::PriceDeck = parse(file, json)?;
                require(file, "id", &p.id)?;
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
                let d = convert::price_deck::price_deck(&p, "").map_err(|e| from_input(file, e))?;
                insert(&mut self.price_decks, file, p.id.clone(), p, d)
            }
            Kind::TariffSchedule => self.add_schedule(file, parse(file, json)?),
            Kind::FxDeck => {
                let p: pb::FxDeck = parse(file, json)?;
                require(file, "id", &p.id)?;
                require(file, "as_of_date", &p.as_of_date)?;
                for r in &p.rates {
                    if r.source.is_empty() {
                        require(file, "source", &p.source)?;
                    }
                }
                let d = convert::fx_deck::fx_deck(&p, "").map_err(|e| from_input(file, e))?;
                insert(&mut self.fx_decks, file, p.id.clone(), p, d)
            }
        }
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
        self.add_schedule(file, schedule)?;
        Ok(report)
    }

    /// Validates and adds one schedule: a preset names its id, date and every measure's and
    /// fee's source.
    fn add_schedule(&mut self, file: &str, p: pb::TariffSchedule) -> Result<(), CatalogError> {
        require(file, "id", &p.id)?;
        require(file, "as_of_date", &p.as_of_date)?;
        for (i, m) in p.measures.iter().enumerate() {
            require(file, &format!("measures[{i}].source"), &m.source)?;
        }
        for (i, f) in p.fees.iter().enumerate() {
            require(file, &format!("fees[{i}].source"), &f.source)?;
        }
        let d = convert::schedule::schedule(&p, "").map_err(|e| from_input(file, e))?;
        insert(&mut self.tariff_schedules, file, p.id.clone(), p, d)
    }

    /// A BOM by id.
    pub fn bom(&self, id: &str) -> Option<&Entry<pb::Bom, SourcedBom>> {
        self.boms.get(id)
    }
    /// A price deck by id.
    pub fn price_deck(&self, id: &str) -> Option<&Entry<pb::PriceDeck, PriceDeck>> {
        self.price_decks.get(id)
    }
    /// A tariff schedule by id.
    pub fn tariff_schedule(&self, id: &str) -> Option<&Entry<pb::TariffSchedule, Schedule>> {
        self.tariff_schedules.get(id)
    }
    /// An FX deck by id.
    pub fn fx_deck(&self, id: &str) -> Option<&Entry<pb::FxDeck, FxDeck>> {
        self.fx_decks.get(id)
    }
    /// Every FX deck, by id.
    pub fn fx_decks(&self) -> impl Iterator<Item = &Entry<pb::FxDeck, FxDeck>> {
        self.fx_decks.values()
    }
    /// Every BOM, by id.
    pub fn boms(&self) -> impl Iterator<Item = &Entry<pb::Bom, SourcedBom>> {
        self.boms.values()
    }
    /// Every price deck, by id.
    pub fn price_decks(&self) -> impl Iterator<Item = &Entry<pb::PriceDeck, PriceDeck>> {
        self.price_decks.values()
    }
    /// Every tariff schedule, by id.
    pub fn tariff_schedules(&self) -> impl Iterator<Item = &Entry<pb::TariffSchedule, Schedule>> {
        self.tariff_schedules.values()
    }
}

fn insert<P, D>(
    map: &mut BTreeMap<String, Entry<P, D>>,
    file: &str,
    id: String,
    proto: P,
    domain: D,
) -> Result<(), CatalogError> {
    if let Some(existing) = map.get(&id) {
        return Err(err(
            file,
            "id",
            format!("id {id:?} is already defined by {}", existing.file),
        ));
    }
    map.insert(
        id,
        Entry {
            proto: Arc::new(proto),
            domain: Arc::new(domain),
            file: file.to_string(),
        },
    );
    Ok(())
}
