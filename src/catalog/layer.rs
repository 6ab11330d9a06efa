//! One layer of the catalog: the objects of each kind by key. The presets (built-in and
//! `--catalog DIR`) form one layer, the latest saved versions another, and a request's pinned
//! older versions (`id@version`) a third, keyed by `id@version`.

use super::object::Validated;
use super::{Entry, Origin};
use crate::convert::bom::SourcedBom;
use crate::engine::fx::FxDeck;
use crate::engine::model::{PriceDeck, Schedule};
use crate::pb;
use crate::store::Kind;
use std::collections::BTreeMap;

/// The objects of one layer, by key.
#[derive(Debug, Default, Clone)]
pub(crate) struct Layer {
    pub(crate) boms: BTreeMap<String, Entry<pb::Bom, SourcedBom>>,
    pub(crate) price_decks: BTreeMap<String, Entry<pb::PriceDeck, PriceDeck>>,
    pub(crate) tariff_schedules: BTreeMap<String, Entry<pb::TariffSchedule, Schedule>>,
    pub(crate) fx_decks: BTreeMap<String, Entry<pb::FxDeck, FxDeck>>,
    pub(crate) overlays: BTreeMap<String, Entry<pb::ScheduleOverlay, ()>>,
}

/// What a list shows of one object, whatever its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Its kind.
    pub kind: Kind,
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its description.
    pub description: String,
    /// Its source.
    pub source: String,
    /// Its as-of date, empty for BOMs and overlays.
    pub as_of_date: String,
    /// Built-in, directory or saved.
    pub origin: Origin,
    /// Saved version, 0 for a preset.
    pub version: i64,
    /// Saved version's etag, empty for a preset.
    pub etag: String,
    /// When the version was saved (ms since the epoch), 0 for a preset.
    pub created_at_ms: i64,
}

/// An entry of any kind: its header and its message as an [`super::Object`].
pub(crate) trait Stored {
    fn file(&self) -> &str;
    fn version(&self) -> i64;
    fn header(&self) -> Header;
    fn object(&self) -> super::Object;
}

macro_rules! stored {
    ($proto:ty, $domain:ty, $kind:ident, $date:expr) => {
        impl Stored for Entry<$proto, $domain> {
            fn file(&self) -> &str {
                &self.file
            }
            fn version(&self) -> i64 {
                self.version
            }
            fn header(&self) -> Header {
                let p = &*self.proto;
                let date: fn(&$proto) -> String = $date;
                Header {
                    kind: Kind::$kind,
                    id: p.id.clone(),
                    name: p.name.clone(),
                    description: p.description.clone(),
                    source: p.source.clone(),
                    as_of_date: date(p),
                    origin: self.origin,
                    version: self.version,
                    etag: self.etag.clone(),
                    created_at_ms: self.created_at_ms,
                }
            }
            fn object(&self) -> super::Object {
                super::Object::$kind(self.proto.as_ref().clone())
            }
        }
    };
}
stored!(pb::Bom, SourcedBom, Bom, |_| String::new());
stored!(pb::PriceDeck, PriceDeck, PriceDeck, |p| p
    .as_of_date
    .clone());
stored!(pb::TariffSchedule, Schedule, TariffSchedule, |p| p
    .as_of_date
    .clone());
stored!(pb::FxDeck, FxDeck, FxDeck, |p| p.as_of_date.clone());

impl Stored for Entry<pb::ScheduleOverlay, ()> {
    fn file(&self) -> &str {
        &self.file
    }
    fn version(&self) -> i64 {
        self.version
    }
    fn header(&self) -> Header {
        let p = &*self.proto;
        Header {
            kind: Kind::ScheduleOverlay,
            id: p.id.clone(),
            name: String::new(),
            description: p.description.clone(),
            source: p.source.clone(),
            as_of_date: String::new(),
            origin: self.origin,
            version: self.version,
            etag: self.etag.clone(),
            created_at_ms: self.created_at_ms,
        }
    }
    fn object(&self) -> super::Object {
        super::Object::ScheduleOverlay(self.proto.as_ref().clone())
    }
}

fn stored<'a, P, D>(m: &'a BTreeMap<String, Entry<P, D>>, key: &str) -> Option<&'a dyn Stored>
where
    Entry<P, D>: Stored + 'a,
{
    m.get(key).map(|e| e as &dyn Stored)
}

fn all<'a, P, D>(m: &'a BTreeMap<String, Entry<P, D>>) -> Vec<&'a dyn Stored>
where
    Entry<P, D>: Stored + 'a,
{
    m.values().map(|e| e as &dyn Stored).collect()
}

impl Layer {
    /// Adds `v` under `key`, returning the file of an entry it replaces.
    pub(crate) fn insert(&mut self, key: String, v: Validated) -> Option<String> {
        match v {
            Validated::Bom(e) => self.boms.insert(key, e).map(|e| e.file),
            Validated::PriceDeck(e) => self.price_decks.insert(key, e).map(|e| e.file),
            Validated::TariffSchedule(e) => self.tariff_schedules.insert(key, e).map(|e| e.file),
            Validated::ScheduleOverlay(e) => self.overlays.insert(key, e).map(|e| e.file),
            Validated::FxDeck(e) => self.fx_decks.insert(key, e).map(|e| e.file),
        }
    }

    /// Takes (kind, key) out.
    pub(crate) fn remove(&mut self, kind: Kind, key: &str) {
        match kind {
            Kind::Bom => drop(self.boms.remove(key)),
            Kind::PriceDeck => drop(self.price_decks.remove(key)),
            Kind::TariffSchedule => drop(self.tariff_schedules.remove(key)),
            Kind::ScheduleOverlay => drop(self.overlays.remove(key)),
            Kind::FxDeck => drop(self.fx_decks.remove(key)),
        }
    }

    /// The entry of (kind, key), if any.
    pub(crate) fn get(&self, kind: Kind, key: &str) -> Option<&dyn Stored> {
        match kind {
            Kind::Bom => stored(&self.boms, key),
            Kind::PriceDeck => stored(&self.price_decks, key),
            Kind::TariffSchedule => stored(&self.tariff_schedules, key),
            Kind::ScheduleOverlay => stored(&self.overlays, key),
            Kind::FxDeck => stored(&self.fx_decks, key),
        }
    }

    /// Every entry of `kind`, by key.
    pub(crate) fn all(&self, kind: Kind) -> Vec<&dyn Stored> {
        match kind {
            Kind::Bom => all(&self.boms),
            Kind::PriceDeck => all(&self.price_decks),
            Kind::TariffSchedule => all(&self.tariff_schedules),
            Kind::ScheduleOverlay => all(&self.overlays),
            Kind::FxDeck => all(&self.fx_decks),
        }
    }

    /// How many entries the layer holds, all kinds together.
    pub(crate) fn len(&self) -> usize {
        self.boms.len()
            + self.price_decks.len()
            + self.tariff_schedules.len()
            + self.fx_decks.len()
            + self.overlays.len()
    }
}
