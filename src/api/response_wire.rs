//! A unary `CalculateImpact` answer encoded straight from the engine's result.
//!
//! Building the full view as `pb::` structs took about a third of the request path and
//! dropping them another seventh: every `Money` is three owned strings, every line a path, a
//! field path and its amounts, all allocated only to be encoded once and freed. Here the lines
//! (the part that grows with the BOM) are written as protobuf bytes directly: decimals printed
//! on the stack, strings copied from the engine's result, one reused buffer per nesting level.
//! The rest of the answer (totals, measures, materials, inputs, notes) is small and still built
//! by [`super::response`], then encoded by prost around the lines in field order, so the bytes
//! are exactly prost's encoding of [`super::response::impact_response`]; a property test
//! (`tests/properties.rs`) and the unit tests below hold them to it.

use super::resolve::Resolved;
use super::response::{fee_kind_code, item_kind, program_code, summary_response};
use crate::convert::enums::unit_to_pb;
use crate::engine::Impact;
use crate::engine::costing::{Charge, LineCost, LineKind};
use crate::engine::model::Options;
use crate::engine::money::DecimalText;
use crate::pb;
use bytes::Bytes;
use prost::Message;
use prost::encoding::{WireType, encode_key, encode_varint, encoded_len_varint};
use rust_decimal::Decimal;

/// The field number of `CalculateImpactResponse.lines`.
const LINES: u32 = 9;

/// The answer for `impact`, computed from `inputs` with `options`, encoded.
pub(crate) fn encode_impact(impact: &Impact, inputs: &Resolved, options: &Options) -> Bytes {
    let mut head = summary_response(impact, inputs, options);
    // Fields after the lines, taken out of the head so each half encodes only its own.
    let tail = pb::CalculateImpactResponse {
        measures: std::mem::take(&mut head.measures),
        materials: std::mem::take(&mut head.materials),
        annual_impact: head.annual_impact.take(),
        inputs: head.inputs.take(),
        notes: std::mem::take(&mut head.notes),
        incentives: std::mem::take(&mut head.incentives),
        stockpile: head.stockpile.take(),
        coverage_gaps: std::mem::take(&mut head.coverage_gaps),
        ..Default::default()
    };
    let mut out = Vec::with_capacity(head.encoded_len() + tail.encoded_len());
    head.encode_raw(&mut out);
    if options.explain {
        Lines::new(impact).write(&mut out, impact, inputs);
    }
    tail.encode_raw(&mut out);
    Bytes::from(out)
}

/// Writes the `lines` field: one buffer per nesting level (line, side, charge), reused for
/// every line, so the encoder allocates only while its buffers grow.
struct Lines<'a> {
    currency: &'a str,
    minor_units: u32,
    line: Vec<u8>,
    side: Vec<u8>,
    charge: Vec<u8>,
    field_path: String,
}

impl<'a> Lines<'a> {
    fn new(impact: &'a Impact) -> Self {
        Lines {
            currency: impact.currency.code,
            minor_units: impact.currency.minor_units,
            line: Vec::new(),
            side: Vec::new(),
            charge: Vec::new(),
            field_path: String::new(),
        }
    }

    /// Every line with its amounts on both sides, in the BOM's depth-first order (as
    /// `response::Fmt::lines` builds them).
    fn write(mut self, out: &mut Vec<u8>, impact: &Impact, inputs: &Resolved) {
        let (b, s) = (&impact.baseline.lines, &impact.scenario.lines);
        let bom_field = inputs.bom_field();
        let mut at = 0;
        inputs.bom.bom.for_each_line(|path, description| {
            let (Some(bl), Some(sl)) = (b.get(at), s.get(at)) else {
                return;
            };
            inputs.bom.path_into(&bom_field, at, &mut self.field_path);
            self.line_result(bl, sl, path, description);
            message(out, LINES, &self.line);
            at += 1;
        });
    }

    fn line_result(&mut self, bl: &LineCost, sl: &LineCost, path: &str, description: &str) {
        let mut line = std::mem::take(&mut self.line);
        line.clear();
        string(&mut line, 1, path);
        string(&mut line, 2, &self.field_path);
        string(&mut line, 3, description);
        enumeration(&mut line, 4, item_kind(&bl.kind) as i32);
        if let LineKind::Material { material_id } = &bl.kind {
            string(&mut line, 5, material_id);
        }
        string(
            &mut line,
            6,
            DecimalText::plain(bl.quantity_per_unit).as_str(),
        );
        enumeration(&mut line, 7, unit_to_pb(bl.unit) as i32);
        self.line_side(bl);
        message(&mut line, 8, &self.side);
        self.line_side(sl);
        message(&mut line, 9, &self.side);
        self.money(&mut line, 10, sl.total() - bl.total());
        self.line = line;
    }

    /// One side of a line into the side buffer.
    fn line_side(&mut self, l: &LineCost) {
        let mut side = std::mem::take(&mut self.side);
        side.clear();
        self.money(&mut side, 1, l.goods);
        self.money(&mut side, 2, l.duties());
        self.money(&mut side, 3, l.fees());
        self.money(&mut side, 4, l.total());
        if let Some(v) = l.customs_value {
            self.exact(&mut side, 5, v);
        }
        for c in &l.charges {
            self.charge(c);
            message(&mut side, 6, &self.charge);
        }
        if let Some(x) = l.logistics {
            self.money(&mut side, 7, x.freight);
            self.money(&mut side, 8, x.insurance);
            self.money(&mut side, 9, x.brokerage);
        }
        self.side = side;
    }

    /// One charge into the charge buffer.
    fn charge(&mut self, c: &Charge) {
        let mut charge = std::mem::take(&mut self.charge);
        charge.clear();
        string(&mut charge, 1, &c.id);
        enumeration(&mut charge, 2, program_code(c.program));
        enumeration(&mut charge, 3, fee_kind_code(c.fee_kind));
        self.exact(&mut charge, 4, c.base);
        let amount = DecimalText::amount(c.amount, self.minor_units);
        let exact = DecimalText::exact_amount(c.exact, self.minor_units);
        money(
            &mut charge,
            5,
            amount.as_str(),
            self.currency,
            exact.as_str(),
        );
        string(&mut charge, 6, &c.formula);
        self.charge = charge;
    }

    /// A rounded amount: `Fmt::money`.
    fn money(&self, out: &mut Vec<u8>, tag: u32, d: Decimal) {
        let amount = DecimalText::amount(d, self.minor_units);
        money(out, tag, amount.as_str(), self.currency, "");
    }

    /// An exact amount (a price, a customs value, a base): `Fmt::exact`.
    fn exact(&self, out: &mut Vec<u8>, tag: u32, d: Decimal) {
        let amount = DecimalText::exact_amount(d, self.minor_units);
        money(out, tag, amount.as_str(), self.currency, "");
    }
}

/// The encoded length of string field 1-15 holding `s` (nothing when empty, as proto3 omits
/// it).
fn string_len(s: &str) -> usize {
    if s.is_empty() {
        0
    } else {
        1 + encoded_len_varint(s.len() as u64) + s.len()
    }
}

/// A `Money` message (`amount` 1, `currency` 2, `exact` 3) as field `tag`.
fn money(out: &mut Vec<u8>, tag: u32, amount: &str, currency: &str, exact: &str) {
    let len = string_len(amount) + string_len(currency) + string_len(exact);
    encode_key(tag, WireType::LengthDelimited, out);
    encode_varint(len as u64, out);
    string(out, 1, amount);
    string(out, 2, currency);
    string(out, 3, exact);
}

/// A string field, omitted when empty.
fn string(out: &mut Vec<u8>, tag: u32, s: &str) {
    if !s.is_empty() {
        encode_key(tag, WireType::LengthDelimited, out);
        encode_varint(s.len() as u64, out);
        out.extend_from_slice(s.as_bytes());
    }
}

/// An enum field, omitted when zero (enums are encoded as int32: negatives sign-extended).
fn enumeration(out: &mut Vec<u8>, tag: u32, v: i32) {
    if v != 0 {
        encode_key(tag, WireType::Varint, out);
        encode_varint(i64::from(v) as u64, out);
    }
}

/// An embedded message already written to `body`, as field `tag`.
fn message(out: &mut Vec<u8>, tag: u32, body: &[u8]) {
    encode_key(tag, WireType::LengthDelimited, out);
    encode_varint(body.len() as u64, out);
    out.extend_from_slice(body);
}
