//! Mappings between protobuf enums and domain enums, in both directions, in one place.

use crate::engine::model::{DutyBasis, FeeKind, Incoterm, Program, TransportMode, ValuationBasis};
use crate::engine::money::RoundingMode;
use crate::engine::units::Unit;
use crate::pb;

/// Domain unit of a protobuf unit; `None` if unspecified or unknown.
pub(crate) fn unit(raw: i32) -> Option<Unit> {
    match pb::UnitOfMeasure::try_from(raw).ok()? {
        pb::UnitOfMeasure::Unspecified => None,
        pb::UnitOfMeasure::Kg => Some(Unit::Kg),
        pb::UnitOfMeasure::G => Some(Unit::G),
        pb::UnitOfMeasure::T => Some(Unit::T),
        pb::UnitOfMeasure::Lb => Some(Unit::Lb),
        pb::UnitOfMeasure::Piece => Some(Unit::Piece),
    }
}

/// Protobuf unit of a domain unit.
pub(crate) fn unit_to_pb(u: Unit) -> pb::UnitOfMeasure {
    match u {
        Unit::Kg => pb::UnitOfMeasure::Kg,
        Unit::G => pb::UnitOfMeasure::G,
        Unit::T => pb::UnitOfMeasure::T,
        Unit::Lb => pb::UnitOfMeasure::Lb,
        Unit::Piece => pb::UnitOfMeasure::Piece,
    }
}

/// Domain Incoterm: `Ok(None)` when unspecified (the default applies), an error for DDP
/// (its price includes the duty the calculation adds) or an unknown value.
pub(crate) fn incoterm(raw: i32) -> Result<Option<Incoterm>, String> {
    let Ok(t) = pb::Incoterm::try_from(raw) else {
        return Err(format!("{raw} is not a known Incoterm"));
    };
    Ok(Some(match t {
        pb::Incoterm::Unspecified => return Ok(None),
        pb::Incoterm::Exw => Incoterm::Exw,
        pb::Incoterm::Fca => Incoterm::Fca,
        pb::Incoterm::Fas => Incoterm::Fas,
        pb::Incoterm::Fob => Incoterm::Fob,
        pb::Incoterm::Cpt => Incoterm::Cpt,
        pb::Incoterm::Cfr => Incoterm::Cfr,
        pb::Incoterm::Cip => Incoterm::Cip,
        pb::Incoterm::Cif => Incoterm::Cif,
        pb::Incoterm::Dap => Incoterm::Dap,
        pb::Incoterm::Dpu => Incoterm::Dpu,
        pb::Incoterm::Ddp => {
            return Err(
                "a DDP price includes the duty this calculation adds: state the price \
                        before duty under another rule (e.g. DAP) and let the schedule charge \
                        the duty"
                    .to_string(),
            );
        }
    }))
}

/// Domain valuation basis: FOB when unspecified, `None` for an unknown value.
pub(crate) fn valuation_basis(raw: i32) -> Option<ValuationBasis> {
    match pb::ValuationBasis::try_from(raw).ok()? {
        pb::ValuationBasis::Unspecified | pb::ValuationBasis::Fob => Some(ValuationBasis::Fob),
        pb::ValuationBasis::Cif => Some(ValuationBasis::Cif),
    }
}

/// Domain transport mode; `None` if unspecified or unknown.
pub(crate) fn transport_mode(raw: i32) -> Option<TransportMode> {
    match pb::TransportMode::try_from(raw).ok()? {
        pb::TransportMode::Unspecified => None,
        pb::TransportMode::Ocean => Some(TransportMode::Ocean),
        pb::TransportMode::Air => Some(TransportMode::Air),
        pb::TransportMode::Truck => Some(TransportMode::Truck),
        pb::TransportMode::Rail => Some(TransportMode::Rail),
        pb::TransportMode::Other => Some(TransportMode::Other),
    }
}

/// Domain program; `None` if unspecified or unknown.
pub(crate) fn program(raw: i32) -> Option<Program> {
    match pb::Program::try_from(raw).ok()? {
        pb::Program::Unspecified => None,
        pb::Program::Mfn => Some(Program::Mfn),
        pb::Program::Section232 => Some(Program::Section232),
        pb::Program::Section301 => Some(Program::Section301),
        pb::Program::Section122 => Some(Program::Section122),
        pb::Program::Ieepa => Some(Program::Ieepa),
        pb::Program::AdCvd => Some(Program::AdCvd),
        pb::Program::Safeguard => Some(Program::Safeguard),
        pb::Program::Other => Some(Program::Other),
    }
}

/// Protobuf program of a domain program.
pub(crate) fn program_to_pb(p: Program) -> pb::Program {
    match p {
        Program::Mfn => pb::Program::Mfn,
        Program::Section232 => pb::Program::Section232,
        Program::Section301 => pb::Program::Section301,
        Program::Section122 => pb::Program::Section122,
        Program::Ieepa => pb::Program::Ieepa,
        Program::AdCvd => pb::Program::AdCvd,
        Program::Safeguard => pb::Program::Safeguard,
        Program::Other => pb::Program::Other,
    }
}

/// Domain duty basis; unspecified means the full value. `None` if unknown.
pub(crate) fn duty_basis(raw: i32) -> Option<DutyBasis> {
    match pb::DutyBasis::try_from(raw).ok()? {
        pb::DutyBasis::Unspecified | pb::DutyBasis::FullValue => Some(DutyBasis::FullValue),
        pb::DutyBasis::MetalContent => Some(DutyBasis::MetalContent),
        pb::DutyBasis::NonMetalRemainder => Some(DutyBasis::NonMetalRemainder),
    }
}

/// Domain fee kind; `None` if unspecified or unknown.
pub(crate) fn fee_kind(raw: i32) -> Option<FeeKind> {
    match pb::FeeKind::try_from(raw).ok()? {
        pb::FeeKind::Unspecified => None,
        pb::FeeKind::Mpf => Some(FeeKind::Mpf),
        pb::FeeKind::Hmf => Some(FeeKind::Hmf),
        pb::FeeKind::Other => Some(FeeKind::Other),
    }
}

/// Protobuf fee kind of a domain fee kind.
pub(crate) fn fee_kind_to_pb(k: FeeKind) -> pb::FeeKind {
    match k {
        FeeKind::Mpf => pb::FeeKind::Mpf,
        FeeKind::Hmf => pb::FeeKind::Hmf,
        FeeKind::Other => pb::FeeKind::Other,
    }
}

/// Domain rounding mode; unspecified means half-up. `None` if unknown.
pub(crate) fn rounding_mode(raw: i32) -> Option<RoundingMode> {
    match pb::RoundingMode::try_from(raw).ok()? {
        pb::RoundingMode::Unspecified | pb::RoundingMode::HalfUp => Some(RoundingMode::HalfUp),
        pb::RoundingMode::HalfEven => Some(RoundingMode::HalfEven),
    }
}

/// Protobuf rounding mode of a domain rounding mode.
pub(crate) fn rounding_mode_to_pb(r: RoundingMode) -> pb::RoundingMode {
    match r {
        RoundingMode::HalfUp => pb::RoundingMode::HalfUp,
        RoundingMode::HalfEven => pb::RoundingMode::HalfEven,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every domain value maps to a protobuf value that maps back to it (responses show the
    /// same enums requests take); unspecified and unknown numbers map to nothing.
    #[test]
    fn every_enum_round_trips_through_its_protobuf_value() {
        for u in [Unit::Kg, Unit::G, Unit::T, Unit::Lb, Unit::Piece] {
            assert_eq!(unit(unit_to_pb(u) as i32), Some(u), "{u:?}");
        }
        for raw in 1..=8 {
            let p = program(raw).unwrap();
            assert_eq!(program_to_pb(p) as i32, raw, "{p:?}");
        }
        for raw in 1..=3 {
            let k = fee_kind(raw).unwrap();
            assert_eq!(fee_kind_to_pb(k) as i32, raw, "{k:?}");
        }
        for raw in 1..=2 {
            let r = rounding_mode(raw).unwrap();
            assert_eq!(rounding_mode_to_pb(r) as i32, raw, "{r:?}");
        }
        assert_eq!(unit(0), None);
        assert_eq!(unit(99), None);
        assert_eq!(program(0), None);
        assert_eq!(program(9), None);
        assert_eq!(transport_mode(0), None);
    }
}
