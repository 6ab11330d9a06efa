//! The CSV form of an export: one file, every table, a `table` column saying which. Quoted
//! per RFC 4180 (CRLF line ends, quotes only where needed) and safe to open in a spreadsheet:
//! a text cell that a spreadsheet would read as a formula is escaped (OWASP "CSV injection"),
//! while numbers stay numbers, a negative delta included.

use super::ExportError;
use super::rows::Row;
use super::schema::{Cell, Column, is_plain_decimal};
use std::borrow::Cow;

/// The rows as CSV, with a header of [`Column::ALL`]'s names.
pub fn write(rows: &[Row]) -> Result<Vec<u8>, ExportError> {
    let mut w = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let err = |e: ::csv::Error| ExportError(format!("writing CSV: {e}"));
    w.write_record(Column::ALL.iter().map(|c| c.name()))
        .map_err(err)?;
    for row in rows {
        for &c in &Column::ALL {
            w.write_field(cell(c, row.get(c)).as_bytes()).map_err(err)?;
        }
        w.write_record(None::<&[u8]>).map_err(err)?;
    }
    w.into_inner()
        .map_err(|e| ExportError(format!("writing CSV: {}", e.error())))
}

/// A cell as written: numbers as they are, text escaped.
fn cell(column: Column, value: &str) -> Cow<'_, str> {
    match column.cell() {
        Cell::Number | Cell::Amount | Cell::Exact if is_plain_decimal(value) => {
            Cow::Borrowed(value)
        }
        _ => escape(value),
    }
}

/// `text` made inert for a spreadsheet: one that starts with `=`, `+`, `-`, `@`, a tab or a
/// carriage return (what a spreadsheet may take for a formula) gets a leading `'`, as OWASP
/// recommends; anything else is unchanged.
pub fn escape(text: &str) -> Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each character OWASP lists starts a formula; each is neutralised, and only at the start.
    #[test]
    fn text_that_could_be_a_formula_gets_a_leading_quote() {
        for (text, want) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("+1+2", "'+1+2"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tcmd", "'\tcmd"),
            ("\rcmd", "'\rcmd"),
            ("magnets = 2", "magnets = 2"),
            ("drive-unit/rotor", "drive-unit/rotor"),
            ("", ""),
        ] {
            assert_eq!(escape(text), want, "{text:?}");
        }
    }

    /// Amounts stay numbers even when negative; text in an amount column does not.
    #[test]
    fn numbers_are_written_as_numbers_and_only_numbers() {
        assert_eq!(cell(Column::Delta, "-12.50"), "-12.50");
        assert_eq!(cell(Column::DeltaExact, "-0.125"), "-0.125");
        assert_eq!(cell(Column::Quantity, "1.8"), "1.8");
        assert_eq!(cell(Column::Baseline, "-1+2"), "'-1+2");
        assert_eq!(cell(Column::Baseline, "-"), "'-");
        assert_eq!(cell(Column::Baseline, "1."), "1.");
        assert_eq!(cell(Column::Baseline, ""), "");
        assert_eq!(
            cell(Column::Description, "-12.50"),
            "'-12.50",
            "text is text"
        );
        for bad in ["-", ".5", "1e5", "+1", "1.2.3", " 1", "--1"] {
            assert!(!is_plain_decimal(bad), "{bad:?}");
        }
        for good in ["0", "-0.00", "38831.61", "-465.158102"] {
            assert!(is_plain_decimal(good), "{good:?}");
        }
    }

    /// The header alone, ended by CRLF (RFC 4180).
    #[test]
    fn the_header_is_one_crlf_ended_line() {
        let text = String::from_utf8(write(&[]).unwrap()).unwrap();
        assert!(text.starts_with("table,scenario_name,scenario_rank,currency,path,"));
        assert!(
            text.ends_with(",baseline_formula,scenario_formula\r\n"),
            "{text}"
        );
        assert_eq!(text.matches("\r\n").count(), 1);
    }
}
