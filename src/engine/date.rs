//! Calendar dates (entry dates, effective windows) parsed strictly from `YYYY-MM-DD`.

use std::fmt;

/// A proleptic Gregorian calendar date. Ordering is chronological.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

impl Date {
    /// Parses `YYYY-MM-DD` (years 1900-9999), rejecting impossible days such as 2026-02-29.
    pub fn parse(s: &str) -> Option<Date> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<u16> {
            let part = &s[r];
            if part.bytes().all(|c| c.is_ascii_digit()) {
                part.parse().ok()
            } else {
                None
            }
        };
        let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
        if year < 1900 || !(1..=12).contains(&month) {
            return None;
        }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let days = match month {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        if day == 0 || day > days {
            return None;
        }
        Some(Date {
            year,
            month: month as u8,
            day: day as u8,
        })
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// A half-open window of entry dates `[from, to)`; an open end is unbounded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    /// First date in force (inclusive).
    pub from: Option<Date>,
    /// First date no longer in force (exclusive).
    pub to: Option<Date>,
}

impl Window {
    /// Whether an entry on `date` falls in the window.
    pub fn contains(&self, date: Date) -> bool {
        self.from.is_none_or(|f| date >= f) && self.to.is_none_or(|t| date < t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_valid_dates_and_rejects_impossible_ones() {
        assert_eq!(Date::parse("2026-01-01").unwrap().to_string(), "2026-01-01");
        assert!(Date::parse("2024-02-29").is_some());
        assert!(Date::parse("2026-02-29").is_none());
        assert!(Date::parse("2026-13-01").is_none());
        assert!(Date::parse("2026-1-01").is_none());
        assert!(Date::parse("+026-01-01").is_none());
        assert!(Date::parse("").is_none());
        // Each separator is required on its own.
        assert!(Date::parse("2026x03-02").is_none());
        assert!(Date::parse("2026-03x02").is_none());
        assert!(Date::parse("2026x03x02").is_none());
        // Years from 1900.
        assert!(Date::parse("1899-12-31").is_none());
        assert!(Date::parse("1900-01-01").is_some());
        // Leap years: every 4th, not every 100th, every 400th.
        assert!(Date::parse("2028-02-29").is_some());
        assert!(Date::parse("2000-02-29").is_some());
        assert!(Date::parse("1900-02-29").is_none());
        assert!(Date::parse("2100-02-29").is_none());
        // 30-day months; 31-day ones.
        for month in ["04", "06", "09", "11"] {
            assert!(
                Date::parse(&format!("2026-{month}-30")).is_some(),
                "{month}"
            );
            assert!(
                Date::parse(&format!("2026-{month}-31")).is_none(),
                "{month}"
            );
        }
        for month in ["01", "03", "05", "07", "08", "10", "12"] {
            assert!(
                Date::parse(&format!("2026-{month}-31")).is_some(),
                "{month}"
            );
            assert!(
                Date::parse(&format!("2026-{month}-32")).is_none(),
                "{month}"
            );
        }
        assert!(Date::parse("2026-03-00").is_none());
    }

    #[test]
    fn window_is_half_open() {
        let w = Window {
            from: Date::parse("2026-01-01"),
            to: Date::parse("2026-02-24"),
        };
        assert!(!w.contains(Date::parse("2025-12-31").unwrap()));
        assert!(w.contains(Date::parse("2026-01-01").unwrap()));
        assert!(w.contains(Date::parse("2026-02-23").unwrap()));
        assert!(!w.contains(Date::parse("2026-02-24").unwrap()));
    }
}
