//! A BOM from CSV, one row per item, for analysts who keep BOMs in spreadsheets.
//!
//! Columns (header row required, order free, unknown columns rejected; empty cells are
//! unset): `path` (ids joined by `/`, e.g. `drive-unit/rotor/nd-oxide`; a parent's row must
//! exist, before or after its children), `description`, `material_id`, `quantity`, `unit`
//! (kg, g, t, lb, piece), `content_factor`, `unit_price`, `scenario_unit_price`, `hts_code`,
//! `origin`, `transport_mode` (ocean, air, truck, rail, other), `customs_value`,
//! `metal_content_share`, `net_mass_kg`, `preference_program`. A row with `hts_code` is
//! imported. Rows whose path has children are assemblies.
//!
//! Money across borders, all optional: `price_currency` (ISO 4217 code of `unit_price` and
//! `scenario_unit_price`; empty: the BOM's currency), and with the import columns
//! `import_currency` (of `customs_value`, `freight`, `insurance` and `brokerage`; empty: the
//! BOM's), `incoterm` (the price basis: EXW, FCA, FAS, FOB, CPT, CFR, CIP, CIF, DAP, DPU or DDP,
//! any case; empty: the BOM's default, else FOB), `freight`, `insurance` and `brokerage` (per
//! unit of the item's quantity). Codes and amounts stay strings: the request's validation
//! checks them (and refuses DDP) at their field, which [`RowIndex`] maps back to the row.
//!
//! Three optional columns carry what the JSON BOM has beyond a tree of items:
//! - `shared` (`yes`/`no`): a top-level row marked `yes` is a shared assembly
//!   (`bom.shared_assemblies`), not an item; the rows under its path are its children.
//! - `assembly_ref`: an item that is a shared assembly, by the shared assembly's id.
//! - `share`: the row is one source of its parent material line's quantity
//!   (`BomItem.sourcing`): its last path segment is the source's id, `material_id` (optional)
//!   the material priced for it, and the import columns its import (none: domestic supply).
//!
//! The tree is built in passes over the rows grouped by depth, each row looked up by its
//! path in a map: linear in the rows, and no recursion however deep a path is.

use crate::pb;
use std::collections::HashMap;

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
    "import_currency",
    "incoterm",
    "freight",
    "insurance",
    "brokerage",
    "price_currency",
    "assembly_ref",
    "shared",
    "share",
];

/// The columns of an import declaration, which items and sourcing shares both take.
const IMPORT_COLUMNS: &[&str] = &[
    "hts_code",
    "origin",
    "transport_mode",
    "customs_value",
    "metal_content_share",
    "net_mass_kg",
    "preference_program",
    "import_currency",
    "incoterm",
    "freight",
    "insurance",
    "brokerage",
];

/// Maps request field paths back to CSV rows, so errors name the row.
#[derive(Debug, Default, Clone)]
pub struct RowIndex(HashMap<String, usize>);

impl RowIndex {
    /// " (CSV row N)" for the longest item path that prefixes `field`, or "". Tries `field`
    /// and each shorter prefix ending before a `.`: a lookup per segment, not a scan of
    /// every row per violation.
    pub fn describe(&self, field: &str) -> String {
        let mut candidate = field;
        loop {
            if let Some(row) = self.0.get(candidate) {
                return format!(" (CSV row {row})");
            }
            match candidate.rsplit_once('.') {
                Some((shorter, _)) => candidate = shorter,
                None => return String::new(),
            }
        }
    }
}

/// What a row is in the BOM message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A `BomItem` (top level, or a child of an item or of a shared assembly).
    Item,
    /// A top-level row marked `shared`: a `SharedAssembly`.
    Shared,
    /// A row with a `share`: a `SourcingShare` of its parent material line.
    Share,
}

struct Row {
    line: usize,
    cells: HashMap<&'static str, String>,
    kind: Kind,
}

impl Row {
    fn get(&self, c: &str) -> String {
        self.cells.get(c).cloned().unwrap_or_default()
    }

    fn path(&self) -> &str {
        self.cells.get("path").map_or("", String::as_str)
    }

    /// The last segment of the path: the item's, share's or shared assembly's id.
    fn id(&self) -> String {
        self.path()
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_string()
    }

    /// Refuses a non-empty cell outside `allowed`: a value the BOM message has no place for
    /// must not be dropped silently.
    fn only(&self, allowed: &[&str], what: &str) -> Result<(), String> {
        let refused = COLUMNS
            .iter()
            .find(|c| self.cells.contains_key(*c) && !allowed.contains(c));
        match refused {
            Some(c) => Err(format!(
                "CSV row {}: {what} takes no `{c}` (it takes {})",
                self.line,
                allowed.join(", ")
            )),
            None => Ok(()),
        }
    }

    /// The import declaration of the row's import columns, if `hts_code` is set.
    fn import(&self) -> Result<Option<Box<pb::ImportDeclaration>>, String> {
        if !self.cells.contains_key("hts_code") {
            // An import column without an import would be dropped silently.
            return match IMPORT_COLUMNS.iter().find(|c| self.cells.contains_key(*c)) {
                Some(c) => Err(format!(
                    "CSV row {}: `{c}` belongs to an import declaration, and the row has no \
                     `hts_code`",
                    self.line
                )),
                None => Ok(None),
            };
        }
        let transport_mode = match self.cells.get("transport_mode") {
            Some(m) => mode(m).ok_or_else(|| {
                format!(
                    "CSV row {}: transport_mode {m:?} is not ocean, air, truck, rail or other",
                    self.line
                )
            })? as i32,
            None => 0,
        };
        let incoterm = match self.cells.get("incoterm") {
            Some(t) => incoterm(t).ok_or_else(|| {
                format!(
                    "CSV row {}: incoterm {t:?} is not one of {}",
                    self.line,
                    INCOTERMS.map(|(code, _)| code).join(", ")
                )
            })? as i32,
            None => 0,
        };
        Ok(Some(Box::new(pb::ImportDeclaration {
            hts_code: self.get("hts_code"),
            origin: self.get("origin"),
            transport_mode,
            customs_value: self.get("customs_value"),
            metal_content_share: self.get("metal_content_share"),
            net_mass_kg: self.get("net_mass_kg"),
            preference_program: self.get("preference_program"),
            currency: self.get("import_currency"),
            incoterm,
            freight: self.get("freight"),
            insurance: self.get("insurance"),
            brokerage: self.get("brokerage"),
        })))
    }
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

/// The Incoterms 2020 rules by their codes. DDP is read too: the request's validation refuses
/// it with its reason, at the row's field.
const INCOTERMS: [(&str, pb::Incoterm); 11] = [
    ("EXW", pb::Incoterm::Exw),
    ("FCA", pb::Incoterm::Fca),
    ("FAS", pb::Incoterm::Fas),
    ("FOB", pb::Incoterm::Fob),
    ("CPT", pb::Incoterm::Cpt),
    ("CFR", pb::Incoterm::Cfr),
    ("CIP", pb::Incoterm::Cip),
    ("CIF", pb::Incoterm::Cif),
    ("DAP", pb::Incoterm::Dap),
    ("DPU", pb::Incoterm::Dpu),
    ("DDP", pb::Incoterm::Ddp),
];

fn incoterm(s: &str) -> Option<pb::Incoterm> {
    INCOTERMS
        .iter()
        .find(|(code, _)| code.eq_ignore_ascii_case(s))
        .map(|&(_, t)| t)
}

fn yes(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "yes" | "y" | "true" | "1" => Some(true),
        "no" | "n" | "false" | "0" => Some(false),
        _ => None,
    }
}

/// Parses a CSV BOM. Numbers stay strings: the request's own validation checks them and
/// names the field, which [`RowIndex`] maps back to the row.
pub(crate) fn parse(text: &str, id: &str, currency: &str) -> Result<(pb::Bom, RowIndex), String> {
    let rows = read_rows(text)?;
    let tree = Tree::new(&rows, usize::MAX)?;
    let index = tree.fields(&rows);
    Ok((tree.bom(&rows, id, currency)?, index))
}

/// The BOM of [`parse`] alone (no [`RowIndex`]), refusing a row nested deeper than
/// `max_depth` levels (a top-level row is one level; a sourcing share is no level of its own,
/// as it is not an item): such a BOM could not be costed, and past about a hundred levels its
/// message could not even be decoded.
pub(crate) fn parse_within(
    text: &str,
    id: &str,
    currency: &str,
    max_depth: usize,
) -> Result<pb::Bom, String> {
    let rows = read_rows(text)?;
    Tree::new(&rows, max_depth)?.bom(&rows, id, currency)
}

/// The rows of `text` with their non-empty cells, each row's kind decided.
fn read_rows(text: &str) -> Result<Vec<Row>, String> {
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
        let mut cells: HashMap<&'static str, String> = cols
            .iter()
            .zip(rec.iter())
            .filter(|(_, v)| !v.is_empty())
            .map(|(c, v)| (*c, v.to_string()))
            .collect();
        let shared = match cells.get("shared") {
            Some(v) => {
                yes(v).ok_or_else(|| format!("CSV row {line}: shared {v:?} is not yes or no"))?
            }
            None => false,
        };
        if !shared {
            // "no" is the same as an empty cell.
            cells.remove("shared");
        }
        let kind = if shared {
            Kind::Shared
        } else if cells.contains_key("share") {
            Kind::Share
        } else {
            Kind::Item
        };
        rows.push(Row { line, cells, kind });
    }
    Ok(rows)
}

/// The rows' tree: each row's parent and children (in file order), found through a map from
/// path to row, and the rows grouped by depth. Items and sources, and top-level items and
/// shared assemblies, are listed apart, as the message holds them.
struct Tree {
    /// Top-level item rows, in file order.
    top: Vec<usize>,
    /// Shared assembly rows (top level, `shared` yes), in file order.
    shared: Vec<usize>,
    /// Per row, its child item rows in file order.
    children: Vec<Vec<usize>>,
    /// Per row, its sourcing share rows in file order.
    sources: Vec<Vec<usize>>,
    /// Per depth (0 = top level), its rows.
    by_depth: Vec<Vec<usize>>,
}

impl Tree {
    fn new(rows: &[Row], max_depth: usize) -> Result<Tree, String> {
        let mut by_path: HashMap<&str, usize> = HashMap::with_capacity(rows.len());
        let mut by_depth: Vec<Vec<usize>> = Vec::new();
        for (i, r) in rows.iter().enumerate() {
            let p = r.path();
            if p.is_empty() || p.split('/').any(str::is_empty) {
                return Err(format!(
                    "CSV row {}: path {p:?} must be ids joined by '/'",
                    r.line
                ));
            }
            if by_path.insert(p, i).is_some() {
                return Err(format!("CSV row {}: path {p:?} appears twice", r.line));
            }
            let depth = p.matches('/').count();
            let levels = depth + usize::from(r.kind != Kind::Share);
            if levels > max_depth {
                return Err(format!(
                    "CSV row {}: nested deeper than {max_depth} levels (path {p:?})",
                    r.line
                ));
            }
            if by_depth.len() <= depth {
                by_depth.resize_with(depth + 1, Vec::new);
            }
            by_depth[depth].push(i);
        }
        let mut tree = Tree {
            top: Vec::new(),
            shared: Vec::new(),
            children: vec![Vec::new(); rows.len()],
            sources: vec![Vec::new(); rows.len()],
            by_depth,
        };
        for (i, r) in rows.iter().enumerate() {
            match r.path().rsplit_once('/') {
                None if r.kind == Kind::Shared => tree.shared.push(i),
                None => tree.top.push(i),
                Some((parent, _)) => match by_path.get(parent) {
                    Some(&p) if r.kind == Kind::Share => tree.sources[p].push(i),
                    Some(&p) => tree.children[p].push(i),
                    None => {
                        return Err(format!("CSV row {}: parent {parent:?} has no row", r.line));
                    }
                },
            }
            check_place(rows, r, r.path().rsplit_once('/').map(|(p, _)| by_path[p]))?;
        }
        Ok(tree)
    }

    /// Each row's field path in the request (`bom.items[0].children[1]`,
    /// `bom.shared_assemblies[0]`, `...sourcing[0]`), parents before children.
    fn fields(&self, rows: &[Row]) -> RowIndex {
        let mut field: Vec<String> = vec![String::new(); rows.len()];
        for (n, &i) in self.top.iter().enumerate() {
            field[i] = format!("bom.items[{n}]");
        }
        for (n, &i) in self.shared.iter().enumerate() {
            field[i] = format!("bom.shared_assemblies[{n}]");
        }
        for level in &self.by_depth {
            for &p in level {
                for (n, &c) in self.children[p].iter().enumerate() {
                    field[c] = format!("{}.children[{n}]", field[p]);
                }
                for (n, &c) in self.sources[p].iter().enumerate() {
                    field[c] = format!("{}.sourcing[{n}]", field[p]);
                }
            }
        }
        RowIndex(
            field
                .into_iter()
                .zip(rows)
                .map(|(f, r)| (f, r.line))
                .collect(),
        )
    }

    /// The BOM message of the rows, with its id and currency.
    fn bom(&self, rows: &[Row], id: &str, currency: &str) -> Result<pb::Bom, String> {
        let (items, shared_assemblies) = self.build(rows)?;
        Ok(pb::Bom {
            id: id.to_string(),
            currency: currency.to_string(),
            items,
            shared_assemblies,
            ..Default::default()
        })
    }

    /// The BOM's items and shared assemblies, built deepest rows first so each row's
    /// children are ready when it is built. Each row has one slot, which its parent empties:
    /// the items are moved into place, never copied, and every list is allocated at its size.
    fn build(&self, rows: &[Row]) -> Result<(Vec<pb::BomItem>, Vec<pb::SharedAssembly>), String> {
        let mut built: Vec<Option<Built>> = Vec::with_capacity(rows.len());
        built.resize_with(rows.len(), || None);
        for level in self.by_depth.iter().rev() {
            for &i in level {
                built[i] = match rows[i].kind {
                    Kind::Share => Some(Built::Share(share(&rows[i])?)),
                    Kind::Item => {
                        let mut item = item(&rows[i])?;
                        item.children = take_items(&self.children[i], &mut built);
                        item.sourcing = take_sources(&self.sources[i], &mut built);
                        Some(Built::Item(item))
                    }
                    Kind::Shared => {
                        rows[i].only(
                            &["path", "description", "shared"],
                            "a shared assembly's row (`shared` yes)",
                        )?;
                        None
                    }
                };
            }
        }
        let mut shared = Vec::with_capacity(self.shared.len());
        for &i in &self.shared {
            shared.push(pb::SharedAssembly {
                id: rows[i].id(),
                description: rows[i].get("description"),
                children: take_items(&self.children[i], &mut built),
            });
        }
        Ok((take_items(&self.top, &mut built), shared))
    }
}

/// A row built into its message, until its parent takes it.
enum Built {
    Item(pb::BomItem),
    Share(pb::SourcingShare),
}

/// The items built for rows `at`, taken from their slots, in order.
fn take_items(at: &[usize], built: &mut [Option<Built>]) -> Vec<pb::BomItem> {
    let mut items = Vec::with_capacity(at.len());
    for &i in at {
        if let Some(Built::Item(item)) = built[i].take() {
            items.push(item);
        }
    }
    items
}

/// The sourcing shares built for rows `at`, taken from their slots, in order.
fn take_sources(at: &[usize], built: &mut [Option<Built>]) -> Vec<pb::SourcingShare> {
    let mut sources = Vec::with_capacity(at.len());
    for &i in at {
        if let Some(Built::Share(share)) = built[i].take() {
            sources.push(share);
        }
    }
    sources
}

/// Refuses a row its place cannot hold: a shared assembly below the top level, a source
/// outside a material line's row (at the top, under a shared assembly or another source),
/// and a child of a source.
fn check_place(rows: &[Row], r: &Row, parent: Option<usize>) -> Result<(), String> {
    let parent = parent.map(|p| &rows[p]);
    let refuse = |why: &str| Err(format!("CSV row {}: {why}", r.line));
    match (r.kind, parent.map(|p| p.kind)) {
        (Kind::Shared, Some(_)) => {
            refuse("only a top-level row can be a shared assembly (`shared` yes)")
        }
        (Kind::Share, None | Some(Kind::Shared)) => refuse(
            "a sourcing share (`share` set) belongs under a material line's row, not at the top \
             or directly under a shared assembly",
        ),
        (_, Some(Kind::Share)) => refuse(&format!(
            "{:?} is a sourcing share (`share` set): a source has no rows under it",
            parent.map_or("", Row::path)
        )),
        _ => Ok(()),
    }
}

/// The item of a row (its children and sources are added by the caller).
fn item(r: &Row) -> Result<pb::BomItem, String> {
    let mut item = pb::BomItem {
        id: r.id(),
        description: r.get("description"),
        quantity: r.get("quantity"),
        material_id: r.get("material_id"),
        content_factor: r.get("content_factor"),
        unit_price: r.get("unit_price"),
        scenario_unit_price: r.get("scenario_unit_price"),
        price_currency: r.get("price_currency"),
        assembly_ref: r.get("assembly_ref"),
        import: r.import()?,
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
    Ok(item)
}

/// The sourcing share of a row with a `share`.
fn share(r: &Row) -> Result<pb::SourcingShare, String> {
    let mut allowed = vec!["path", "share", "material_id"];
    allowed.extend(IMPORT_COLUMNS);
    r.only(&allowed, "a sourcing share (`share` set)")?;
    Ok(pb::SourcingShare {
        id: r.id(),
        share: r.get("share"),
        material_id: r.get("material_id"),
        import: r.import()?.map(|b| *b),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows in any order build the tree in file order among siblings; field paths count
    /// children and sources apart; a shared assembly is listed apart from the items.
    #[test]
    fn rows_build_items_sources_and_shared_assemblies() {
        let csv = "path,material_id,quantity,unit,assembly_ref,shared,share,hts_code,origin
m/nd,nd-oxide,1,kg,,,,,
m,,,,,,,,
m/nd/cn,,,,,,0.7,2846.90,CN
m/nd/rec,nd-recycled,,,,,0.3,,
set,,,,,yes,,,
set/dy,dy-oxide,0.2,kg,,,,,
front,,,,set,,,,
";
        let (bom, index) = parse(csv, "b", "USD").unwrap();
        assert_eq!(bom.items.len(), 2);
        let nd = &bom.items[0].children[0];
        assert_eq!((nd.id.as_str(), nd.sourcing.len()), ("nd", 2));
        assert_eq!(nd.sourcing[0].import.as_ref().unwrap().origin, "CN");
        assert_eq!(nd.sourcing[1].material_id, "nd-recycled");
        assert!(nd.sourcing[1].import.is_none());
        assert_eq!(bom.items[1].assembly_ref, "set");
        assert_eq!(bom.shared_assemblies[0].id, "set");
        assert_eq!(bom.shared_assemblies[0].children[0].material_id, "dy-oxide");
        assert_eq!(
            index.describe("bom.items[0].children[0].sourcing[1].share"),
            " (CSV row 5)"
        );
        assert_eq!(
            index.describe("bom.shared_assemblies[0].children[0].quantity"),
            " (CSV row 7)"
        );
        assert_eq!(index.describe("bom.items[1]"), " (CSV row 8)");
        assert_eq!(index.describe("options.entry_date"), "");
    }

    /// 21,500 rows (1,000 groups of 2 assemblies of 8 parts and a material line, and a path
    /// 500 deep) build the tree they describe. The tree was once found by scanning every row for each
    /// row's children: quadratic, minutes for this file in a debug build; now each row is
    /// looked up by its path, and no recursion follows the depth.
    #[test]
    fn twenty_thousand_rows_and_a_deep_path_build_their_tree() {
        let mut csv = String::from("path,material_id,quantity,unit,unit_price\n");
        for g in 0..1000 {
            csv.push_str(&format!("g{g},,,,\n"));
            for a in 0..2 {
                csv.push_str(&format!("g{g}/a{a},,2,,\n"));
                for p in 0..8 {
                    csv.push_str(&format!("g{g}/a{a}/p{p},,,,1.{p}\n"));
                }
                csv.push_str(&format!("g{g}/a{a}/m,nd-oxide,0.1,kg,\n"));
            }
        }
        let mut deep = String::from("d");
        csv.push_str("d,,,,\n");
        for _ in 0..499 {
            deep.push_str("/d");
            csv.push_str(&format!("{deep},,,,\n"));
        }
        let (bom, index) = parse(&csv, "big", "USD").unwrap();
        assert_eq!(bom.items.len(), 1001);
        let a = &bom.items[999].children[1];
        assert_eq!((a.id.as_str(), a.children.len()), ("a1", 9));
        assert_eq!(a.children[7].unit_price, "1.7");
        assert_eq!(a.children[8].material_id, "nd-oxide");
        assert_eq!(
            index.describe("bom.items[999].children[1].children[8].quantity"),
            format!(" (CSV row {})", 2 + 21 * 999 + 20)
        );
        let mut depth = 1;
        let mut item = &bom.items[1000];
        while let Some(child) = item.children.first() {
            item = child;
            depth += 1;
        }
        assert_eq!(depth, 500);
    }

    /// Each cell of an item's row lands in its own field, as the same string.
    #[test]
    fn every_column_lands_in_its_field() {
        let csv = "path,description,material_id,quantity,unit,content_factor,unit_price,\
                   scenario_unit_price,hts_code,origin,transport_mode,customs_value,\
                   metal_content_share,net_mass_kg,preference_program,assembly_ref
a, A ,m,2,lb,0.9,1.5,1.75,8505.11,CN,truck,3.25,0.4,1.1,S,kit
";
        let (bom, _) = parse(csv, "b", "EUR").unwrap();
        let want = pb::BomItem {
            id: "a".into(),
            description: "A".into(),
            material_id: "m".into(),
            quantity: "2".into(),
            unit: pb::UnitOfMeasure::Lb as i32,
            content_factor: "0.9".into(),
            unit_price: "1.5".into(),
            scenario_unit_price: "1.75".into(),
            assembly_ref: "kit".into(),
            import: Some(Box::new(pb::ImportDeclaration {
                hts_code: "8505.11".into(),
                origin: "CN".into(),
                transport_mode: pb::TransportMode::Truck as i32,
                customs_value: "3.25".into(),
                metal_content_share: "0.4".into(),
                net_mass_kg: "1.1".into(),
                preference_program: "S".into(),
                ..Default::default()
            })),
            ..Default::default()
        };
        assert_eq!((bom.id.as_str(), bom.currency.as_str()), ("b", "EUR"));
        assert_eq!(bom.items, [want]);
    }

    /// The money-across-borders columns: a CSV and its JSON twin (the same BOM as a grpcurl
    /// user writes it) give the same `Bom`, on an item's import and on a sourcing share's.
    #[test]
    fn currency_incoterm_and_logistics_columns_match_their_json_twin() {
        let csv = "path,unit_price,price_currency,hts_code,origin,customs_value,import_currency,\
                   incoterm,freight,insurance,brokerage,material_id,quantity,unit,share
magnets,15000,JPY,8505.11.0070,JP,,USD,fob,50.00,5.00,4.00,,,,
sensor,1055.00,,9031.80,CN,1055.00,,CIF,50,5,,,,,
bolts,2.5,EUR,,,,,,,,,,,,
nd,,,,,,,,,,,nd-oxide,1.8,kg,
nd/cn,,,2846.90.8000,CN,,CNY,Cfr,0.35,,0.1,,,,1
";
        let json = serde_json::json!({"id": "b", "currency": "USD", "items": [
            {"id": "magnets", "unitPrice": "15000", "priceCurrency": "JPY",
             "import": {"htsCode": "8505.11.0070", "origin": "JP", "currency": "USD",
                        "incoterm": "INCOTERM_FOB", "freight": "50.00", "insurance": "5.00",
                        "brokerage": "4.00"}},
            {"id": "sensor", "unitPrice": "1055.00",
             "import": {"htsCode": "9031.80", "origin": "CN", "customsValue": "1055.00",
                        "incoterm": "INCOTERM_CIF", "freight": "50", "insurance": "5"}},
            {"id": "bolts", "unitPrice": "2.5", "priceCurrency": "EUR"},
            {"id": "nd", "materialId": "nd-oxide", "quantity": "1.8", "unit": "UNIT_OF_MEASURE_KG",
             "sourcing": [{"id": "cn", "share": "1",
                           "import": {"htsCode": "2846.90.8000", "origin": "CN", "currency": "CNY",
                                      "incoterm": "INCOTERM_CFR", "freight": "0.35",
                                      "brokerage": "0.1"}}]}
        ]});
        let twin: pb::Bom = serde_json::from_value(json).unwrap();
        let (bom, index) = parse(csv, "b", "USD").unwrap();
        assert_eq!(bom, twin);
        assert_eq!(
            index.describe("bom.items[0].import.incoterm"),
            " (CSV row 2)"
        );
    }

    /// Every Incoterms 2020 code reads in any case (DDP too: the request's validation refuses
    /// it, naming the row); anything else is refused here with the row and the codes.
    #[test]
    fn incoterms_read_in_any_case_and_others_are_refused() {
        use pb::Incoterm as I;
        let all = [
            ("exw", I::Exw),
            ("FCA", I::Fca),
            ("fas", I::Fas),
            ("Fob", I::Fob),
            ("CPT", I::Cpt),
            ("cfr", I::Cfr),
            ("CIP", I::Cip),
            ("cif", I::Cif),
            ("DAP", I::Dap),
            ("dpu", I::Dpu),
            ("DDP", I::Ddp),
        ];
        for (s, t) in all {
            assert_eq!(incoterm(s), Some(t), "{s}");
        }
        assert_eq!((incoterm("INCOTERM_FOB"), incoterm("C&F")), (None, None));
        let e = parse("path,hts_code,incoterm\na,8505.11,FOBB\n", "b", "USD").unwrap_err();
        assert_eq!(
            e,
            "CSV row 2: incoterm \"FOBB\" is not one of EXW, FCA, FAS, FOB, CPT, CFR, CIP, CIF, \
             DAP, DPU, DDP"
        );
    }

    /// An import column on a row without `hts_code` has no import to go to: refused with the
    /// row, never dropped.
    #[test]
    fn import_columns_without_an_import_are_refused() {
        let e = parse("path,unit_price,freight\na,10,5\n", "b", "USD").unwrap_err();
        assert_eq!(
            e,
            "CSV row 2: `freight` belongs to an import declaration, and the row has no `hts_code`"
        );
        // A price currency is the item's own: no import needed.
        let (bom, _) = parse("path,unit_price,price_currency\na,10,JPY\n", "b", "USD").unwrap();
        assert_eq!(bom.items[0].price_currency, "JPY");
        assert!(bom.items[0].import.is_none());
    }

    /// `shared` no is an empty cell: even a source's row, which takes no `shared`, may carry
    /// it.
    #[test]
    fn shared_no_is_an_empty_cell() {
        let csv = "path,material_id,quantity,unit,shared,share\nm,x,1,kg,no,\nm/a,,,,no,1\n";
        let (bom, _) = parse(csv, "b", "USD").unwrap();
        assert_eq!(bom.items[0].sourcing[0].id, "a");
        assert!(bom.shared_assemblies.is_empty());
    }

    /// Every spelling of a unit, a transport mode and a yes or a no reads as its value,
    /// whatever its case; any other is none.
    #[test]
    fn units_modes_and_yes_or_no_read_in_every_spelling() {
        use pb::{TransportMode as M, UnitOfMeasure as U};
        let units = [
            ("kg", U::Kg),
            ("G", U::G),
            ("t", U::T),
            ("lb", U::Lb),
            ("piece", U::Piece),
            ("pc", U::Piece),
            ("PCS", U::Piece),
        ];
        for (s, u) in units {
            assert_eq!(unit(s), Some(u), "{s}");
        }
        let modes = [
            ("ocean", M::Ocean),
            ("Air", M::Air),
            ("truck", M::Truck),
            ("rail", M::Rail),
            ("other", M::Other),
        ];
        for (s, m) in modes {
            assert_eq!(mode(s), Some(m), "{s}");
        }
        for s in ["yes", "Y", "true", "1"] {
            assert_eq!(yes(s), Some(true), "{s}");
        }
        for s in ["no", "n", "FALSE", "0"] {
            assert_eq!(yes(s), Some(false), "{s}");
        }
        assert_eq!((unit("kgs"), mode("sea"), yes("maybe")), (None, None, None));
    }

    /// A row nested deeper than the limit is refused with its row; a sourcing share is no
    /// level of its own (it is not an item), so a material line at the limit keeps its sources.
    #[test]
    fn rows_deeper_than_the_limit_are_refused() {
        let csv = "path,material_id,quantity,unit,share
a,,,,
a/b,,,,
a/b/m,nd-oxide,1,kg,
a/b/m/cn,,,,1
";
        let bom = parse_within(csv, "b", "USD", 3).unwrap();
        assert_eq!(bom.items[0].children[0].children[0].sourcing[0].id, "cn");
        assert_eq!(
            parse_within(csv, "b", "USD", 2).unwrap_err(),
            "CSV row 4: nested deeper than 2 levels (path \"a/b/m\")"
        );
    }

    /// Rows that have no place in the BOM message are refused with their row.
    #[test]
    fn misplaced_rows_are_refused() {
        let refused = |csv: &str| parse(csv, "b", "USD").unwrap_err();
        let header = "path,description,material_id,quantity,unit,shared,share\n";
        assert!(refused(&format!("{header}a,,x,1,kg,,0.5\n")).contains("CSV row 2"));
        let misplaced = "a sourcing share (`share` set) belongs under a material line's row";
        assert!(refused(&format!("{header}a,,x,,,,0.5\n")).contains(misplaced));
        assert!(refused(&format!("{header}k,,,,,yes,\nk/s,,x,,,,1\n")).contains(misplaced));
        assert!(
            refused(&format!("{header}a,,,,,yes,\na/b,,,,,yes,\n"))
                .contains("only a top-level row")
        );
        assert!(
            refused(&format!("{header}a,,x,1,kg,,\na/s,Recycled,,,,,1\n"))
                .contains("takes no `description`")
        );
        assert!(
            refused(&format!("{header}a,,x,1,kg,,\na/s,,,,,,1\na/s/t,,,,,,1\n"))
                .contains("a source has no rows under it")
        );
        assert!(refused(&format!("{header}a,,,,,maybe,\n")).contains("not yes or no"));
        assert!(refused(&format!("{header}a/b,,x,1,kg,,\n")).contains("parent \"a\" has no row"));
    }
}
