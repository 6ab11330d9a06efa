//! Price deck conversion.

use super::check::{Check, Range, join};
use super::enums;
use crate::engine::model::{MaterialPrice, PriceDeck};
use crate::engine::{InputError, Reason};
use crate::pb;
use std::collections::HashMap;

/// Validates a price deck found at field path `root` (e.g. `baseline_prices`).
pub(crate) fn price_deck(d: &pb::PriceDeck, root: &str) -> Result<PriceDeck, Vec<InputError>> {
    let mut c = Check::default();
    let currency = c.currency(&d.currency, &join(root, "currency"));
    c.optional_date(&d.as_of_date, &join(root, "as_of_date"));
    let mut prices = HashMap::with_capacity_and_hasher(d.prices.len(), rustc_hash::FxBuildHasher);
    for (i, p) in d.prices.iter().enumerate() {
        let f = join(root, &format!("prices[{i}]"));
        if p.material_id.is_empty() {
            c.push(
                join(&f, "material_id"),
                Reason::Required,
                "material_id is required",
            );
            continue;
        }
        let price = c.decimal(&p.price, &join(&f, "price"), Range::NonNegative);
        let unit = c.enum_value(
            enums::unit(p.unit),
            p.unit,
            &join(&f, "unit"),
            "unit of measure",
        );
        if pb::PriceBasis::try_from(p.basis).is_err() {
            c.push(
                join(&f, "basis"),
                Reason::InvalidValue,
                format!("{} is not a known price basis", p.basis),
            );
        }
        if prices.contains_key(&p.material_id) {
            c.push(
                join(&f, "material_id"),
                Reason::Duplicate,
                format!("material {:?} is priced twice in this deck", p.material_id),
            );
            continue;
        }
        if let (Some(price), Some(unit)) = (price, unit) {
            let name = if p.name.is_empty() {
                p.material_id.clone()
            } else {
                p.name.clone()
            };
            prices.insert(
                p.material_id.clone(),
                MaterialPrice {
                    name: name.into(),
                    price,
                    unit,
                },
            );
        }
    }
    let Some(currency) = currency else {
        return Err(c.into_errors());
    };
    c.finish(PriceDeck {
        id: d.id.clone(),
        currency,
        prices,
    })
}
