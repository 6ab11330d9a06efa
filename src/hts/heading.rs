//! What a chapter 99 heading's description says of itself: the entry dates it is in force
//! for (`Effective with respect to entries on or after January 1, 2025, and before January 1,
//! 2026, ...`) and whether the compiler marked it suspended (`[Compiler's note: provision
//! suspended.]`). The U.S. notes are the legal text; these phrases are how the HTS prints
//! their dates on the heading itself, so an importer can date a measure from the export.

use crate::engine::date::{Date, Window};

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// A date written `September 27, 2024` at the start of `s`.
fn written_date(s: &str) -> Option<Date> {
    let mut words = s.split_whitespace();
    let name = words.next()?;
    let month = MONTHS.iter().position(|m| *m == name)? + 1;
    let day: u8 = words.next()?.trim_end_matches(',').parse().ok()?;
    let year: u16 = words
        .next()?
        .trim_end_matches(|c: char| !c.is_ascii_digit())
        .parse()
        .ok()?;
    Date::parse(&format!("{year:04}-{month:02}-{day:02}"))
}

/// The entry dates a heading's description puts it in force for: from the date after "on
/// or after" to the date after "and before" (exclusive), each open when not written.
pub fn window(description: &str) -> Window {
    let after = |phrase: &str| {
        description
            .find(phrase)
            .and_then(|i| written_date(&description[i + phrase.len()..]))
    };
    Window {
        from: after("on or after "),
        to: after("and before "),
    }
}

/// Whether the heading is marked suspended (its duty is not charged).
pub fn suspended(description: &str) -> bool {
    description.contains("provision suspended")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Option<Date> {
        Date::parse(s)
    }

    /// The phrases of the extract's Section 301 headings.
    #[test]
    fn heading_dates_are_read_from_their_description() {
        let w = window(
            "Effective with respect to entries on or after January 1, 2025, and before January 1, 2026, articles the product of China",
        );
        assert_eq!((w.from, w.to), (d("2025-01-01"), d("2026-01-01")));
        let w = window(
            "Effective with respect to entries on or after January 1, 2026, articles the product of China, as provided for in subdivision (g) of U.S. note 31",
        );
        assert_eq!((w.from, w.to), (d("2026-01-01"), None));
        let w = window(
            "Effective with respect to entries, on or after November 10, 2026, of intermodal chassis",
        );
        assert_eq!(w.from, d("2026-11-10"));
        let w = window("Articles the product of China, as provided for in U.S. note 20(a)");
        assert_eq!((w.from, w.to), (None, None));
        assert_eq!(window("on or after Smarch 1, 2026").from, None);
        // Only "and before" ends a window, not a time of day elsewhere in the text.
        let w = window("in transit before 12:01 a.m. eastern daylight time, April 5, 2025");
        assert_eq!((w.from, w.to), (None, None));
    }

    #[test]
    fn suspension_is_read_from_the_compilers_note() {
        assert!(suspended(
            "Articles the product of China, as provided for in U.S. note 20(t) [Compiler's note: provision suspended.]"
        ));
        assert!(!suspended("Articles the product of China"));
    }
}
