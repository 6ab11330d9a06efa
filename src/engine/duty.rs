//! Duties on one imported item: which part of its value each measure applies to (full value,
//! metal content, non-metal remainder), pre-emption between programs, ad valorem, specific and
//! compound rates with optional minimum and maximum, all-in (floor) rates, and a readable
//! formula for each.
//!
//! **The rule every duty rule must keep** (the sensitivity bounds rest on it, see
//! [`super::sensitivity`]): the stacked total of duties and fees of a side, over every measure
//! and fee in force, is non-decreasing in every quantity, price and ad valorem rate; so is a
//! line's stack in the line's own inputs (its share of an entry's clamped fee may shrink when
//! another line of the entry grows, while the entry's fee does not). One measure's own duty
//! need not be monotone (an all-in measure that tops up to a total shrinks as the others
//! grow, see [`all_in`]), but the stack must. A new rate mechanic is a new case in [`charge`] and a
//! new row in the table of `the_stacked_charges_never_fall_when_an_input_rises` below.

use super::currency::Currency;
use super::error::{Attribute, CheckedAt, InputError, Reason};
use super::line::{Charge, ImportedLine};
use super::model::{DutyBasis, Measure, Program};
use super::money::{DecimalText, RoundingMode, quantize, shown_amount};
use super::text::clip;
use super::units::{self, Unit};
use rust_decimal::Decimal;
use rustc_hash::FxHashMap as HashMap;
use std::fmt::Write as _;

/// An imported item as duty sees it.
pub(crate) struct Dutiable<'a, 'b> {
    pub(crate) imported: &'b ImportedLine<'a>,
    pub(crate) currency: Currency,
    pub(crate) rounding: RoundingMode,
    /// Build the formula text (the crossed costings of the effect split do not).
    pub(crate) explain: bool,
    /// The schedule's estimated metal share and its source, when the request asked for
    /// estimates and the import declares no share (see [`super::model::MetalShares`]).
    pub(crate) estimated_share: Option<(Decimal, &'b str)>,
}

/// The two portions of a customs value that measures can cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Cover {
    metal: bool,
    non_metal: bool,
}

impl Cover {
    fn of(basis: DutyBasis) -> Cover {
        match basis {
            DutyBasis::FullValue => Cover {
                metal: true,
                non_metal: true,
            },
            DutyBasis::MetalContent => Cover {
                metal: true,
                non_metal: false,
            },
            DutyBasis::NonMetalRemainder => Cover {
                metal: false,
                non_metal: true,
            },
        }
    }
    fn minus(self, other: Cover) -> Cover {
        Cover {
            metal: self.metal && !other.metal,
            non_metal: self.non_metal && !other.non_metal,
        }
    }
    fn intersect(self, other: Cover) -> Cover {
        Cover {
            metal: self.metal && other.metal,
            non_metal: self.non_metal && other.non_metal,
        }
    }
    fn union(self, other: Cover) -> Cover {
        Cover {
            metal: self.metal || other.metal,
            non_metal: self.non_metal || other.non_metal,
        }
    }
    fn is_empty(self) -> bool {
        !self.metal && !self.non_metal
    }
}

/// Pre-empting measures named in a formula; more are counted ("and 3 more"), so a formula's
/// length does not grow with the schedule.
const NAMED_PREEMPTERS: usize = 3;

/// The measures that pre-empt one program on one line: the union of the portions they cover
/// and, for each portion a pre-empted measure can nominally cover, who overlaps it.
#[derive(Default)]
struct Preemption<'m> {
    cover: Cover,
    /// Per basis of the pre-empted measure (full value, metal, non-metal): the first
    /// pre-empting ids that overlap it and how many overlap it in all.
    by: [(Vec<&'m str>, usize); 3],
}

const BASES: [DutyBasis; 3] = [
    DutyBasis::FullValue,
    DutyBasis::MetalContent,
    DutyBasis::NonMetalRemainder,
];

fn basis_slot(basis: DutyBasis) -> usize {
    match basis {
        DutyBasis::FullValue => 0,
        DutyBasis::MetalContent => 1,
        DutyBasis::NonMetalRemainder => 2,
    }
}

/// Keeps one MFN rate for a line: of the MFN measures in `applicable`, only those of the most
/// specific HTS line (the longest prefix the line's code starts with). The schedule prints a
/// rate on a subheading and may print another on a statistical line under it; the line's MFN
/// rate is the most specific one, never the sum. Other programs are left as they are (each
/// states its own stacking).
pub(crate) fn one_mfn_rate(applicable: &mut Vec<&Measure>, hts_digits: &str) {
    let most_specific = applicable
        .iter()
        .filter(|m| m.program == Program::Mfn)
        .map(|m| m.specificity(hts_digits))
        .max();
    if let Some(best) = most_specific {
        applicable.retain(|m| m.program != Program::Mfn || m.specificity(hts_digits) == best);
    }
}

/// Duties of every measure in `measures` (already filtered to those in force and matching
/// the item's HTS code and origin) on `target`. Linear in the number of measures: the
/// pre-emption of each program is gathered once (no program pre-empts itself: the schedule's
/// conversion rejects that as a cycle).
pub(crate) fn charges(
    target: &Dutiable<'_, '_>,
    measures: &[&Measure],
) -> Result<Vec<Charge>, InputError> {
    let imported = target.imported;
    let field = &imported.at();
    let value = imported.customs_value;
    let metal_applies = measures.iter().any(|m| m.basis == DutyBasis::MetalContent);
    let metal = if metal_applies {
        match (imported.import.metal_content_share, target.estimated_share) {
            (Some(share), _) => value.mul_at(
                share,
                imported.attribute(Attribute::MetalContentShare),
                "metal content value",
            )?,
            (None, Some((estimate, _))) => value.mul_at(estimate, field, "metal content value")?,
            (None, None) => value,
        }
    } else {
        Decimal::ZERO
    };
    let non_metal = value.sub_at(metal, field, "non-metal value")?;
    let portions = Portions {
        value,
        metal,
        non_metal,
        metal_applies,
    };

    let preemption = preemptions(measures);

    let effective_of = |measure: &Measure| -> (Cover, String) {
        let nominal = Cover::of(measure.basis);
        let (removed, by) = match preemption.iter().find(|(p, _)| *p == measure.program) {
            Some((_, e)) => {
                let (names, count) = &e.by[basis_slot(measure.basis)];
                (nominal.intersect(e.cover), Some((names.as_slice(), *count)))
            }
            None => (Cover::default(), None),
        };
        let by_text = match by {
            Some((names, count)) if target.explain && count > 0 => {
                let clipped: Vec<_> = names.iter().map(|n| clip(n)).collect();
                let mut t = clipped.join(", ");
                if count > names.len() {
                    t = format!("{t} and {} more", count - names.len());
                }
                t
            }
            _ => String::new(),
        };
        (nominal.minus(removed), by_text)
    };

    let mut out: Vec<Option<Charge>> = Vec::with_capacity(measures.len());
    for measure in measures {
        out.push(if measure.all_in_of.is_empty() {
            let (effective, by_text) = effective_of(measure);
            Some(charge(target, measure, &portions, effective, &by_text)?)
        } else {
            None
        });
    }
    let keep = one_per_group(measures, &mut out, target.explain);
    all_in(target, measures, &portions, &effective_of, &keep, &mut out)?;
    Ok(out
        .into_iter()
        .zip(keep)
        .filter_map(|(c, k)| if k { c } else { None })
        .collect())
}

/// What each program is pre-empted by on a line: the union of the portions the measures
/// naming it cover, and who they are, per basis.
fn preemptions<'m>(measures: &[&'m Measure]) -> Vec<(Program, Preemption<'m>)> {
    let mut preemption: Vec<(Program, Preemption<'_>)> = Vec::new();
    for m in measures {
        let cover = Cover::of(m.basis);
        for p in &m.preempts {
            let at = match preemption.iter().position(|(q, _)| q == p) {
                Some(i) => i,
                None => {
                    preemption.push((*p, Preemption::default()));
                    preemption.len() - 1
                }
            };
            let e = &mut preemption[at].1;
            e.cover = e.cover.union(cover);
            for basis in BASES {
                if !Cover::of(basis).intersect(cover).is_empty() {
                    let (names, count) = &mut e.by[basis_slot(basis)];
                    if names.len() < NAMED_PREEMPTERS {
                        names.push(&m.id);
                    }
                    *count += 1;
                }
            }
        }
    }
    preemption
}

/// Charges the all-in (floor) measures among `measures`, whose places in `charges` are
/// still empty: each tops the duties its `all_in_of` programs charge on the line (those
/// `keep` keeps) up to its rate x its base, never below zero. Where several apply, the one
/// that tops up most is charged (the first on a tie) and the others charge nothing. With
/// S the duties a floor names and R the rest of the stack, charging that floor makes the
/// line's stack R + max(S, its rate x base): non-decreasing in every input, and so is the
/// largest of such stacks. (Choosing by rate x base alone is not: between floors naming
/// different programs, a rising rate could switch to a floor whose total is lower.)
fn all_in(
    target: &Dutiable<'_, '_>,
    measures: &[&Measure],
    portions: &Portions,
    effective_of: &dyn Fn(&Measure) -> (Cover, String),
    keep: &[bool],
    charges: &mut [Option<Charge>],
) -> Result<(), InputError> {
    let floors: Vec<usize> = (0..measures.len())
        .filter(|&i| !measures[i].all_in_of.is_empty())
        .collect();
    if floors.is_empty() {
        return Ok(());
    }
    let mut topped = Vec::with_capacity(floors.len());
    for &i in &floors {
        let m = measures[i];
        let (effective, by_text) = effective_of(m);
        let total = charge(target, m, portions, effective, &by_text)?;
        let mut included = Decimal::ZERO;
        for (j, other) in charges.iter().enumerate() {
            if let Some(o) = other.as_ref().filter(|_| {
                keep[j]
                    && measures[j].all_in_of.is_empty()
                    && m.all_in_of.contains(&measures[j].program)
            }) {
                included = included.add_at(o.exact, target.imported.at(), "all-in duties")?;
            }
        }
        let up = (total.exact - included).max(Decimal::ZERO);
        topped.push((total, included, up));
    }
    let best = (0..floors.len()).fold(0, |b, k| if topped[k].2 > topped[b].2 { k } else { b });
    let (ccy, mu) = (target.currency.code, target.currency.minor_units);
    for (k, (&i, (mut c, included, up))) in floors.iter().zip(topped).enumerate() {
        let m = measures[i];
        let up = if k == best { up } else { Decimal::ZERO };
        if target.explain {
            c.formula = if k == best {
                let programs: Vec<&str> = m.all_in_of.iter().map(|p| p.label()).collect();
                format!(
                    "all-in {}, less the {} duties charged on the line ({} {ccy}) = {} {ccy}",
                    c.formula,
                    programs.join(", "),
                    shown_amount(included, mu),
                    shown_amount(up, mu)
                )
            } else {
                format!(
                    "not charged: the all-in rate of {} tops up more on this line",
                    clip(&measures[floors[best]].id)
                )
            };
        }
        c.exact = up;
        c.amount = target.rounding.round(up, mu);
        charges[i] = Some(c);
    }
    Ok(())
}

/// Keeps one charge per alternatives group: of the charges of a group's measures (`charges`
/// are those of `measures`, in order; all-in measures, never in a group, still empty), the
/// highest duty, the first in schedule order on a tie; returns which charges to keep. A
/// product the schedule lists under several headings of one program pays that program once,
/// at the highest rate in force, never the sum. The highest of duties that each rise with
/// value and rate rises with them too, so the stacked total stays non-decreasing in every
/// input. Linear in the number of measures.
fn one_per_group(
    measures: &[&Measure],
    charges: &mut [Option<Charge>],
    explain: bool,
) -> Vec<bool> {
    let exact = |c: &Option<Charge>| c.as_ref().map_or(Decimal::ZERO, |c| c.exact);
    let mut best: HashMap<&str, usize> = HashMap::default();
    for (i, m) in measures.iter().enumerate() {
        if let Some(g) = m.group.as_deref() {
            let b = best.entry(g).or_insert(i);
            if exact(&charges[i]) > exact(&charges[*b]) {
                *b = i;
            }
        }
    }
    if best.is_empty() {
        return vec![true; measures.len()];
    }
    let mut others: HashMap<usize, (Vec<&str>, usize)> = HashMap::default();
    let keep: Vec<bool> = measures
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let Some(b) = m.group.as_deref().map(|g| best[g]) else {
                return true;
            };
            if b != i {
                let (names, count) = others.entry(b).or_default();
                if names.len() < NAMED_PREEMPTERS {
                    names.push(&m.id);
                }
                *count += 1;
            }
            b == i
        })
        .collect();
    if explain {
        for (b, (names, count)) in &others {
            let mut t: Vec<_> = names.iter().map(|n| clip(n)).collect::<Vec<_>>();
            if *count > names.len() {
                t.push(format!("{} more", count - names.len()).into());
            }
            if let Some(c) = charges[*b].as_mut() {
                c.formula = format!(
                    "{}; the highest of its group {:?}, charged instead of {}",
                    c.formula,
                    clip(measures[*b].group.as_deref().unwrap_or_default()),
                    t.join(", ")
                );
            }
        }
    }
    keep
}

struct Portions {
    value: Decimal,
    metal: Decimal,
    non_metal: Decimal,
    metal_applies: bool,
}

fn charge(
    target: &Dutiable<'_, '_>,
    measure: &Measure,
    portions: &Portions,
    effective: Cover,
    preempted_by: &str,
) -> Result<Charge, InputError> {
    let imported = target.imported;
    let mut base = Decimal::ZERO;
    if effective.metal {
        base += portions.metal;
    }
    if effective.non_metal {
        base = base.add_at(portions.non_metal, imported.at(), "dutiable value")?;
    }
    let mut duty = Duty {
        exact: Decimal::ZERO,
        formula: if target.explain {
            String::with_capacity(FORMULA_CAPACITY)
        } else {
            String::new()
        },
        explain: target.explain,
    };
    if effective.is_empty() {
        duty.write(format_args!(
            "pre-empted by {preempted_by} on the value it covers"
        ));
    } else {
        ad_valorem(target, measure, portions, base, preempted_by, &mut duty)?;
        specific(target, measure, &mut duty)?;
        limits(target, measure, &mut duty)?;
    }
    duty.write(format_args!(
        ", {}, HTS {}, origin {}",
        measure.program.label(),
        imported.import.hts_code,
        imported.import.origin
    ));
    Ok(Charge {
        id: measure.id.clone(),
        name: measure.name.clone(),
        program: Some(measure.program),
        fee_kind: None,
        base,
        exact: quantize(duty.exact),
        amount: target
            .rounding
            .round(quantize(duty.exact), target.currency.minor_units),
        formula: duty.formula,
    })
}

/// A duty being built: its exact amount so far and its formula, written part by part into
/// one `String` (left empty when the costing does not explain). Each rate mechanic below
/// adds to it.
struct Duty {
    exact: Decimal,
    formula: String,
    explain: bool,
}

impl Duty {
    /// Appends `text` to the formula, when the costing explains.
    fn write(&mut self, text: std::fmt::Arguments<'_>) {
        if self.explain {
            // Writing into a `String` cannot fail.
            let _ = self.formula.write_fmt(text);
        }
    }
}

/// Bytes reserved for a formula: most duty formulas fit, so each is one allocation.
const FORMULA_CAPACITY: usize = 160;

/// The ad valorem part: rate x the dutiable value of the measure's basis.
fn ad_valorem(
    target: &Dutiable<'_, '_>,
    measure: &Measure,
    portions: &Portions,
    base: Decimal,
    preempted_by: &str,
    duty: &mut Duty,
) -> Result<(), InputError> {
    let Some(pct) = measure.rate.ad_valorem_percent else {
        return Ok(());
    };
    let (field, ccy, mu) = (
        &target.imported.at(),
        target.currency.code,
        target.currency.minor_units,
    );
    duty.exact = pct.mul_at(base, field, "ad valorem duty")?.div_at(
        Decimal::ONE_HUNDRED,
        field,
        "ad valorem duty",
    )?;
    if duty.explain {
        duty.write(format_args!(
            "{}% x {} {ccy} ",
            DecimalText::shown_number(pct),
            DecimalText::shown_amount(base, mu),
        ));
        basis_text(measure.basis, portions, target, preempted_by, duty);
    }
    Ok(())
}

/// The specific part: an amount per unit of quantity (compound with the ad valorem part).
fn specific(
    target: &Dutiable<'_, '_>,
    measure: &Measure,
    duty: &mut Duty,
) -> Result<(), InputError> {
    let Some((amount, unit)) = measure.rate.specific else {
        return Ok(());
    };
    let (field, ccy, mu) = (
        &target.imported.at(),
        target.currency.code,
        target.currency.minor_units,
    );
    let qty = quantity_in(target.imported, unit, "a specific duty")?;
    let part = amount.mul_at(qty, field, "specific duty")?;
    duty.exact = duty.exact.add_at(part, field, "compound duty")?;
    if duty.explain {
        let plus = if duty.formula.is_empty() { "" } else { " + " };
        duty.write(format_args!(
            "{plus}{} {ccy}/{unit} x {} {unit}",
            DecimalText::shown_amount(amount, mu),
            DecimalText::shown_number(qty)
        ));
    }
    Ok(())
}

/// The minimum and maximum per unit of `limit_unit`: the duty is raised to the floor, then
/// capped at the cap.
fn limits(target: &Dutiable<'_, '_>, measure: &Measure, duty: &mut Duty) -> Result<(), InputError> {
    let rate = &measure.rate;
    if rate.minimum.is_none() && rate.maximum.is_none() {
        return Ok(());
    }
    let (field, ccy, mu) = (
        &target.imported.at(),
        target.currency.code,
        target.currency.minor_units,
    );
    let unit = rate.limit_unit.unwrap_or(Unit::Piece);
    let qty = quantity_in(target.imported, unit, "a minimum or maximum duty")?;
    if let Some(min) = rate.minimum {
        let floor = min.mul_at(qty, field, "minimum duty")?;
        if duty.exact < floor && duty.explain {
            duty.write(format_args!(
                " = {} {ccy}, raised to the minimum {} {ccy}/{unit} x {} {unit}",
                DecimalText::shown_amount(duty.exact, mu),
                DecimalText::shown_amount(min, mu),
                DecimalText::shown_number(qty)
            ));
        }
        duty.exact = duty.exact.max(floor);
    }
    if let Some(max) = rate.maximum {
        let cap = max.mul_at(qty, field, "maximum duty")?;
        if duty.exact > cap && duty.explain {
            duty.write(format_args!(
                " = {} {ccy}, capped at the maximum {} {ccy}/{unit} x {} {unit}",
                DecimalText::shown_amount(duty.exact, mu),
                DecimalText::shown_amount(max, mu),
                DecimalText::shown_number(qty)
            ));
        }
        duty.exact = duty.exact.min(cap);
    }
    Ok(())
}

/// Writes what value a measure of `basis` applies to.
fn basis_text(
    basis: DutyBasis,
    p: &Portions,
    target: &Dutiable<'_, '_>,
    preempted_by: &str,
    duty: &mut Duty,
) {
    let (ccy, mu) = (target.currency.code, target.currency.minor_units);
    let declared = target.imported.import.metal_content_share;
    let percent = |s: Decimal| DecimalText::shown_number(s * Decimal::ONE_HUNDRED);
    match basis {
        DutyBasis::FullValue => duty.write(format_args!("customs value")),
        DutyBasis::MetalContent => match (declared, target.estimated_share) {
            (Some(s), _) => duty.write(format_args!(
                "metal content ({}% of {} {ccy})",
                percent(s),
                DecimalText::shown_amount(p.value, mu)
            )),
            (None, Some((s, source))) => duty.write(format_args!(
                "metal content (estimated {}% of {} {ccy}, no share declared; estimate: {})",
                percent(s),
                DecimalText::shown_amount(p.value, mu),
                clip(source)
            )),
            (None, None) => duty.write(format_args!(
                "metal content (share not declared: full customs value)"
            )),
        },
        DutyBasis::NonMetalRemainder if p.metal_applies => duty.write(format_args!(
            "non-metal remainder ({} - {} {ccy} metal content)",
            DecimalText::shown_amount(p.value, mu),
            DecimalText::shown_amount(p.metal, mu)
        )),
        DutyBasis::NonMetalRemainder => duty.write(format_args!(
            "non-metal remainder (no metal-content measure applies: full customs value)"
        )),
    }
    if !preempted_by.is_empty() {
        duty.write(format_args!(
            ", less the value pre-empted by {preempted_by}"
        ));
    }
}

/// The imported quantity per unit of product in `unit`: the line's own quantity when it is
/// in a compatible unit, else its declared net mass.
fn quantity_in(
    imported: &ImportedLine<'_>,
    unit: Unit,
    charge: &str,
) -> Result<Decimal, InputError> {
    let net_mass = imported.attribute(Attribute::NetMassKg);
    if let Ok(q) = units::convert(imported.quantity, imported.unit, unit) {
        return Ok(q);
    }
    if unit != Unit::Piece {
        if let Some(mass) = imported.import.net_mass_kg {
            let kg = imported.quantity.mul_at(mass, &net_mass, "net mass")?;
            return units::convert(kg, Unit::Kg, unit)
                .map_err(|_| InputError::overflow(net_mass, "net mass"));
        }
        return Err(InputError::new(
            net_mass,
            Reason::MissingQuantity,
            format!("{charge} is charged per {unit} but this item declares no net mass"),
        ));
    }
    Err(InputError::new(
        imported.attribute(Attribute::Unit),
        Reason::MissingQuantity,
        format!(
            "{charge} is charged per piece but this item is counted in {}",
            imported.unit
        ),
    ))
}

#[cfg(test)]
mod tests {
    use crate::convert;
    use crate::convert::Limits;
    use crate::engine::model::Scenario;
    use crate::engine::{Meter, calculate};
    use crate::pb;
    use rust_decimal::Decimal;
    use serde_json::{Value, json};

    /// The exact duties and fees (baseline side) on `count` pieces of one imported part worth
    /// `price` each, 2.5 kg net, 60% metal, under `measures` and `fees`.
    fn stacked(
        measures: &Value,
        fees: &Value,
        de_minimis: Option<&str>,
        price: &str,
        count: &str,
    ) -> Decimal {
        line_charges(measures, fees, de_minimis, price, count)
            .iter()
            .map(|c| c.exact)
            .sum()
    }

    /// The charges (baseline side) of [`stacked`]'s part.
    fn line_charges(
        measures: &Value,
        fees: &Value,
        de_minimis: Option<&str>,
        price: &str,
        count: &str,
    ) -> Vec<crate::engine::line::Charge> {
        let mut schedule =
            json!({"id": "s", "currency": "USD", "measures": measures, "fees": fees});
        if let Some(t) = de_minimis {
            schedule["deMinimisThreshold"] = json!(t);
        }
        let s: pb::TariffSchedule = serde_json::from_value(schedule).unwrap();
        let schedule = convert::schedule::schedule(&s, "s").unwrap();
        let b: pb::Bom = serde_json::from_value(json!({"id": "b", "currency": "USD", "items": [
            {"id": "part", "unitPrice": price, "quantity": count, "import": {"htsCode": "7326.90.8688",
             "origin": "CN", "transportMode": "TRANSPORT_MODE_OCEAN", "netMassKg": "2.5",
             "metalContentShare": "0.6"}}]}))
        .unwrap();
        let bom = convert::bom::bom(&b, "", &Limits::default()).unwrap().bom;
        let d: pb::PriceDeck =
            serde_json::from_value(json!({"id": "p", "currency": "USD", "prices": []})).unwrap();
        let deck = convert::price_deck::price_deck(&d, "p").unwrap();
        let o: pb::CalculationOptions =
            serde_json::from_value(json!({"entryDate": "2026-03-02", "unitsPerEntry": "10"}))
                .unwrap();
        let options = convert::options::options(Some(&o), "options").unwrap();
        let s = Scenario {
            bom: &bom,
            baseline_prices: &deck,
            scenario_prices: &deck,
            baseline_schedule: &schedule,
            scenario_schedule: &schedule,
            baseline_fx: None,
            scenario_fx: None,
            options: &options,
        };
        let impact = calculate(&s, &Meter::unlimited()).unwrap();
        impact.baseline.lines[0].charges.clone()
    }

    fn measure(program: &str, basis: &str, rate: Value) -> Value {
        json!({"id": format!("{program}-{basis}"), "program": program, "basis": basis, "rate": rate})
    }

    /// Every rate mechanic, alone and stacked: ad valorem, specific per kg, compound, a
    /// minimum, a maximum, metal-content and non-metal bases, pre-emption, MPF clamped per
    /// entry, HMF, de minimis. For each, the stacked charges must not fall as the price, the
    /// quantity or an ad valorem rate (written `{r}`) rises.
    #[test]
    fn the_stacked_charges_never_fall_when_an_input_rises() {
        let full = "DUTY_BASIS_FULL_VALUE";
        let mpf = json!({"id": "mpf", "kind": "FEE_KIND_MPF", "ratePercent": "{r}",
                         "minimumPerEntry": "33.58", "maximumPerEntry": "651.50"});
        let hmf = json!({"id": "hmf", "kind": "FEE_KIND_HMF", "ratePercent": "{r}",
                         "transportModes": ["TRANSPORT_MODE_OCEAN"]});
        let kinds: Vec<(&str, Value, Value, Option<&str>)> = vec![
            (
                "ad valorem",
                json!([measure(
                    "PROGRAM_MFN",
                    full,
                    json!({"adValoremPercent": "{r}"})
                )]),
                json!([]),
                None,
            ),
            (
                "specific per kg",
                json!([measure(
                    "PROGRAM_MFN",
                    full,
                    json!({"specificAmount": "1.5", "specificUnit": "UNIT_OF_MEASURE_KG"})
                )]),
                json!([]),
                None,
            ),
            (
                "compound",
                json!([measure(
                    "PROGRAM_MFN",
                    full,
                    json!({"adValoremPercent": "{r}", "specificAmount": "0.5", "specificUnit": "UNIT_OF_MEASURE_KG"})
                )]),
                json!([]),
                None,
            ),
            (
                "minimum",
                json!([measure(
                    "PROGRAM_MFN",
                    full,
                    json!({"adValoremPercent": "{r}", "minimumAmount": "3", "limitUnit": "UNIT_OF_MEASURE_KG"})
                )]),
                json!([]),
                None,
            ),
            (
                "maximum",
                json!([measure(
                    "PROGRAM_MFN",
                    full,
                    json!({"adValoremPercent": "{r}", "maximumAmount": "2", "limitUnit": "UNIT_OF_MEASURE_KG"})
                )]),
                json!([]),
                None,
            ),
            (
                "metal and remainder",
                json!([
                    measure(
                        "PROGRAM_SECTION_232",
                        "DUTY_BASIS_METAL_CONTENT",
                        json!({"adValoremPercent": "{r}"})
                    ),
                    measure(
                        "PROGRAM_SECTION_122",
                        "DUTY_BASIS_NON_METAL_REMAINDER",
                        json!({"adValoremPercent": "10"})
                    )
                ]),
                json!([]),
                None,
            ),
            (
                "pre-emption",
                json!([
                {"id": "s232", "program": "PROGRAM_SECTION_232", "basis": "DUTY_BASIS_METAL_CONTENT",
                 "rate": {"adValoremPercent": "{r}"}, "preempts": ["PROGRAM_IEEPA"]},
                measure("PROGRAM_IEEPA", full, json!({"adValoremPercent": "20"})),
                measure("PROGRAM_MFN", full, json!({"adValoremPercent": "2.9"}))]),
                json!([]),
                None,
            ),
            (
                "all-in floor over a compound MFN rate",
                json!([
                    measure(
                        "PROGRAM_MFN",
                        full,
                        json!({"adValoremPercent": "{r}", "specificAmount": "0.5", "specificUnit": "UNIT_OF_MEASURE_KG"})
                    ),
                    {"id": "floor", "program": "PROGRAM_SECTION_232", "basis": full,
                     "rate": {"adValoremPercent": "15"}, "allInOf": ["PROGRAM_MFN"]}
                ]),
                json!([]),
                None,
            ),
            (
                "all-in floor's own rate, beside a program it does not include",
                json!([
                    measure("PROGRAM_MFN", full, json!({"adValoremPercent": "2.5"})),
                    measure("PROGRAM_SECTION_301", full, json!({"adValoremPercent": "25"})),
                    {"id": "floor", "program": "PROGRAM_SECTION_232", "basis": full,
                     "rate": {"adValoremPercent": "{r}"}, "allInOf": ["PROGRAM_MFN"]}
                ]),
                json!([]),
                None,
            ),
            (
                "two all-in floors",
                json!([
                    measure("PROGRAM_MFN", full, json!({"adValoremPercent": "{r}"})),
                    {"id": "floor-a", "program": "PROGRAM_SECTION_232", "basis": full,
                     "rate": {"adValoremPercent": "15"}, "allInOf": ["PROGRAM_MFN"]},
                    {"id": "floor-b", "program": "PROGRAM_SECTION_122", "basis": full,
                     "rate": {"adValoremPercent": "10"}, "allInOf": ["PROGRAM_MFN"]}
                ]),
                json!([]),
                None,
            ),
            (
                "two all-in floors over different programs",
                json!([
                    measure("PROGRAM_MFN", full, json!({"adValoremPercent": "2.5"})),
                    measure("PROGRAM_SECTION_301", full, json!({"adValoremPercent": "25"})),
                    {"id": "floor-a", "program": "PROGRAM_SECTION_232", "basis": full,
                     "rate": {"adValoremPercent": "15"}, "allInOf": ["PROGRAM_MFN"]},
                    {"id": "floor-b", "program": "PROGRAM_SECTION_122", "basis": full,
                     "rate": {"adValoremPercent": "{r}"},
                     "allInOf": ["PROGRAM_MFN", "PROGRAM_SECTION_301"]}
                ]),
                json!([]),
                None,
            ),
            ("MPF clamped per entry", json!([]), json!([mpf]), None),
            ("HMF", json!([]), json!([hmf]), None),
            (
                "de minimis",
                json!([measure(
                    "PROGRAM_MFN",
                    full,
                    json!({"adValoremPercent": "{r}"})
                )]),
                json!([mpf]),
                Some("800"),
            ),
        ];
        let prices = ["0", "1", "7.99", "8", "80", "80.01", "999", "100000"];
        let counts = ["0", "1", "3", "10", "1000"];
        let rates = ["0", "0.5", "10", "25", "100"];
        for (kind, measures, fees, de_minimis) in &kinds {
            let at = |r: &str, price: &str, count: &str| {
                let with_rate = |v: &Value| -> Value {
                    serde_json::from_str(&v.to_string().replace("{r}", r)).unwrap()
                };
                stacked(
                    &with_rate(measures),
                    &with_rate(fees),
                    *de_minimis,
                    price,
                    count,
                )
            };
            for r in rates {
                for count in counts {
                    let by_price: Vec<Decimal> = prices.iter().map(|p| at(r, p, count)).collect();
                    assert!(
                        by_price.is_sorted(),
                        "{kind}: rate {r}, {count} pieces, by price: {by_price:?}"
                    );
                }
                for price in prices {
                    let by_count: Vec<Decimal> = counts.iter().map(|c| at(r, price, c)).collect();
                    assert!(
                        by_count.is_sorted(),
                        "{kind}: rate {r}, price {price}, by count: {by_count:?}"
                    );
                }
            }
            for price in prices {
                let by_rate: Vec<Decimal> = rates.iter().map(|r| at(r, price, "3")).collect();
                assert!(
                    by_rate.is_sorted(),
                    "{kind}: price {price}, by rate: {by_rate:?}"
                );
            }
        }
    }

    fn all_in(mfn: &str, floor: &str, price: &str) -> Decimal {
        stacked(
            &json!([
                measure("PROGRAM_MFN", "DUTY_BASIS_FULL_VALUE", json!({"adValoremPercent": mfn})),
                measure("PROGRAM_SECTION_301", "DUTY_BASIS_FULL_VALUE", json!({"adValoremPercent": "25"})),
                {"id": "floor", "program": "PROGRAM_SECTION_232", "basis": "DUTY_BASIS_FULL_VALUE",
                 "rate": {"adValoremPercent": floor}, "allInOf": ["PROGRAM_MFN"]}
            ]),
            &json!([]),
            None,
            price,
            "1",
        )
    }

    /// An all-in rate tops the duties of the programs it names up to its rate and leaves the
    /// others to stack: on 100.00 USD, MFN 2.5% + Section 301 25% + a 15% all-in of MFN
    /// pays 2.50 + 25.00 + 12.50 = 40.00; with MFN at 20% the floor pays nothing (45.00);
    /// with MFN exactly at the floor, nothing either (40.00).
    #[test]
    fn an_all_in_rate_tops_up_only_the_programs_it_names() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(all_in("2.5", "15", "100"), d("40.00"));
        assert_eq!(all_in("20", "15", "100"), d("45.00"));
        assert_eq!(all_in("15", "15", "100"), d("40.00"));
        assert_eq!(all_in("0", "15", "1000"), d("400.00"));
    }

    /// Of several all-in rates on one line, the one that tops up most is charged and the
    /// others charge nothing, naming it; on a tie, the first in schedule order. On 100.00
    /// with MFN 2%: 15% all-in tops up 13.00, the 10% one would top up 8.00: nothing.
    #[test]
    fn of_several_all_in_rates_the_highest_total_is_charged() {
        let floor = |id: &str, rate: &str| {
            json!({"id": id, "program": "PROGRAM_SECTION_232", "basis": "DUTY_BASIS_FULL_VALUE",
                   "rate": {"adValoremPercent": rate}, "allInOf": ["PROGRAM_MFN"]})
        };
        let mfn = measure(
            "PROGRAM_MFN",
            "DUTY_BASIS_FULL_VALUE",
            json!({"adValoremPercent": "2"}),
        );
        let got = |floors: Vec<Value>| -> Vec<(String, Decimal, String)> {
            let mut measures = vec![mfn.clone()];
            measures.extend(floors);
            line_charges(&json!(measures), &json!([]), None, "100", "1")
                .into_iter()
                .map(|c| (c.id.to_string(), c.exact, c.formula))
                .collect()
        };
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        for floors in [
            vec![floor("low", "10"), floor("high", "15")],
            vec![floor("high", "15"), floor("low", "10")],
        ] {
            let charges = got(floors);
            let of = |id: &str| charges.iter().find(|c| c.0 == id).unwrap().clone();
            assert_eq!(of("high").1, d("13"), "{charges:?}");
            assert_eq!(of("low").1, d("0"), "{charges:?}");
            assert!(
                of("low")
                    .2
                    .starts_with("not charged: the all-in rate of high tops up more"),
                "{charges:?}"
            );
        }
        let tie = got(vec![floor("first", "15"), floor("second", "15")]);
        assert_eq!(tie[1].1, d("13"), "{tie:?}");
        assert!(tie[2].2.contains("the all-in rate of first"), "{tie:?}");
    }
}
