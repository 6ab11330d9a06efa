//! `ParseBomCsv`: a BOM kept as CSV read into the `Bom` message by the parser of
//! `calc --bom-csv` ([`crate::convert::bom_csv`]), for a page that uploads one. Only the CSV's
//! form is checked (columns, paths, units, transport modes, where shared assemblies and
//! sourcing shares stand, and the BOM depth limit); the BOM's values are validated by the
//! costing RPCs when it is sent.
//!
//! Reading is not free: each row becomes a map of its cells, a place in the tree and a
//! message, about a kilobyte for a row of a few bytes, so a CSV at the request size limit could
//! take over a hundred times its size. The plan estimates the memory, work and response size
//! from the text's bytes, lines and cells before anything is read, and the guards hold it to
//! the call budgets and lend it the memory, as they do for a calculation.

use super::Context;
use super::budget::Cost;
use super::error::ApiError;
use super::guard::{Plan, PrepareWeight};
use crate::convert::bom_csv;
use crate::engine::{InputError, Meter, Reason};
use crate::pb;

/// The BOM id when the request gives none.
pub const DEFAULT_BOM_ID: &str = "bom";
/// The BOM currency when the request gives none.
pub const DEFAULT_CURRENCY: &str = "USD";

/// Bytes reading one row holds at most at once besides its cells: its map of cells, its place
/// in the tree (parent, children, depth), the slot for its message, the message and its
/// id. Measured at about 880 bytes for rows of one short cell (`examples/cost_calibration.rs`,
/// RELIABILITY.md).
const MEMORY_PER_ROW: u64 = 1_024;
/// Bytes of one non-empty cell besides its text: its entry in its row's map (which grows as
/// cells are added) and its copy in the message. Measured at about 80 bytes.
const MEMORY_PER_CELL: u64 = 96;
/// Bytes per byte of text: the text itself, each cell's copy in its row's map and its copy in
/// the message (the map's copy is freed only at the end).
const MEMORY_PER_BYTE: u64 = 3;
/// Units of work of one row besides its cells: reading it, placing it in the tree and building
/// its message (measured at 470 to 750 ns a unit, within the 250 to 1,430 of a calculation's).
const WORK_PER_ROW: u64 = 4;
/// Units of work of one non-empty cell: reading, trimming and copying it twice.
const WORK_PER_CELL: u64 = 1;
/// Encoded bytes of one row's message besides its cells' text: the message's own tag and
/// length, a tag and a length (or an enum's value) for each of at most 24 fields, and a
/// nested import's: about 3 bytes each, 80 in all.
const RESPONSE_PER_ROW: u64 = 128;
/// Encoded bytes of the response besides its rows: the BOM's tag, length, id and currency.
const RESPONSE_FIXED: u64 = 64;

/// A CSV BOM to read, its defaults applied and its cost estimated.
#[derive(Debug)]
pub struct ParsePlan {
    csv: String,
    bom_id: String,
    currency: String,
    max_depth: usize,
    cost: Cost,
}

impl PrepareWeight for pb::ParseBomCsvRequest {
    fn inline_boms(&self) -> Vec<&pb::Bom> {
        Vec::new()
    }

    fn overlays_schedules(&self) -> bool {
        false
    }
}

/// The cost of reading `csv`, from its [`shape`], with `fixed` bytes of id and currency.
fn cost(csv: &str, fixed: usize) -> Cost {
    let bytes = csv.len() as u64;
    let (rows, cells) = shape(csv.as_bytes());
    Cost {
        work: rows
            .saturating_mul(WORK_PER_ROW)
            .saturating_add(cells.saturating_mul(WORK_PER_CELL)),
        memory: rows
            .saturating_mul(MEMORY_PER_ROW)
            .saturating_add(cells.saturating_mul(MEMORY_PER_CELL))
            .saturating_add(bytes.saturating_mul(MEMORY_PER_BYTE)),
        response_bytes: rows
            .saturating_mul(RESPONSE_PER_ROW)
            .saturating_add(bytes)
            .saturating_add(fixed as u64 + RESPONSE_FIXED),
        response_floor: 0,
    }
}

/// Rows and non-empty cells of `text` read as lines of comma-separated cells, with no
/// quoting: upper bounds of what the CSV reader finds (a quoted cell may hold commas and line
/// breaks, so it counts here as several cells or rows, never fewer). A row ends at `\n`,
/// `\r\n` or a lone `\r`, as for the reader.
fn shape(text: &[u8]) -> (u64, u64) {
    let (mut rows, mut cells, mut in_cell) = (1u64, 0u64, false);
    for (i, &b) in text.iter().enumerate() {
        if b == b'\n' || (b == b'\r' && text.get(i + 1) != Some(&b'\n')) {
            rows += 1;
        }
        if matches!(b, b',' | b'\n' | b'\r') {
            in_cell = false;
        } else if !in_cell {
            in_cell = true;
            cells += 1;
        }
    }
    (rows, cells)
}

/// Plans reading `req`'s CSV: the id and currency defaulted, the cost estimated; nothing is
/// read yet.
pub fn prepare(ctx: &Context, req: pb::ParseBomCsvRequest) -> Result<ParsePlan, ApiError> {
    let or = |s: String, default: &str| {
        if s.is_empty() { default.to_string() } else { s }
    };
    let bom_id = or(req.bom_id, DEFAULT_BOM_ID);
    let currency = or(req.currency, DEFAULT_CURRENCY);
    let cost = cost(&req.csv, bom_id.len() + currency.len());
    Ok(ParsePlan {
        csv: req.csv,
        bom_id,
        currency,
        max_depth: ctx.limits.max_depth,
        cost,
    })
}

impl Plan for ParsePlan {
    type Response = pb::ParseBomCsvResponse;

    fn cost(&self) -> Cost {
        self.cost
    }

    fn explain(&self) -> bool {
        false
    }

    fn run(self, meter: &Meter) -> Result<pb::ParseBomCsvResponse, ApiError> {
        // The parser does not count its steps: its work is charged whole, before it starts.
        meter.charge(self.cost.work)?;
        let bom = bom_csv::parse_within(&self.csv, &self.bom_id, &self.currency, self.max_depth)
            .map_err(|message| InputError::new("csv", Reason::InvalidValue, message))?;
        Ok(pb::ParseBomCsvResponse { bom: Some(bom) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use crate::convert::Limits;
    use std::sync::Arc;

    /// Rows end at `\n`, `\r\n` or a lone `\r`; a cell is a run of anything else between
    /// commas; a quoted cell holding a comma or a line break counts as more, never fewer.
    #[test]
    fn the_shape_bounds_the_rows_and_cells_the_reader_finds() {
        assert_eq!(shape(b""), (1, 0));
        assert_eq!(shape(b"path,quantity\nnd,1\n"), (3, 4));
        assert_eq!(shape(b"path,quantity\r\nnd,1\r\n"), (3, 4));
        assert_eq!(shape(b"path,quantity\rnd,1\r"), (3, 4));
        assert_eq!(shape(b"path,,quantity\nnd,,\n\n"), (4, 3));
        assert_eq!(shape(b"path,description\nnd,\"a,\nb\"\n"), (4, 5));
    }

    fn ctx() -> Context {
        Context {
            catalog: Arc::new(Catalog::builtin().unwrap()),
            limits: Limits::default(),
            live: None,
        }
    }

    /// The id and currency default when empty; the response is never larger than its upper
    /// bound, for the smallest rows (where the per-row part dominates) and the fullest.
    #[test]
    fn defaults_apply_and_the_response_stays_within_its_bound() {
        let full = "path,description,material_id,quantity,unit,content_factor,unit_price,\
                    scenario_unit_price,hts_code,origin,transport_mode,customs_value,\
                    metal_content_share,net_mass_kg,preference_program,assembly_ref,\
                    price_currency,import_currency,incoterm,freight,insurance,brokerage\n";
        let mut csvs = vec![String::from("path\n"), String::from(full)];
        for i in 0..1_000 {
            csvs[0].push_str(&format!("{i}\n"));
            csvs[1].push_str(&format!(
                "p{i},d,m,1,g,1,1,1,1,C,rail,1,1,1,S,a,J,E,cif,1,1,1\n"
            ));
        }
        csvs.push("path,material_id,share,hts_code\nm,x,,\nm/a,y,1,1\n".into());
        for csv in csvs {
            let req = pb::ParseBomCsvRequest {
                csv,
                ..Default::default()
            };
            let plan = prepare(&ctx(), req).unwrap();
            let bound = plan.cost().response_bytes;
            let response = plan.run(&Meter::unlimited()).unwrap();
            let bom = response.bom.as_ref().unwrap();
            assert_eq!((bom.id.as_str(), bom.currency.as_str()), ("bom", "USD"));
            let bytes = prost::Message::encoded_len(&response) as u64;
            assert!(bytes <= bound, "{bytes} > {bound}");
        }
    }

    /// The parser's message is the violation's description, on field `csv`.
    #[test]
    fn a_csv_it_cannot_read_is_a_violation_on_csv() {
        let req = pb::ParseBomCsvRequest {
            csv: "path,unit\nnd,kgs\n".into(),
            bom_id: "b".into(),
            currency: "EUR".into(),
        };
        let e = prepare(&ctx(), req)
            .unwrap()
            .run(&Meter::unlimited())
            .unwrap_err();
        let v = &e.violations()[0];
        assert_eq!(
            (v.field.as_str(), v.reason, v.description.as_str()),
            (
                "csv",
                "INVALID_VALUE",
                "CSV row 2: unit \"kgs\" is not kg, g, t, lb or piece"
            )
        );
    }
}
