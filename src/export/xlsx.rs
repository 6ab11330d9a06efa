//! The workbook form of an export: one sheet per table, the same columns as the CSV (less
//! `table`), amounts as numbers with a currency number format so they sum, and the exact
//! decimals as text. A workbook's numbers are 64-bit floats, exact to 15 significant digits
//! (every rounded amount below 10 trillion with 2 decimals); the `*_exact` columns keep the
//! unrounded values as text, and the CSV keeps every amount as its decimal string.
//! Text is written as string cells, which a spreadsheet never evaluates, so it needs no
//! formula escaping: a description `=1+2` reads back as `=1+2`.

use super::ExportError;
use super::rows::Row;
use super::schema::{Cell, Column, Table, is_plain_decimal};
use rust_decimal::Decimal;
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};
use std::collections::HashMap;
use std::str::FromStr;

fn err(e: XlsxError) -> ExportError {
    ExportError(format!("writing XLSX: {e}"))
}

/// The rows as an XLSX workbook with sheets `line`, `charge`, `measure`, `material` and
/// `total`, each with a bold, frozen header row and a filter.
pub fn write(rows: &[Row]) -> Result<Vec<u8>, ExportError> {
    let mut book = Workbook::new();
    let header = Format::new().set_bold();
    let mut formats = AmountFormats::default();
    for table in Table::ALL {
        let columns = table.columns();
        let sheet = book.add_worksheet();
        sheet.set_name(table.name()).map_err(err)?;
        for (j, c) in (0u16..).zip(&columns) {
            sheet
                .write_string_with_format(0, j, c.name(), &header)
                .map_err(err)?;
        }
        let mut last = 0u32;
        for row in rows.iter().filter(|row| row.table == table) {
            last = last
                .checked_add(1)
                .ok_or_else(|| ExportError("too many rows for a sheet".into()))?;
            for (j, &c) in (0u16..).zip(&columns) {
                write_cell(sheet, (last, j), c, row.get(c), &mut formats)?;
            }
        }
        sheet.set_freeze_panes(1, 0).map_err(err)?;
        let last_column = u16::try_from(columns.len() - 1).unwrap_or(u16::MAX);
        sheet.autofilter(0, 0, last, last_column).map_err(err)?;
        sheet.autofit();
    }
    book.save_to_buffer().map_err(err)
}

/// Number formats of amounts by their decimals: `#,##0.00` for cents, `#,##0` for yen.
#[derive(Default)]
struct AmountFormats(HashMap<u32, Format>);

impl AmountFormats {
    fn of(&mut self, amount: &str) -> &Format {
        let scale = amount.split_once('.').map_or(0, |(_, f)| f.len() as u32);
        self.0.entry(scale).or_insert_with(|| {
            let decimals = "0".repeat(scale as usize);
            let pattern = if scale == 0 {
                "#,##0".to_string()
            } else {
                format!("#,##0.{decimals}")
            };
            Format::new().set_num_format(pattern)
        })
    }
}

fn write_cell(
    sheet: &mut Worksheet,
    (row, col): (u32, u16),
    column: Column,
    value: &str,
    formats: &mut AmountFormats,
) -> Result<(), ExportError> {
    if value.is_empty() {
        return Ok(());
    }
    let number = is_plain_decimal(value)
        .then(|| value.parse::<f64>().ok())
        .flatten();
    match (column.cell(), number) {
        (Cell::Amount, Some(n)) => {
            sheet
                .write_number_with_format(row, col, n, formats.of(value))
                .map_err(err)?;
        }
        (Cell::Number, Some(n)) if round_trips(n, value) => {
            sheet.write_number(row, col, n).map_err(err)?;
        }
        _ => {
            sheet.write_string(row, col, value).map_err(err)?;
        }
    }
    Ok(())
}

/// Whether `n` is exactly the decimal `text` (a quantity with more digits than a float holds
/// stays text rather than be silently rounded).
fn round_trips(n: f64, text: &str) -> bool {
    matches!(
        (Decimal::from_str(&n.to_string()), Decimal::from_str(text)),
        (Ok(a), Ok(b)) if a == b
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_become_numbers_only_when_a_float_holds_them() {
        assert!(round_trips(1.8, "1.8"));
        assert!(round_trips(1.8, "1.80"));
        assert!(!round_trips(
            "0.12345678901234567".parse().unwrap(),
            "0.12345678901234567"
        ));
    }

    #[test]
    fn amount_formats_follow_the_amounts_decimals() {
        let mut f = AmountFormats::default();
        f.of("315.00");
        f.of("-1.25");
        f.of("1200");
        f.of("0.125");
        let mut scales: Vec<u32> = f.0.keys().copied().collect();
        scales.sort_unstable();
        assert_eq!(scales, [0, 2, 3]);
    }
}
