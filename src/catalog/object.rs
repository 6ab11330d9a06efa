//! One catalog object of any kind, as a request writes it or the store keeps it: its proto,
//! its id and date, its proto3-JSON body, and its validation, which is exactly the one the
//! same object gets sent inline (field paths rooted at the object's field, e.g. `bom.items[0]`).

use super::{Entry, Origin};
use crate::convert::{self, Limits};
use crate::engine::{InputError, Reason};
use crate::pb;
use crate::store::Kind;
use std::sync::Arc;

/// A catalog object of one of the five kinds.
#[derive(Debug, Clone, PartialEq)]
pub enum Object {
    /// A BOM.
    Bom(pb::Bom),
    /// A price deck.
    PriceDeck(pb::PriceDeck),
    /// A tariff schedule.
    TariffSchedule(pb::TariffSchedule),
    /// A schedule overlay.
    ScheduleOverlay(pb::ScheduleOverlay),
    /// An FX deck.
    FxDeck(pb::FxDeck),
}

/// An object validated into the form calculations use, ready for a catalog layer.
#[derive(Debug, Clone)]
pub(crate) enum Validated {
    Bom(Entry<pb::Bom, convert::bom::SourcedBom>),
    PriceDeck(Entry<pb::PriceDeck, crate::engine::model::PriceDeck>),
    TariffSchedule(Entry<pb::TariffSchedule, crate::engine::model::Schedule>),
    ScheduleOverlay(Entry<pb::ScheduleOverlay, ()>),
    FxDeck(Entry<pb::FxDeck, crate::engine::fx::FxDeck>),
}

/// Where a validated object came from and which version it is.
#[derive(Debug, Clone, Default)]
pub(crate) struct Meta {
    pub file: String,
    pub origin: Origin,
    pub version: i64,
    pub etag: String,
    pub created_at_ms: i64,
}

impl Object {
    /// Its kind.
    pub fn kind(&self) -> Kind {
        match self {
            Object::Bom(_) => Kind::Bom,
            Object::PriceDeck(_) => Kind::PriceDeck,
            Object::TariffSchedule(_) => Kind::TariffSchedule,
            Object::ScheduleOverlay(_) => Kind::ScheduleOverlay,
            Object::FxDeck(_) => Kind::FxDeck,
        }
    }

    /// Its id.
    pub fn id(&self) -> &str {
        match self {
            Object::Bom(o) => &o.id,
            Object::PriceDeck(o) => &o.id,
            Object::TariffSchedule(o) => &o.id,
            Object::ScheduleOverlay(o) => &o.id,
            Object::FxDeck(o) => &o.id,
        }
    }

    /// Its as-of date, empty for the kinds without one.
    pub fn as_of_date(&self) -> &str {
        match self {
            Object::PriceDeck(o) => &o.as_of_date,
            Object::TariffSchedule(o) => &o.as_of_date,
            Object::FxDeck(o) => &o.as_of_date,
            Object::Bom(_) | Object::ScheduleOverlay(_) => "",
        }
    }

    /// The request field an object of this kind is given at: the root of its field paths.
    pub fn field(kind: Kind) -> &'static str {
        match kind {
            Kind::Bom => "bom",
            Kind::PriceDeck => "price_deck",
            Kind::TariffSchedule => "tariff_schedule",
            Kind::ScheduleOverlay => "schedule_overlay",
            Kind::FxDeck => "fx_deck",
        }
    }

    /// The proto3-JSON text the store keeps (what grpcurl prints and catalog files hold).
    pub fn to_json(&self) -> String {
        let json = match self {
            Object::Bom(o) => serde_json::to_string_pretty(o),
            Object::PriceDeck(o) => serde_json::to_string_pretty(o),
            Object::TariffSchedule(o) => serde_json::to_string_pretty(o),
            Object::ScheduleOverlay(o) => serde_json::to_string_pretty(o),
            Object::FxDeck(o) => serde_json::to_string_pretty(o),
        };
        // Serializing a generated message into a String cannot fail (no maps with non-string
        // keys, no I/O).
        json.unwrap_or_default()
    }

    /// Reads an object of `kind` from its proto3-JSON text.
    pub fn from_json(kind: Kind, json: &str) -> Result<Object, serde_json::Error> {
        Ok(match kind {
            Kind::Bom => Object::Bom(serde_json::from_str(json)?),
            Kind::PriceDeck => Object::PriceDeck(serde_json::from_str(json)?),
            Kind::TariffSchedule => Object::TariffSchedule(serde_json::from_str(json)?),
            Kind::ScheduleOverlay => Object::ScheduleOverlay(serde_json::from_str(json)?),
            Kind::FxDeck => Object::FxDeck(serde_json::from_str(json)?),
        })
    }

    /// Validates the object as the same object sent inline at `root` (its kind's
    /// [`Object::field`] in a write request), and requires what a saved object needs besides:
    /// an id to be found by.
    pub(crate) fn validate(
        self,
        root: &str,
        limits: &Limits,
        meta: Meta,
    ) -> Result<Validated, Vec<InputError>> {
        if self.id().is_empty() {
            let field = convert::join(root, "id");
            return Err(vec![InputError::new(
                field,
                Reason::Required,
                "a saved object needs an id: requests name it by id or id@version",
            )]);
        }
        Ok(match self {
            Object::Bom(p) => {
                let d = convert::bom::bom(&p, root, limits)?;
                Validated::Bom(entry(p, d, meta))
            }
            Object::PriceDeck(p) => {
                let d = convert::price_deck::price_deck(&p, root)?;
                Validated::PriceDeck(entry(p, d, meta))
            }
            Object::TariffSchedule(p) => {
                let d = convert::schedule::schedule(&p, root)?;
                Validated::TariffSchedule(entry(p, d, meta))
            }
            // An overlay's changes name its base's measures: they are checked against the
            // base when a request applies it, as an inline overlay's are.
            Object::ScheduleOverlay(p) => Validated::ScheduleOverlay(entry(p, (), meta)),
            Object::FxDeck(p) => {
                let d = convert::fx_deck::fx_deck(&p, root)?;
                Validated::FxDeck(entry(p, d, meta))
            }
        })
    }
}

fn entry<P, D>(proto: P, domain: D, meta: Meta) -> Entry<P, D> {
    Entry {
        proto: Arc::new(proto),
        domain: Arc::new(domain),
        file: meta.file,
        origin: meta.origin,
        version: meta.version,
        etag: meta.etag,
        created_at_ms: meta.created_at_ms,
    }
}

impl Validated {
    /// Its kind.
    pub(crate) fn kind(&self) -> Kind {
        match self {
            Validated::Bom(_) => Kind::Bom,
            Validated::PriceDeck(_) => Kind::PriceDeck,
            Validated::TariffSchedule(_) => Kind::TariffSchedule,
            Validated::ScheduleOverlay(_) => Kind::ScheduleOverlay,
            Validated::FxDeck(_) => Kind::FxDeck,
        }
    }
}
