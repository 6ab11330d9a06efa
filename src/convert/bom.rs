//! BOM conversion: decides each item's kind, expands shared assemblies (rejecting cycles),
//! and enforces the depth and size limits so no BOM can exhaust the stack or memory.

use super::check::{Check, Child, Field, Limits, Range, join, join_into};
use super::enums;
use crate::engine::currency::Currency;
use crate::engine::model::{Bom, Import, Incoterm, Item, ItemKind};
use crate::engine::text::clip;
use crate::engine::units::Unit;
use crate::engine::{InputError, Reason};
use crate::pb;
use rust_decimal::Decimal;
use std::collections::{HashMap, HashSet};

/// A validated BOM with the field path of each of its lines in the BOM message: the engine
/// names a line by its depth-first position (the order of a costing's lines), and the API
/// turns that position into the request field path under whatever prefix it serves.
#[derive(Debug, Clone)]
pub struct SourcedBom {
    /// The BOM as the engine takes it.
    pub bom: Bom,
    /// Per line, depth-first: its path relative to the BOM, e.g. `items[0].children[1]`.
    paths: Vec<String>,
}

impl SourcedBom {
    /// The field path of line `line` under the BOM's field path `root` (e.g. `bom`,
    /// `calculation.bom`); `root` itself for a line it does not have.
    pub fn path(&self, root: &str, line: usize) -> String {
        let mut out = String::new();
        self.path_into(root, line, &mut out);
        out
    }

    /// [`SourcedBom::path`] written into `out` (cleared first), for a writer that reuses one
    /// buffer for every line.
    pub fn path_into(&self, root: &str, line: usize, out: &mut String) {
        out.clear();
        match self.paths.get(line) {
            Some(rel) => join_into(root, rel, out),
            None => out.push_str(root),
        }
    }

    /// Bytes of every line's field path under `root`, which a full response repeats.
    pub fn path_bytes(&self, root: &str) -> u64 {
        let per_line = root.len() as u64 + 1;
        self.paths.iter().map(|p| p.len() as u64 + per_line).sum()
    }
}

/// Validates a BOM found at field path `root` (`bom` in requests, empty in catalog files).
pub fn bom(b: &pb::Bom, root: &str, limits: &Limits) -> Result<SourcedBom, Vec<InputError>> {
    let mut c = Check::default();
    let currency = c.currency(&b.currency, &join(root, "currency"));
    if b.items.is_empty() {
        c.push(
            join(root, "items"),
            Reason::Required,
            "a BOM needs at least one item",
        );
    }
    let mut shared = HashMap::with_capacity(b.shared_assemblies.len());
    for (i, s) in b.shared_assemblies.iter().enumerate() {
        let f = join(root, &format!("shared_assemblies[{i}]"));
        if s.id.is_empty() {
            c.push(join(&f, "id"), Reason::Required, "id is required");
        } else if shared.insert(s.id.as_str(), (f.clone(), s)).is_some() {
            c.push(
                join(&f, "id"),
                Reason::Duplicate,
                format!("shared assembly id {:?} is defined twice", s.id),
            );
        }
        if s.children.is_empty() {
            c.push(
                join(&f, "children"),
                Reason::Required,
                "a shared assembly needs at least one child",
            );
        }
    }
    let default_incoterm = match enums::incoterm(b.default_incoterm) {
        Ok(t) => t.unwrap_or_default(),
        Err(why) => {
            c.push(join(root, "default_incoterm"), Reason::InvalidValue, why);
            Incoterm::default()
        }
    };
    let mut expander = Expander {
        c,
        // A BOM whose own currency is invalid is refused; its items default to USD meanwhile
        // so that every other violation is still reported.
        currency: currency.unwrap_or(Currency::from_code("USD").expect("USD is supported")),
        default_incoterm,
        shared,
        limits: *limits,
        count: 0,
        refs: Vec::new(),
        root: root.to_string(),
        paths: Vec::new(),
    };
    let items = expander.items(&b.items, &join(root, "items"), 1);
    let Expander { c, paths, .. } = expander;
    let Some(currency) = currency else {
        return Err(c.into_errors());
    };
    c.finish(SourcedBom {
        bom: Bom {
            id: b.id.clone(),
            currency,
            items,
        },
        paths,
    })
}

/// Which of its four kinds a BOM item sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Material,
    Component,
    Assembly,
    SharedRef,
}

struct Expander<'a> {
    c: Check,
    /// The BOM's currency: the default of component prices and import declarations.
    currency: Currency,
    /// The BOM's default price basis of import declarations.
    default_incoterm: Incoterm,
    shared: HashMap<&'a str, (String, &'a pb::SharedAssembly)>,
    limits: Limits,
    count: usize,
    /// Shared assemblies being expanded, outermost first, for cycle detection.
    refs: Vec<&'a str>,
    root: String,
    /// Each converted item's field path relative to the root, in depth-first order.
    paths: Vec<String>,
}

impl<'a> Expander<'a> {
    /// Converts sibling items listed at field path `list` (e.g. `bom.items`) at `depth`.
    fn items(&mut self, items: &'a [pb::BomItem], list: &str, depth: usize) -> Vec<Item> {
        let mut out = Vec::with_capacity(items.len());
        let mut ids: HashSet<&str> = HashSet::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let f = format!("{list}[{i}]");
            if !item.id.is_empty() && !ids.insert(item.id.as_str()) {
                self.c.push(
                    join(&f, "id"),
                    Reason::Duplicate,
                    format!("id {:?} is used by a sibling", clip(&item.id)),
                );
            }
            if let Some(converted) = self.item(item, i, &f, depth) {
                out.push(converted);
            }
        }
        out
    }

    fn item(&mut self, it: &'a pb::BomItem, index: usize, f: &str, depth: usize) -> Option<Item> {
        if !self.within_limits(f, depth) {
            return None;
        }
        self.record_path(f);
        if it.id.contains('/') {
            self.c.push(
                join(f, "id"),
                Reason::InvalidValue,
                "ids must not contain '/' (the path separator)",
            );
        }
        let shape = self.shape(it, f)?;
        let quantity = if shape == Shape::Material || !it.quantity.is_empty() {
            self.c
                .decimal(&it.quantity, Child(f, "quantity"), Range::NonNegative)
        } else {
            Some(Decimal::ONE)
        };
        let unit = self.unit(it, f, shape == Shape::Material);
        let import = it
            .import
            .as_ref()
            .and_then(|i| self.import(i, &join(f, "import")));
        if !it.sourcing.is_empty() && !self.sourcing_allowed(it, f, shape) {
            return None;
        }
        let kind = self.kind(it, f, shape, unit, depth)?;
        if it.import.is_some() && import.is_none() {
            return None;
        }
        Some(Item {
            id: if it.id.is_empty() {
                index.to_string()
            } else {
                it.id.clone()
            },
            description: it.description.clone(),
            quantity: quantity?,
            unit: unit?,
            kind,
            import,
        })
    }

    /// Records the field path of the next item in depth-first order, relative to the root.
    fn record_path(&mut self, f: &str) {
        let rel = f.strip_prefix(self.root.as_str()).unwrap_or(f);
        self.paths
            .push(rel.strip_prefix('.').unwrap_or(rel).to_string());
    }

    /// Counts the item against the depth and item limits (both inclusive); the item limit is
    /// reported once, on the item list.
    fn within_limits(&mut self, f: &str, depth: usize) -> bool {
        if depth > self.limits.max_depth {
            self.c.push(
                f,
                Reason::InvalidStructure,
                format!(
                    "the BOM is nested deeper than {} levels",
                    self.limits.max_depth
                ),
            );
            return false;
        }
        self.count += 1;
        if self.count > self.limits.max_items {
            if self.count == self.limits.max_items + 1 {
                self.c.push(
                    join(&self.root, "items"),
                    Reason::InvalidStructure,
                    format!(
                        "the BOM expands to more than {} items",
                        self.limits.max_items
                    ),
                );
            }
            return false;
        }
        true
    }

    /// What the item is: exactly one of its four kinds must be set, and the fields of the
    /// other kinds must not be.
    fn shape(&mut self, it: &pb::BomItem, f: &str) -> Option<Shape> {
        let set = [
            (!it.material_id.is_empty(), Shape::Material),
            (!it.unit_price.is_empty(), Shape::Component),
            (!it.children.is_empty(), Shape::Assembly),
            (!it.assembly_ref.is_empty(), Shape::SharedRef),
        ];
        let mut chosen = set.iter().filter(|(on, _)| *on).map(|(_, s)| *s);
        let (Some(shape), None) = (chosen.next(), chosen.next()) else {
            self.c.push(
                f,
                Reason::InvalidStructure,
                "an item must set exactly one of material_id (material line), unit_price (component), \
                 children (assembly) or assembly_ref (shared assembly)",
            );
            return None;
        };
        if shape != Shape::Material && !it.content_factor.is_empty() {
            self.c.push(
                join(f, "content_factor"),
                Reason::InvalidValue,
                "content_factor applies to material lines only",
            );
        }
        if shape != Shape::Component && !it.scenario_unit_price.is_empty() {
            self.c.push(
                join(f, "scenario_unit_price"),
                Reason::InvalidValue,
                "scenario_unit_price applies to purchased components only",
            );
        }
        Some(shape)
    }

    /// A material line's unit (required); components and assemblies count pieces.
    fn unit(&mut self, it: &pb::BomItem, f: &str, is_material: bool) -> Option<Unit> {
        let unit_field = Child(f, "unit");
        if is_material {
            return self
                .c
                .enum_value(enums::unit(it.unit), it.unit, unit_field, "unit of measure");
        }
        match enums::unit(it.unit) {
            None if it.unit == 0 => Some(Unit::Piece),
            Some(Unit::Piece) => Some(Unit::Piece),
            _ => {
                self.c.push(
                    unit_field.path(),
                    Reason::UnitMismatch,
                    "components and assemblies are counted in pieces",
                );
                None
            }
        }
    }

    /// The currency code `s` at `field`, or the BOM's when empty.
    fn currency_or_default(&mut self, s: &str, field: impl Field) -> Option<Currency> {
        if s.is_empty() {
            Some(self.currency)
        } else {
            self.c.currency(s, field)
        }
    }

    /// A sourcing mix belongs to a material line without an import of its own.
    fn sourcing_allowed(&mut self, it: &pb::BomItem, f: &str, shape: Shape) -> bool {
        if shape != Shape::Material {
            self.c.push(
                join(f, "sourcing"),
                Reason::InvalidValue,
                "sourcing applies to material lines only",
            );
            return false;
        }
        if it.import.is_some() {
            self.c.push(
                join(f, "import"),
                Reason::InvalidStructure,
                "a material line with a sourcing mix declares imports per share, not on the line",
            );
            return false;
        }
        true
    }

    fn kind(
        &mut self,
        it: &'a pb::BomItem,
        f: &str,
        shape: Shape,
        unit: Option<Unit>,
        depth: usize,
    ) -> Option<ItemKind> {
        Some(match shape {
            Shape::Material if !it.sourcing.is_empty() => {
                let content_factor = self.content_factor(it, f);
                ItemKind::Assembly {
                    children: self.sourcing(it, f, unit?, content_factor?)?,
                }
            }
            Shape::Material => {
                let content_factor = self.content_factor(it, f);
                ItemKind::Material {
                    material_id: it.material_id.as_str().into(),
                    content_factor: content_factor?,
                }
            }
            Shape::Component => {
                let baseline_price =
                    self.c
                        .decimal(&it.unit_price, Child(f, "unit_price"), Range::NonNegative);
                let scenario_price = if it.scenario_unit_price.is_empty() {
                    baseline_price
                } else {
                    self.c.decimal(
                        &it.scenario_unit_price,
                        Child(f, "scenario_unit_price"),
                        Range::NonNegative,
                    )
                };
                let currency =
                    self.currency_or_default(&it.price_currency, Child(f, "price_currency"));
                ItemKind::Component {
                    baseline_price: baseline_price?,
                    scenario_price: scenario_price?,
                    currency: currency?,
                }
            }
            Shape::Assembly => ItemKind::Assembly {
                children: self.items(&it.children, &join(f, "children"), depth + 1),
            },
            Shape::SharedRef => ItemKind::Assembly {
                children: self.shared_ref(&it.assembly_ref, &join(f, "assembly_ref"), depth)?,
            },
        })
    }

    fn content_factor(&mut self, it: &pb::BomItem, f: &str) -> Option<Decimal> {
        if it.content_factor.is_empty() {
            Some(Decimal::ONE)
        } else {
            self.c.decimal(
                &it.content_factor,
                Child(f, "content_factor"),
                Range::NonNegative,
            )
        }
    }

    /// Expands a material line's sourcing mix into one material line per source: quantity
    /// per parent = share (so quantity x share overall), its own material id and import.
    fn sourcing(
        &mut self,
        it: &pb::BomItem,
        f: &str,
        unit: Unit,
        content_factor: Decimal,
    ) -> Option<Vec<Item>> {
        let list = join(f, "sourcing");
        let mut children = Vec::with_capacity(it.sourcing.len());
        let mut sum = Decimal::ZERO;
        let mut all_valid = true;
        let mut ids: HashSet<&str> = HashSet::new();
        for (i, share) in it.sourcing.iter().enumerate() {
            let sf = format!("{list}[{i}]");
            self.count += 1;
            if share.id.is_empty() {
                self.c
                    .push(join(&sf, "id"), Reason::Required, "each source needs an id");
            } else if !ids.insert(share.id.as_str()) {
                self.c.push(
                    join(&sf, "id"),
                    Reason::Duplicate,
                    format!("source id {:?} is used twice", clip(&share.id)),
                );
            } else if share.id.contains('/') {
                self.c.push(
                    join(&sf, "id"),
                    Reason::InvalidValue,
                    "ids must not contain '/' (the path separator)",
                );
            }
            let value = self
                .c
                .decimal(&share.share, Child(&sf, "share"), Range::Share);
            let import = share
                .import
                .as_ref()
                .and_then(|i| self.import(i, &join(&sf, "import")));
            match value {
                Some(v) => sum += v,
                None => all_valid = false,
            }
            if share.import.is_some() && import.is_none() {
                all_valid = false;
                continue;
            }
            let material_id = if share.material_id.is_empty() {
                &it.material_id
            } else {
                &share.material_id
            };
            let origin = import.as_ref().map_or("domestic supply".to_string(), |i| {
                format!("imported from {}", i.origin)
            });
            self.record_path(&sf);
            children.push(Item {
                id: share.id.clone(),
                description: format!("{material_id} ({origin})"),
                quantity: value.unwrap_or_default(),
                unit,
                kind: ItemKind::Material {
                    material_id: material_id.as_str().into(),
                    content_factor,
                },
                import,
            });
        }
        if all_valid && sum != Decimal::ONE {
            self.c.push(
                list,
                Reason::OutOfRange,
                format!("sourcing shares sum to {}, not exactly 1", sum.normalize()),
            );
            return None;
        }
        all_valid.then_some(children)
    }

    fn shared_ref(&mut self, id: &'a str, f: &str, depth: usize) -> Option<Vec<Item>> {
        let Some((def_path, def)) = self.shared.get(id).map(|(p, d)| (p.clone(), *d)) else {
            self.c.push(
                f,
                Reason::InvalidValue,
                format!("no shared assembly has id {id:?}"),
            );
            return None;
        };
        if self.refs.contains(&id) {
            let mut chain: Vec<&str> = self.refs.clone();
            chain.push(id);
            self.c.push(
                f,
                Reason::InvalidStructure,
                format!(
                    "shared assemblies reference each other in a cycle: {}",
                    chain.join(" -> ")
                ),
            );
            return None;
        }
        self.refs.push(id);
        let children = self.items(&def.children, &join(&def_path, "children"), depth + 1);
        self.refs.pop();
        Some(children)
    }

    fn import(&mut self, i: &pb::ImportDeclaration, f: &str) -> Option<Import> {
        let default_incoterm = self.default_incoterm;
        let currency = self.currency_or_default(&i.currency, Child(f, "currency"));
        let c = &mut self.c;
        let hts_field = Child(f, "hts_code");
        let hts_digits = if i.hts_code.is_empty() {
            c.push(
                hts_field.path(),
                Reason::Required,
                "an HTS code is required on an import",
            );
            None
        } else {
            c.hts(&i.hts_code, hts_field, 4)
        };
        let origin_field = Child(f, "origin");
        let origin = if i.origin.is_empty() {
            c.push(
                origin_field.path(),
                Reason::Required,
                "a country of origin is required on an import",
            );
            None
        } else {
            c.country(&i.origin, origin_field)
        };
        let transport_mode = c.enum_value(
            enums::transport_mode(i.transport_mode),
            i.transport_mode,
            Child(f, "transport_mode"),
            "transport mode",
        );
        let customs_value = c.optional_decimal(
            &i.customs_value,
            Child(f, "customs_value"),
            Range::NonNegative,
        );
        let metal_content_share = c.optional_decimal(
            &i.metal_content_share,
            Child(f, "metal_content_share"),
            Range::Share,
        );
        let net_mass_kg =
            c.optional_decimal(&i.net_mass_kg, Child(f, "net_mass_kg"), Range::NonNegative);
        let cost = |c: &mut Check, s: &str, name: &str| {
            if s.is_empty() {
                Some(Decimal::ZERO)
            } else {
                c.decimal(s, Child(f, name), Range::NonNegative)
            }
        };
        let freight = cost(c, &i.freight, "freight");
        let insurance = cost(c, &i.insurance, "insurance");
        let brokerage = cost(c, &i.brokerage, "brokerage");
        let incoterm = match enums::incoterm(i.incoterm) {
            Ok(t) => Some(t.unwrap_or(default_incoterm)),
            Err(why) => {
                c.push(join(f, "incoterm"), Reason::InvalidValue, why);
                None
            }
        };
        Some(Import {
            currency: currency?,
            incoterm: incoterm?,
            freight: freight?,
            insurance: insurance?,
            brokerage: brokerage?,
            hts_code: i.hts_code.clone(),
            hts_digits: hts_digits?,
            origin: origin?.into(),
            transport_mode: transport_mode?,
            customs_value,
            metal_content_share,
            net_mass_kg,
            preference: (!i.preference_program.is_empty())
                .then(|| i.preference_program.as_str().into()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each line's request field path, under whatever root the request puts the BOM at, and
    /// their bytes: 2 parts, the second an assembly of 1: "items[0]" (8), "items[1]" (8),
    /// "items[1].children[0]" (20); under "bom" each is 4 bytes longer ("bom."): 48 bytes.
    #[test]
    fn lines_are_located_under_the_bom_root() {
        let b = bom(&parts(2, 1), "", &Limits::default()).unwrap();
        assert_eq!(b.path("bom", 0), "bom.items[0]");
        assert_eq!(
            b.path("calculation.bom", 2),
            "calculation.bom.items[1].children[0]"
        );
        assert_eq!(b.path("bom", 3), "bom", "a line the BOM does not have");
        assert_eq!(b.path_bytes("bom"), 48);
        assert_eq!(b.path_bytes(""), 36 + 3);
    }

    /// A BOM of `n` top-level parts, one of them an assembly of `children` parts.
    fn parts(n: usize, children: usize) -> pb::Bom {
        let part = |i: usize| serde_json::json!({"id": format!("p{i}"), "unitPrice": "1"});
        let mut items: Vec<_> = (1..n).map(part).collect();
        items.push(
            serde_json::json!({"id": "a", "children": (0..children).map(part).collect::<Vec<_>>()}),
        );
        serde_json::from_value(serde_json::json!({"id": "b", "currency": "USD", "items": items}))
            .unwrap()
    }

    /// The item limit counts every item, assemblies and their children included, and is
    /// inclusive: exactly `max_items` is accepted, one more is refused once, naming the list.
    #[test]
    fn the_item_limit_is_inclusive_and_counts_children() {
        let limits = Limits {
            max_items: 10,
            ..Limits::default()
        };
        // 4 top-level items (3 parts + 1 assembly) + 6 children = 10 items.
        let bom = super::bom(&parts(4, 6), "bom", &limits).unwrap();
        assert_eq!(bom.bom.line_count(), 10);
        let errors = super::bom(&parts(4, 7), "bom", &limits).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].field.path(), Some("bom.items"));
        assert_eq!(errors[0].reason, Reason::InvalidStructure);
        assert!(errors[0].message.contains("more than 10 items"));
    }

    /// Depth is inclusive too: `max_depth` levels are accepted, one more is refused.
    #[test]
    fn the_depth_limit_is_inclusive() {
        let nested = |levels: usize| {
            let mut item = serde_json::json!({"id": "leaf", "unitPrice": "1"});
            for _ in 1..levels {
                item = serde_json::json!({"id": "a", "children": [item]});
            }
            serde_json::from_value::<pb::Bom>(
                serde_json::json!({"id": "b", "currency": "USD", "items": [item]}),
            )
            .unwrap()
        };
        let limits = Limits {
            max_depth: 5,
            ..Limits::default()
        };
        assert!(super::bom(&nested(5), "bom", &limits).is_ok());
        let errors = super::bom(&nested(6), "bom", &limits).unwrap_err();
        assert_eq!(errors[0].reason, Reason::InvalidStructure);
        assert_eq!(
            errors[0].field.path(),
            Some("bom.items[0].children[0].children[0].children[0].children[0].children[0]")
        );
    }

    fn bom_of(items: serde_json::Value) -> pb::Bom {
        serde_json::from_value(serde_json::json!({"id": "b", "currency": "USD", "items": items}))
            .unwrap()
    }

    /// `(field, reason)` of each violation of converting `b`, or nothing if it converts.
    fn violations_of(b: &pb::Bom) -> Vec<(String, Reason)> {
        crate::convert::check::violations(super::bom(b, "bom", &Limits::default()))
    }

    fn violations(items: serde_json::Value) -> Vec<(String, Reason)> {
        violations_of(&bom_of(items))
    }

    /// Components and assemblies count pieces: no unit or `PIECE` is accepted, a mass or an
    /// unknown unit number is a mismatch.
    #[test]
    fn components_and_assemblies_are_counted_in_pieces() {
        let mismatch = |unit: serde_json::Value| {
            violations(serde_json::json!([{"id": "c", "unitPrice": "1", "unit": unit}]))
        };
        assert_eq!(mismatch(serde_json::json!("UNIT_OF_MEASURE_PIECE")), []);
        assert_eq!(
            violations(
                serde_json::json!([{"id": "a", "unit": "UNIT_OF_MEASURE_PIECE",
                "children": [{"id": "c", "unitPrice": "1"}]}])
            ),
            []
        );
        let unit_mismatch = [("bom.items[0].unit".to_string(), Reason::UnitMismatch)];
        assert_eq!(
            mismatch(serde_json::json!("UNIT_OF_MEASURE_KG")),
            unit_mismatch
        );
        // A unit number this server does not know (a newer client's).
        let mut b = bom_of(serde_json::json!([{"id": "c", "unitPrice": "1"}]));
        b.items[0].unit = 99;
        assert_eq!(violations_of(&b), unit_mismatch);
    }

    /// A sourcing mix belongs to a material line, and its shares declare the imports.
    #[test]
    fn sourcing_only_on_a_material_line_without_its_own_import() {
        let share = serde_json::json!({"id": "cn", "share": "1",
            "import": {"htsCode": "2846.90", "origin": "CN", "transportMode": "TRANSPORT_MODE_OCEAN"}});
        assert_eq!(
            violations(serde_json::json!([{"id": "c", "unitPrice": "1", "sourcing": [share]}])),
            [("bom.items[0].sourcing".to_string(), Reason::InvalidValue)]
        );
        assert_eq!(
            violations(
                serde_json::json!([{"id": "m", "materialId": "nd-oxide", "quantity": "1",
                "unit": "UNIT_OF_MEASURE_KG", "sourcing": [share],
                "import": {"htsCode": "2846.90", "origin": "CN", "transportMode": "TRANSPORT_MODE_OCEAN"}}])
            ),
            [("bom.items[0].import".to_string(), Reason::InvalidStructure)]
        );
        assert_eq!(
            violations(
                serde_json::json!([{"id": "m", "materialId": "nd-oxide", "quantity": "1",
                "unit": "UNIT_OF_MEASURE_KG", "sourcing": [share]}])
            ),
            []
        );
    }

    /// The shares of a sourcing mix count against the item limit like children.
    #[test]
    fn sourcing_shares_count_against_the_item_limit() {
        let share = |id: &str, s: &str| serde_json::json!({"id": id, "share": s});
        let b = bom_of(
            serde_json::json!([{"id": "m", "materialId": "nd-oxide", "quantity": "1",
            "unit": "UNIT_OF_MEASURE_KG", "sourcing": [share("a", "0.5"), share("b", "0.5")]},
            {"id": "p", "unitPrice": "1"}]),
        );
        let limits = |max_items| Limits {
            max_items,
            ..Limits::default()
        };
        // The line, its two shares and the part: four items.
        assert!(super::bom(&b, "bom", &limits(4)).is_ok());
        let errors = super::bom(&b, "bom", &limits(3)).unwrap_err();
        assert_eq!(
            (errors[0].field.path(), errors[0].reason),
            (Some("bom.items"), Reason::InvalidStructure)
        );
    }

    /// A shared assembly's children sit one level below the item that references it.
    #[test]
    fn shared_assemblies_nest_one_level_below_their_reference() {
        let b: pb::Bom = serde_json::from_value(serde_json::json!({
            "id": "b", "currency": "USD",
            "items": [{"id": "top", "assemblyRef": "outer"}],
            "sharedAssemblies": [
                {"id": "outer", "children": [{"id": "ref", "assemblyRef": "inner"}]},
                {"id": "inner", "children": [{"id": "leaf", "unitPrice": "1"}]}]
        }))
        .unwrap();
        // top (1) -> ref (2) -> leaf (3).
        let limits = |max_depth| Limits {
            max_depth,
            ..Limits::default()
        };
        assert!(super::bom(&b, "bom", &limits(3)).is_ok());
        let errors = super::bom(&b, "bom", &limits(2)).unwrap_err();
        assert_eq!(errors[0].reason, Reason::InvalidStructure, "{errors:?}");
        assert!(errors[0].message.contains("deeper than 2"), "{errors:?}");
    }
}
