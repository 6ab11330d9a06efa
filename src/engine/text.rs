//! Request text repeated in formulas, notes and messages, bounded: a formula repeats names
//! on every line, and an error message echoes the value it rejects, so an id of a megabyte
//! must not make every formula or error a megabyte.

use std::borrow::Cow;

/// Most characters of a name, id or value repeated in a formula, note or message.
pub(crate) const ECHOED_CHARS: usize = 64;

/// `s` clipped to [`ECHOED_CHARS`] characters, with "..." when it was longer.
pub(crate) fn clip(s: &str) -> Cow<'_, str> {
    match s.char_indices().nth(ECHOED_CHARS) {
        Some((i, _)) => format!("{}...", &s[..i]).into(),
        None => s.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_kept_and_long_text_clipped_on_a_character_boundary() {
        assert_eq!(clip("us-301-magnets"), "us-301-magnets");
        let long = "é".repeat(100);
        let clipped = clip(&long);
        assert_eq!(clipped.chars().count(), ECHOED_CHARS + 3);
        assert!(clipped.ends_with("..."));
        assert_eq!(clip(&"x".repeat(ECHOED_CHARS)).len(), ECHOED_CHARS);
    }
}
