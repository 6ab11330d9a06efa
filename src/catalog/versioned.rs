//! `id@version`: how a request names one saved version of a catalog object for good. Ids may
//! not contain `@` (the store refuses them), so the split is unambiguous.

/// The id and version of `reference` when it names a version (`ev@3`); `None` for a plain id
/// (or a version that is not a positive integer, which then matches no object).
pub fn split(reference: &str) -> Option<(&str, i64)> {
    let (id, version) = reference.rsplit_once('@')?;
    let v: i64 = version.parse().ok()?;
    (!id.is_empty() && v > 0 && version.bytes().all(|b| b.is_ascii_digit())).then_some((id, v))
}

/// The canonical `id@version` text.
pub fn key(id: &str, version: i64) -> String {
    format!("{id}@{version}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_is_a_positive_decimal_after_the_last_at() {
        assert_eq!(split("ev@3"), Some(("ev", 3)));
        assert_eq!(split("ev@03"), Some(("ev", 3)));
        assert_eq!(split("ev"), None);
        assert_eq!(split("ev@0"), None);
        assert_eq!(split("ev@-1"), None);
        assert_eq!(split("ev@+1"), None);
        assert_eq!(split("ev@x"), None);
        assert_eq!(split("@2"), None);
        assert_eq!(key("ev", 3), "ev@3");
    }
}
