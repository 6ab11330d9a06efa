//! A BOM from CSV, one row per item, for analysts who keep BOMs in spreadsheets.
//!
//! Columns (header row required, order free, unknown columns rejected; empty cells are
//! unset): `path` (ids joined by `/`, e.g. `drive-unit/rotor/nd-oxide`; a parent's row must
//! exist), `description`, `material_id`, `quantity`, `unit` (kg, g, t, lb, piece),
//! `content_factor`, `unit_price`, `scenario_unit_price`, `hts_code`, `origin`,
//! `transport_mode` (ocean, air, truck, rail, other), `customs_value`, `metal_content_share`,
//! `net_mass_kg`, `preference_program`. A row with `hts_code` is imported. Rows whose path has children are
//! assemblies.

use crate::pb;
use std::collections::BTreeMap;

const COLUMNS: &[&str] = &[
    "path",
    "description",
    "material_id",
    "quantity",
    "unit",
    "content_factor",
    "unit_price",
    "scenario_unit_price",
    "hts_code",
    "origin",
    "transport_mode",
    "customs_value",
    "metal_content_share",
    "net_mass_kg",
    "preference_program",
];

/// Maps request field paths back to CSV rows, so errors name the row.
#[derive(Debug, Default, Clone)]
pub struct RowIndex(Vec<(String, usize)>);

impl RowIndex {
    /// " (CSV row N)" for the longest item path that prefixes `field`, or "".
    pub fn describe(&self, field: &str) -> String {
        self.0
            .iter()
            .filter(|(p, _)| field == p || field.starts_with(&format!("{p}.")))
            .max_by_key(|(p, _)| p.len())
            .map_or(String::new(), |(_, row)| format!(" (CSV row {row})"))
    }
}

struct Row {
    line: usize,
    cells: BTreeMap<&'static str, String>,
}

fn unit(s: &str) -> Option<pb::UnitOfMeasure> {
    Some(match s.to_ascii_lowercase().as_str() {
        "kg" => pb::UnitOfMeasure::Kg,
        "g" => pb::UnitOfMeasure::G,
        "t" => pb::UnitOfMeasure::T,
        "lb" => pb::UnitOfMeasure::Lb,
        "piece" | "pc" | "pcs" => pb::UnitOfMeasure::Piece,
        _ => return None,
    })
}

fn mode(s: &str) -> Option<pb::TransportMode> {
    Some(match s.to_ascii_lowercase().as_str() {
        "ocean" => pb::TransportMode::Ocean,
        "air" => pb::TransportMode::Air,
        "truck" => pb::TransportMode::Truck,
        "rail" => pb::TransportMode::Rail,
        "other" => pb::TransportMode::Other,
        _ => return None,
    })
}

/// Parses a CSV BOM. Numbers stay strings: the request's own validation checks them and
/// names the field, which [`RowIndex`] maps back to the row.
pub(crate) fn parse(text: &str, id: &str, currency: &str) -> Result<(pb::Bom, RowIndex), String> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| format!("CSV header: {e}"))?
        .clone();
    let mut cols: Vec<&'static str> = Vec::new();
    for h in &headers {
        let c = COLUMNS
            .iter()
            .find(|c| c.eq_ignore_ascii_case(h))
            .ok_or_else(|| {
                format!(
                    "unknown CSV column {h:?}; columns are {}",
                    COLUMNS.join(", ")
                )
            })?;
        cols.push(c);
    }
    if !cols.contains(&"path") {
        return Err("the CSV needs a `path` column".into());
    }
    let mut rows = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| format!("CSV row {line}: {e}"))?;
        let cells = cols
            .iter()
            .zip(rec.iter())
            .filter(|(_, v)| !v.is_empty())
            .map(|(c, v)| (*c, v.to_string()))
            .collect();
        rows.push(Row { line, cells });
    }
    // Build the tree: children listed under their parent's path, in file order.
    let path = |r: &Row| r.cells.get("path").cloned().unwrap_or_default();
    let mut by_path: BTreeMap<String, usize> = BTreeMap::new();
    for (i, r) in rows.iter().enumerate() {
        let p = path(r);
        if p.is_empty() || p.split('/').any(str::is_empty) {
            return Err(format!(
                "CSV row {}: path {p:?} must be ids joined by '/'",
                r.line
            ));
        }
        if by_path.insert(p.clone(), i).is_some() {
            return Err(format!("CSV row {}: path {p:?} appears twice", r.line));
        }
    }
    for r in &rows {
        let p = path(r);
        if let Some((parent, _)) = p.rsplit_once('/')
            && !by_path.contains_key(parent)
        {
            return Err(format!("CSV row {}: parent {parent:?} has no row", r.line));
        }
    }
    let mut index = RowIndex::default();
    let children_of = |parent: Option<&str>| -> Vec<usize> {
        rows.iter()
            .enumerate()
            .filter(|(_, r)| path(r).rsplit_once('/').map(|(p, _)| p) == parent)
            .map(|(i, _)| i)
            .collect()
    };
    fn build(
        i: usize,
        field: String,
        rows: &[Row],
        children_of: &dyn Fn(Option<&str>) -> Vec<usize>,
        index: &mut RowIndex,
    ) -> Result<pb::BomItem, String> {
        let r = &rows[i];
        let get = |c: &str| r.cells.get(c).cloned().unwrap_or_default();
        let full = get("path");
        let mut item = pb::BomItem {
            id: full.rsplit('/').next().unwrap_or_default().to_string(),
            description: get("description"),
            quantity: get("quantity"),
            material_id: get("material_id"),
            content_factor: get("content_factor"),
            unit_price: get("unit_price"),
            scenario_unit_price: get("scenario_unit_price"),
            ..Default::default()
        };
        if let Some(u) = r.cells.get("unit") {
            item.unit = unit(u).ok_or_else(|| {
                format!(
                    "CSV row {}: unit {u:?} is not kg, g, t, lb or piece",
                    r.line
                )
            })? as i32;
        }
        if r.cells.contains_key("hts_code") {
            let transport_mode = match r.cells.get("transport_mode") {
                Some(m) => mode(m).ok_or_else(|| {
                    format!(
                        "CSV row {}: transport_mode {m:?} is not ocean, air, truck, rail or other",
                        r.line
                    )
                })? as i32,
                None => 0,
            };
            item.import = Some(Box::new(pb::ImportDeclaration {
                hts_code: get("hts_code"),
                origin: get("origin"),
                transport_mode,
                customs_value: get("customs_value"),
                metal_content_share: get("metal_content_share"),
                net_mass_kg: get("net_mass_kg"),
                preference_program: get("preference_program"),
            }));
        }
        index.0.push((field.clone(), r.line));
        for (k, c) in children_of(Some(&full)).into_iter().enumerate() {
            item.children.push(build(
                c,
                format!("{field}.children[{k}]"),
                rows,
                children_of,
                index,
            )?);
        }
        Ok(item)
    }
    let mut items = Vec::new();
    for (k, i) in children_of(None).into_iter().enumerate() {
        items.push(build(
            i,
            format!("bom.items[{k}]"),
            &rows,
            &children_of,
            &mut index,
        )?);
    }
    Ok((
        pb::Bom {
            id: id.to_string(),
            currency: currency.to_string(),
            items,
            ..Default::default()
        },
        index,
    ))
}
