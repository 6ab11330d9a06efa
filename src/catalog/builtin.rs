//! The preset files compiled into the binary. A test checks that every file under `catalog/`
//! is listed here, so a new preset cannot be forgotten.

use super::Kind;

/// `(kind, path relative to the repository, contents)` of every built-in preset.
pub(super) const FILES: &[(Kind, &str, &str)] = &[
    (
        Kind::Bom,
        "catalog/boms/ev-high-ree.json",
        include_str!("../../catalog/boms/ev-high-ree.json"),
    ),
    (
        Kind::Bom,
        "catalog/boms/ev-jp-import.json",
        include_str!("../../catalog/boms/ev-jp-import.json"),
    ),
    (
        Kind::Bom,
        "catalog/boms/ev-low-ree.json",
        include_str!("../../catalog/boms/ev-low-ree.json"),
    ),
    (
        Kind::Bom,
        "catalog/boms/defense-fighter.json",
        include_str!("../../catalog/boms/defense-fighter.json"),
    ),
    (
        Kind::Bom,
        "catalog/boms/semiconductor-etch-tool.json",
        include_str!("../../catalog/boms/semiconductor-etch-tool.json"),
    ),
    (
        Kind::Bom,
        "catalog/boms/ev-bev-midsize.json",
        include_str!("../../catalog/boms/ev-bev-midsize.json"),
    ),
    (
        Kind::Bom,
        "catalog/boms/ev-bev-midsize-cn-cells.json",
        include_str!("../../catalog/boms/ev-bev-midsize-cn-cells.json"),
    ),
    (
        Kind::Bom,
        "catalog/boms/semiconductor-deposition-tool.json",
        include_str!("../../catalog/boms/semiconductor-deposition-tool.json"),
    ),
    (
        Kind::Bom,
        "catalog/boms/defense-ree-subsystems.json",
        include_str!("../../catalog/boms/defense-ree-subsystems.json"),
    ),
    (
        Kind::PriceDeck,
        "catalog/price_decks/ree-pre-restriction.json",
        include_str!("../../catalog/price_decks/ree-pre-restriction.json"),
    ),
    (
        Kind::PriceDeck,
        "catalog/price_decks/ree-post-restriction.json",
        include_str!("../../catalog/price_decks/ree-post-restriction.json"),
    ),
    (
        Kind::TariffSchedule,
        "catalog/tariff_schedules/us-2025.json",
        include_str!("../../catalog/tariff_schedules/us-2025.json"),
    ),
    (
        Kind::TariffSchedule,
        "catalog/tariff_schedules/us-2026.json",
        include_str!("../../catalog/tariff_schedules/us-2026.json"),
    ),
    (
        Kind::TariffSchedule,
        "catalog/tariff_schedules/us-hts-2026.json",
        include_str!("../../catalog/tariff_schedules/us-hts-2026.json"),
    ),
    (
        Kind::ScheduleOverlay,
        "catalog/schedule_overlays/us-2025-ieepa-auto-parts.json",
        include_str!("../../catalog/schedule_overlays/us-2025-ieepa-auto-parts.json"),
    ),
    (
        Kind::ScheduleOverlay,
        "catalog/schedule_overlays/reciprocal-annex-i.json",
        include_str!("../../catalog/schedule_overlays/reciprocal-annex-i.json"),
    ),
    (
        Kind::FxDeck,
        "catalog/fx_decks/fx-h10-2024-01-12.json",
        include_str!("../../catalog/fx_decks/fx-h10-2024-01-12.json"),
    ),
    (
        Kind::FxDeck,
        "catalog/fx_decks/fx-h10-2024-02-02.json",
        include_str!("../../catalog/fx_decks/fx-h10-2024-02-02.json"),
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalog_file_is_compiled_in() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut on_disk = Vec::new();
        for kind in Kind::ALL {
            let dir = root.join("catalog").join(super::super::folder(kind));
            if !dir.is_dir() {
                continue;
            }
            for e in std::fs::read_dir(dir).unwrap() {
                let name = e.unwrap().file_name().into_string().unwrap();
                on_disk.push(format!("catalog/{}/{name}", super::super::folder(kind)));
            }
        }
        on_disk.sort();
        let mut listed: Vec<String> = FILES.iter().map(|(_, p, _)| p.to_string()).collect();
        listed.sort();
        assert_eq!(on_disk, listed);
        for (kind, path, _) in FILES {
            assert!(
                path.starts_with(&format!("catalog/{}/", super::super::folder(*kind))),
                "{path} is in the wrong folder"
            );
        }
    }

    #[test]
    fn builtin_catalog_loads() {
        let c = super::super::Catalog::builtin().unwrap();
        assert_eq!(c.boms().count(), 9);
        assert_eq!(c.price_decks().count(), 2);
        assert_eq!(c.tariff_schedules().count(), 3);
        assert_eq!(c.fx_decks().count(), 2);
        assert_eq!(c.headers(Kind::ScheduleOverlay).len(), 2);
    }
}
