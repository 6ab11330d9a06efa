//! One linear pass over encoded protobuf bytes that accepts exactly what prost 0.14 decodes,
//! names the field of the first problem, and sizes the structs decoding would build.
//!
//! prost's own errors name Rust struct fields and say nothing a client can act on, and
//! decoding is where a small message turns into a large allocation. Scanning first lets the
//! server answer a malformed request with a field path, and refuse one whose decoded form
//! would be too large, before prost allocates anything.
//!
//! The walk mirrors prost's decoder rule for rule (see the comments on [`scan`]), with an
//! explicit stack of frames instead of recursion, so its cost is one look at each byte (two
//! for string payloads: bounds, then UTF-8) and its memory is one frame per nesting level.

use super::schema::{Field, Kind, MessageId, Schema};
use std::fmt::{self, Write as _};

/// Deepest nesting prost decodes: its `RECURSION_LIMIT`. Counted as prost counts it: the
/// top-level message's fields are at depth 0, each embedded message or group (known or
/// skipped) adds one, and at depth [`MAX_NESTING`] only scalar, string and bytes fields of a
/// known number are accepted (prost refuses to skip even an unknown varint there).
pub const MAX_NESTING: u32 = 100;

/// Reason for bytes prost cannot parse at all: a truncated varint, length or fixed-width
/// value, an invalid wire type or tag, or unbalanced groups.
pub const MALFORMED_WIRE: &str = "MALFORMED_WIRE";
/// Reason for a field of a known number sent with a wire type prost refuses for its type.
pub const WIRE_TYPE_MISMATCH: &str = "WIRE_TYPE_MISMATCH";
/// Reason for a `string` field whose bytes are not UTF-8.
pub const INVALID_UTF8: &str = "INVALID_UTF8";
/// Reason for nesting beyond [`MAX_NESTING`].
pub const NESTING_TOO_DEEP: &str = "NESTING_TOO_DEEP";

/// What decoding the scanned bytes would produce: enough to refuse a request whose decoded
/// form is out of proportion to its size, before prost allocates it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Shape {
    /// Message occurrences decoded, the top-level message included.
    pub messages: u64,
    /// Estimated bytes (inline and heap) of the Rust structs prost would build. Errs on the
    /// high side: each message occurrence counts its struct's estimated inline size (see
    /// [`Schema::inline_bytes`]) even where the parent's inline size already holds it, each
    /// repeated element counts its slot in the `Vec` twice (growth slack), and each string
    /// or bytes value counts its length plus 16 bytes of allocator overhead when non-empty.
    pub decoded_bytes: u64,
    /// Deepest nesting reached, counted as for [`MAX_NESTING`]: 0 when the top-level message
    /// has no embedded message.
    pub max_depth: u32,
}

/// The first problem found in the bytes, as a client error naming the field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Path of the field in `.proto` names, e.g. `bom.items[3].children[0].id`; `#99` for
    /// field number 99 when the schema does not know it; empty for a problem in the
    /// top-level message outside any field (e.g. a truncated field key).
    pub field: String,
    /// One of [`MALFORMED_WIRE`], [`WIRE_TYPE_MISMATCH`], [`INVALID_UTF8`],
    /// [`NESTING_TOO_DEEP`].
    pub reason: &'static str,
    /// A short sentence for humans; quotes no input bytes.
    pub description: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{} ({})", self.description, self.reason)
        } else {
            write!(f, "{}: {} ({})", self.field, self.description, self.reason)
        }
    }
}

impl std::error::Error for Violation {}

const VARINT: u8 = 0;
const I64: u8 = 1;
const LEN: u8 = 2;
const START_GROUP: u8 = 3;
const END_GROUP: u8 = 4;
const I32: u8 = 5;

/// Scans `bytes` as an encoded `message` of `schema`.
///
/// `Ok` exactly when `prost::Message::decode` of the generated type accepts the bytes (the
/// property tests check this against prost on mutated requests), with the [`Shape`] of what
/// it would build; otherwise the first problem in stream order. The rules, from prost 0.14's
/// `encoding.rs`:
///
/// - A key is a varint of at most 10 bytes (the tenth at most 1) whose value fits 32 bits,
///   with wire type 0 to 5 and field number at least 1.
/// - A known field must come with its type's wire type; repeated scalars also packed (wire
///   type 2, whose payload must be whole elements). Any varint is a valid int, bool or enum.
/// - A length must fit in the enclosing message; `string` payloads must be UTF-8.
/// - An embedded message or group, and skipping any unknown field, needs recursion budget:
///   100 at the top level, one less inside each message or group.
/// - Unknown fields are skipped unchecked (no UTF-8 check), groups up to the matching
///   end-group key; a stray end-group key is an error.
pub fn scan(schema: &Schema, message: MessageId, bytes: &[u8]) -> Result<Shape, Violation> {
    let mut scanner = Scanner {
        schema,
        bytes,
        pos: 0,
        frames: Vec::with_capacity(8),
        counters: Vec::new(),
        shape: Shape::default(),
    };
    scanner.push(
        FrameKind::Message,
        message,
        bytes.len(),
        MAX_NESTING,
        Seg::Root,
    );
    scanner.run()
}

/// How a frame was reached from its parent: one segment of a violation's path.
#[derive(Clone, Copy, Debug)]
enum Seg<'s> {
    Root,
    Field { name: &'s str, index: Option<u32> },
    Unknown(u32),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FrameKind {
    /// A length-delimited message (or the top level): ends at `end`.
    Message,
    /// A known group field: ends at the end-group key of `number`.
    Group { number: u32 },
    /// An unknown group being skipped: ends at the end-group key of `number`.
    Skipped { number: u32 },
}

#[derive(Clone, Copy, Debug)]
struct Frame<'s> {
    kind: FrameKind,
    message: MessageId,
    /// Where the enclosing length-delimited message ends (groups end inside it).
    end: usize,
    /// prost's remaining recursion count for the fields read in this frame.
    budget: u32,
    /// Start of this frame's repeated-field occurrence counters in `Scanner::counters`.
    counters: usize,
    seg: Seg<'s>,
}

struct Scanner<'s, 'b> {
    schema: &'s Schema,
    bytes: &'b [u8],
    pos: usize,
    frames: Vec<Frame<'s>>,
    /// Occurrences so far of each repeated field of each open message, for `[i]` in paths.
    counters: Vec<u32>,
    shape: Shape,
}

enum VarintError {
    Truncated,
    TooLong,
    Overflow,
}

impl VarintError {
    fn describe(&self, what: &str) -> String {
        match self {
            VarintError::Truncated => format!("the bytes end inside the varint of {what}"),
            VarintError::TooLong => format!("the varint of {what} is longer than 10 bytes"),
            VarintError::Overflow => format!("the varint of {what} overflows 64 bits"),
        }
    }
}

fn wire_type_name(wire_type: u8) -> &'static str {
    match wire_type {
        VARINT => "0 (varint)",
        I64 => "1 (64-bit)",
        LEN => "2 (length-delimited)",
        START_GROUP => "3 (start group)",
        END_GROUP => "4 (end group)",
        _ => "5 (32-bit)",
    }
}

impl<'s> Scanner<'s, '_> {
    fn run(&mut self) -> Result<Shape, Violation> {
        while let Some(&top) = self.frames.last() {
            if self.pos == top.end {
                match top.kind {
                    FrameKind::Message => {
                        self.pop();
                        continue;
                    }
                    FrameKind::Group { number } | FrameKind::Skipped { number } => {
                        return Err(self.violation(
                            None,
                            MALFORMED_WIRE,
                            format!(
                                "the group of field {number} is not closed before the end of \
                                 its enclosing message"
                            ),
                        ));
                    }
                }
            }
            let (number, wire_type) = self.read_key(top.end)?;
            match top.kind {
                FrameKind::Group { number: open } | FrameKind::Skipped { number: open }
                    if wire_type == END_GROUP =>
                {
                    if number != open {
                        return Err(self.violation(
                            None,
                            MALFORMED_WIRE,
                            format!(
                                "an end-group key for field {number} closes the group of field \
                                 {open}"
                            ),
                        ));
                    }
                    self.pop();
                }
                FrameKind::Message | FrameKind::Group { .. } => {
                    let info = self.schema.info(top.message);
                    match info.field(number) {
                        Some(field) => self.known(top, field, wire_type)?,
                        None => self.skip(top, number, wire_type)?,
                    }
                }
                FrameKind::Skipped { .. } => self.skip(top, number, wire_type)?,
            }
        }
        Ok(self.shape)
    }

    fn push(&mut self, kind: FrameKind, message: MessageId, end: usize, budget: u32, seg: Seg<'s>) {
        let counters = self.counters.len();
        // A skipped group builds nothing: no struct, no counters.
        if !matches!(kind, FrameKind::Skipped { .. }) {
            let info = self.schema.info(message);
            self.shape.messages += 1;
            self.shape.decoded_bytes += info.inline_bytes;
            self.counters
                .resize(counters + info.repeated_fields as usize, 0);
        }
        self.shape.max_depth = self.shape.max_depth.max(MAX_NESTING - budget);
        self.frames.push(Frame {
            kind,
            message,
            end,
            budget,
            counters,
            seg,
        });
    }

    fn pop(&mut self) {
        if let Some(frame) = self.frames.pop() {
            self.counters.truncate(frame.counters);
        }
    }

    /// A field of a number the frame's message declares.
    fn known(&mut self, top: Frame<'s>, field: &'s Field, wire_type: u8) -> Result<(), Violation> {
        let counter = top.counters + field.slot as usize;
        let index = if field.repeated {
            Some(self.counters[counter])
        } else {
            None
        };
        let seg = Seg::Field {
            name: &field.name,
            index,
        };
        let mut elements: u32 = 1;
        match field.kind {
            Kind::Message(t) => {
                if wire_type != LEN {
                    return Err(self.mismatch(seg, wire_type, "2 (length-delimited)", "message"));
                }
                self.check_budget(top, seg)?;
                let len = self.read_len(top.end, seg)?;
                if field.repeated {
                    self.shape.decoded_bytes += field.element_bytes;
                }
                let end = self.pos + len;
                self.push(FrameKind::Message, t, end, top.budget - 1, seg);
            }
            Kind::Group(t) => {
                if wire_type != START_GROUP {
                    return Err(self.mismatch(seg, wire_type, "3 (start group)", "group"));
                }
                self.check_budget(top, seg)?;
                if field.repeated {
                    self.shape.decoded_bytes += field.element_bytes;
                }
                let kind = FrameKind::Group {
                    number: field.number,
                };
                self.push(kind, t, top.end, top.budget - 1, seg);
            }
            Kind::String | Kind::Bytes => {
                if wire_type != LEN {
                    let kind = if field.kind == Kind::String {
                        "string"
                    } else {
                        "bytes"
                    };
                    return Err(self.mismatch(seg, wire_type, "2 (length-delimited)", kind));
                }
                let len = self.read_len(top.end, seg)?;
                let start = self.pos;
                self.pos += len;
                if field.kind == Kind::String
                    && let Err(e) = std::str::from_utf8(&self.bytes[start..self.pos])
                {
                    return Err(self.violation(
                        Some(seg),
                        INVALID_UTF8,
                        format!(
                            "the string is not valid UTF-8 (at byte {} of {len})",
                            e.valid_up_to()
                        ),
                    ));
                }
                self.shape.decoded_bytes += len as u64 + if len > 0 { 16 } else { 0 };
                if field.repeated {
                    self.shape.decoded_bytes += 2 * field.element_bytes;
                }
            }
            Kind::Varint | Kind::Fixed32 | Kind::Fixed64 => {
                let (own, width, expected) = match field.kind {
                    Kind::Varint => (VARINT, 0, "0 (varint)"),
                    Kind::Fixed32 => (I32, 4, "5 (32-bit)"),
                    _ => (I64, 8, "1 (64-bit)"),
                };
                if wire_type == own {
                    if own == VARINT {
                        self.read_varint(top.end)
                            .map_err(|e| self.malformed(seg, e.describe("the value")))?;
                    } else {
                        self.read_fixed(top.end, width, seg)?;
                    }
                } else if wire_type == LEN && field.repeated {
                    elements = self.read_packed(top.end, own == VARINT, width, seg, index)?;
                } else {
                    let expected = if field.repeated {
                        match own {
                            VARINT => "0 (varint) or 2 (packed)",
                            I32 => "5 (32-bit) or 2 (packed)",
                            _ => "1 (64-bit) or 2 (packed)",
                        }
                    } else {
                        expected
                    };
                    return Err(self.mismatch(seg, wire_type, expected, "scalar"));
                }
                if field.repeated {
                    self.shape.decoded_bytes += 2 * field.element_bytes * u64::from(elements);
                }
            }
        }
        if field.repeated {
            self.counters[counter] = self.counters[counter].saturating_add(elements);
        }
        Ok(())
    }

    /// The payload of a packed repeated scalar: whole varints, or a multiple of `width`.
    /// Returns the number of elements.
    fn read_packed(
        &mut self,
        end: usize,
        varints: bool,
        width: usize,
        seg: Seg<'s>,
        index: Option<u32>,
    ) -> Result<u32, Violation> {
        let len = self.read_len(end, seg)?;
        let packed_end = self.pos + len;
        let first = index.unwrap_or(0);
        let at = |n: u32| match seg {
            Seg::Field { name, .. } => Seg::Field {
                name,
                index: Some(first.saturating_add(n)),
            },
            other => other,
        };
        let mut elements = 0u32;
        if varints {
            while self.pos < packed_end {
                if let Err(e) = self.read_varint(packed_end) {
                    return Err(self.malformed(at(elements), e.describe("a packed element")));
                }
                elements = elements.saturating_add(1);
            }
        } else {
            if len % width != 0 {
                let whole = u32::try_from(len / width).unwrap_or(u32::MAX);
                return Err(self.malformed(
                    at(whole),
                    format!("the packed length {len} is not a multiple of {width} bytes"),
                ));
            }
            elements = u32::try_from(len / width).unwrap_or(u32::MAX);
            self.pos = packed_end;
        }
        Ok(elements)
    }

    /// A field the message does not declare, skipped as prost's `skip_field` does.
    fn skip(&mut self, top: Frame<'s>, number: u32, wire_type: u8) -> Result<(), Violation> {
        let seg = Seg::Unknown(number);
        self.check_budget(top, seg)?;
        match wire_type {
            VARINT => {
                self.read_varint(top.end)
                    .map_err(|e| self.malformed(seg, e.describe("the value")))?;
            }
            I64 => self.read_fixed(top.end, 8, seg)?,
            I32 => self.read_fixed(top.end, 4, seg)?,
            LEN => {
                let len = self.read_len(top.end, seg)?;
                self.pos += len;
            }
            START_GROUP => {
                let kind = FrameKind::Skipped { number };
                self.push(kind, top.message, top.end, top.budget - 1, seg);
            }
            _ => {
                return Err(self.malformed(
                    seg,
                    format!("an end-group key for field {number} has no matching start-group"),
                ));
            }
        }
        Ok(())
    }

    fn check_budget(&self, top: Frame<'s>, seg: Seg<'s>) -> Result<(), Violation> {
        if top.budget == 0 {
            return Err(self.violation(
                Some(seg),
                NESTING_TOO_DEEP,
                format!("messages and groups are nested deeper than {MAX_NESTING} levels"),
            ));
        }
        Ok(())
    }

    /// A field key: field number and wire type.
    #[inline]
    fn read_key(&mut self, end: usize) -> Result<(u32, u8), Violation> {
        let key = self
            .read_varint(end)
            .map_err(|e| self.violation(None, MALFORMED_WIRE, e.describe("a field key")))?;
        let Ok(key) = u32::try_from(key) else {
            return Err(self.violation(
                None,
                MALFORMED_WIRE,
                "a field key is larger than 32 bits".to_owned(),
            ));
        };
        // Both casts are lossless: the masked value is below 8, the shifted one below 2^29.
        let wire_type = (key & 7) as u8;
        let number = key >> 3;
        if wire_type > I32 {
            return Err(self.violation(
                None,
                MALFORMED_WIRE,
                format!("field {number} has the invalid wire type {wire_type}"),
            ));
        }
        if number == 0 {
            return Err(self.violation(
                None,
                MALFORMED_WIRE,
                "a field key has the invalid field number 0".to_owned(),
            ));
        }
        Ok((number, wire_type))
    }

    /// A varint of at most 10 bytes ending before `end`, its tenth byte at most 1, exactly
    /// as prost's `decode_varint` (fast and slow paths alike) accepts it.
    #[inline]
    fn read_varint(&mut self, end: usize) -> Result<u64, VarintError> {
        let buf = &self.bytes[self.pos..end];
        match buf.first() {
            Some(&b) if b < 0x80 => {
                self.pos += 1;
                return Ok(u64::from(b));
            }
            None => return Err(VarintError::Truncated),
            Some(_) => {}
        }
        let mut value = 0u64;
        for (i, &b) in buf.iter().take(10).enumerate() {
            value |= u64::from(b & 0x7f) << (7 * i);
            if b < 0x80 {
                if i == 9 && b > 1 {
                    return Err(VarintError::Overflow);
                }
                self.pos += i + 1;
                return Ok(value);
            }
        }
        Err(if buf.len() < 10 {
            VarintError::Truncated
        } else {
            VarintError::TooLong
        })
    }

    /// A length prefix whose payload fits before `end`.
    fn read_len(&mut self, end: usize, seg: Seg<'s>) -> Result<usize, Violation> {
        let len = self
            .read_varint(end)
            .map_err(|e| self.malformed(seg, e.describe("the length")))?;
        let left = end - self.pos;
        match usize::try_from(len) {
            Ok(len) if len <= left => Ok(len),
            _ => Err(self.malformed(
                seg,
                format!(
                    "the declared length {len} exceeds the {left} bytes left in the enclosing \
                     message"
                ),
            )),
        }
    }

    fn read_fixed(&mut self, end: usize, width: usize, seg: Seg<'s>) -> Result<(), Violation> {
        let left = end - self.pos;
        if left < width {
            return Err(self.malformed(
                seg,
                format!("a {width}-byte value is cut off after {left} bytes"),
            ));
        }
        self.pos += width;
        Ok(())
    }

    #[cold]
    fn mismatch(&self, seg: Seg<'s>, wire_type: u8, expected: &str, kind: &str) -> Violation {
        self.violation(
            Some(seg),
            WIRE_TYPE_MISMATCH,
            format!(
                "a {kind} field needs wire type {expected}, not {}",
                wire_type_name(wire_type)
            ),
        )
    }

    #[cold]
    fn malformed(&self, seg: Seg<'s>, description: String) -> Violation {
        self.violation(Some(seg), MALFORMED_WIRE, description)
    }

    /// The violation, with the path of the open frames plus `seg` rendered now (and only
    /// now: the scan keeps segments, not strings).
    #[cold]
    fn violation(
        &self,
        seg: Option<Seg<'s>>,
        reason: &'static str,
        description: String,
    ) -> Violation {
        let mut field = String::new();
        for seg in self.frames.iter().map(|f| f.seg).chain(seg) {
            let sep = if field.is_empty() { "" } else { "." };
            // Writing to a String cannot fail.
            let _ = match seg {
                Seg::Root => Ok(()),
                Seg::Field { name, index: None } => write!(field, "{sep}{name}"),
                Seg::Field {
                    name,
                    index: Some(i),
                } => write!(field, "{sep}{name}[{i}]"),
                Seg::Unknown(number) => write!(field, "{sep}#{number}"),
            };
        }
        Violation {
            field,
            reason,
            description,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pb;
    use crate::wire::api_schema;
    use prost::Message as _;

    const REQUEST: &str = "tariff.v1.CalculateImpactRequest";
    const BATCH: &str = "tariff.v1.CalculateBatchRequest";

    fn varint(mut value: u64) -> Vec<u8> {
        let mut out = Vec::new();
        while value >= 0x80 {
            out.push((value as u8 & 0x7f) | 0x80);
            value >>= 7;
        }
        out.push(value as u8);
        out
    }

    fn key(number: u32, wire_type: u8) -> Vec<u8> {
        varint(u64::from(number) << 3 | u64::from(wire_type))
    }

    /// A length-delimited field.
    fn ld(number: u32, payload: &[u8]) -> Vec<u8> {
        let mut out = key(number, LEN);
        out.extend(varint(payload.len() as u64));
        out.extend_from_slice(payload);
        out
    }

    fn cat(parts: &[&[u8]]) -> Vec<u8> {
        parts.concat()
    }

    /// Scans `bytes` as `name` and checks that prost agrees on accepting them.
    fn agree<M: prost::Message + Default>(name: &str, bytes: &[u8]) -> Result<Shape, Violation> {
        let schema = api_schema();
        let scanned = scan(schema, schema.message(name).unwrap(), bytes);
        let decoded = M::decode(bytes);
        assert_eq!(
            scanned.is_ok(),
            decoded.is_ok(),
            "{name} {bytes:02x?}: scan {scanned:?}, prost {:?}",
            decoded.err()
        );
        scanned
    }

    fn request(bytes: &[u8]) -> Result<Shape, Violation> {
        agree::<pb::CalculateImpactRequest>(REQUEST, bytes)
    }

    #[track_caller]
    fn assert_violation(result: Result<Shape, Violation>, field: &str, reason: &str) {
        let violation = result.expect_err("a violation");
        assert_eq!(
            (violation.field.as_str(), violation.reason),
            (field, reason),
            "{violation}"
        );
        assert!(violation.description.len() < 120, "{violation}");
    }

    #[test]
    fn invalid_utf8_names_the_repeated_item() {
        let items = cat(&[&ld(6, &ld(1, b"a")), &ld(6, &ld(1, &[b'x', 0xff, 0xfe]))]);
        let bytes = ld(2, &items);
        let violation = request(&bytes).unwrap_err();
        assert_eq!(violation.field, "bom.items[1].id");
        assert_eq!(violation.reason, INVALID_UTF8);
        assert_eq!(
            violation.to_string(),
            "bom.items[1].id: the string is not valid UTF-8 (at byte 1 of 3) (INVALID_UTF8)"
        );
    }

    #[test]
    fn occurrence_indexes_count_per_parent() {
        // items[3].children[0].id; the children of items[0] do not count for items[3].
        let child = ld(9, &ld(1, b"c"));
        let bad_child = ld(9, &ld(1, &[0xc3]));
        let items = cat(&[
            &ld(6, &cat(&[&child, &child])),
            &ld(6, &[]),
            &ld(6, &[]),
            &ld(6, &cat(&[&ld(1, b"i3"), &bad_child])),
        ]);
        assert_violation(
            request(&ld(2, &items)),
            "bom.items[3].children[0].id",
            INVALID_UTF8,
        );
    }

    #[test]
    fn known_field_with_the_wrong_wire_type() {
        // CalculationOptions.entry_date (string) as a varint.
        let options = ld(11, &cat(&[&key(1, VARINT), &[7]]));
        assert_violation(request(&options), "options.entry_date", WIRE_TYPE_MISMATCH);
        // BomItem.quantity (string) as a varint, in the batch message.
        let item = ld(6, &cat(&[&ld(1, b"x"), &key(3, VARINT), &[1]]));
        let batch = ld(2, &ld(2, &item));
        let result = agree::<pb::CalculateBatchRequest>(BATCH, &batch);
        assert_violation(
            result,
            "calculation.bom.items[0].quantity",
            WIRE_TYPE_MISMATCH,
        );
        // A message field as 32-bit, a singular enum packed, a known field as end-group.
        let stockpile = ld(11, &cat(&[&key(6, I32), &[0; 4]]));
        assert_violation(request(&stockpile), "options.stockpile", WIRE_TYPE_MISMATCH);
        let rounding = ld(11, &ld(5, &[1]));
        assert_violation(
            request(&rounding),
            "options.rounding_mode",
            WIRE_TYPE_MISMATCH,
        );
        assert_violation(request(&key(1, END_GROUP)), "bom_id", WIRE_TYPE_MISMATCH);
        let violation = request(&key(1, START_GROUP)).unwrap_err();
        assert_eq!(
            violation.description,
            "a string field needs wire type 2 (length-delimited), not 3 (start group)"
        );
    }

    /// `BomItem` nested `children` levels deep under `bom.items[0]`, with `innermost` as the
    /// deepest item's payload.
    fn nested_items(children: usize, innermost: &[u8]) -> Vec<u8> {
        let mut item = innermost.to_vec();
        for _ in 0..children {
            item = ld(9, &item);
        }
        ld(2, &ld(6, &item))
    }

    #[test]
    fn nesting_is_limited_like_prost() {
        // The request is depth 0, bom 1, items[0] 2: 98 levels of children reach depth 100.
        let shape = request(&nested_items(98, b"")).unwrap();
        assert_eq!(shape.max_depth, MAX_NESTING);
        assert_eq!(shape.messages, 101);

        let deep = String::from("bom.items[0]") + &".children[0]".repeat(99);
        assert_violation(request(&nested_items(99, b"")), &deep, NESTING_TOO_DEEP);

        // The same through the generated types, as a client would send it.
        let mut item = pb::BomItem::default();
        for _ in 0..99 {
            item = pb::BomItem {
                children: vec![item],
                ..Default::default()
            };
        }
        let bytes = pb::CalculateImpactRequest {
            bom_source: Some(pb::calculate_impact_request::BomSource::Bom(pb::Bom {
                items: vec![item],
                ..Default::default()
            })),
            ..Default::default()
        }
        .encode_to_vec();
        assert_violation(request(&bytes), &deep, NESTING_TOO_DEEP);

        // At depth 100 a known string is fine, but prost will not skip even an unknown varint.
        assert!(request(&nested_items(98, &ld(1, b"deep"))).is_ok());
        let unknown = cat(&[&key(99, VARINT), &[0]]);
        let path = String::from("bom.items[0]") + &".children[0]".repeat(98) + ".#99";
        assert_violation(
            request(&nested_items(98, &unknown)),
            &path,
            NESTING_TOO_DEEP,
        );
    }

    #[test]
    fn groups_count_towards_nesting() {
        // 99 unknown groups inside each other at the top level reach depth 99 and are fine;
        // one more, or any field inside the 100th, is too deep.
        let groups = |levels: u32, inner: &[u8]| {
            let mut out = Vec::new();
            for n in 1..=levels {
                out.extend(key(100 + n, START_GROUP));
            }
            out.extend_from_slice(inner);
            for n in (1..=levels).rev() {
                out.extend(key(100 + n, END_GROUP));
            }
            out
        };
        let shape = request(&groups(100, b"")).unwrap();
        assert_eq!(shape.max_depth, 100);
        assert_eq!(shape.messages, 1);
        let path: Vec<String> = (101..=200).map(|n| format!("#{n}")).collect();
        assert_violation(
            request(&groups(100, &cat(&[&key(1, VARINT), &[0]]))),
            &(path.join(".") + ".#1"),
            NESTING_TOO_DEEP,
        );
        assert_violation(
            request(&groups(101, b"")),
            &(path.join(".") + ".#201"),
            NESTING_TOO_DEEP,
        );
    }

    #[test]
    fn truncated_lengths_and_values() {
        // A length past the end of the enclosing item.
        let item = cat(&[&key(1, LEN), &[10], b"abc"]);
        assert_violation(
            request(&ld(2, &ld(6, &item))),
            "bom.items[0].id",
            MALFORMED_WIRE,
        );
        // A length past the end of the input.
        let violation = request(&cat(&[&key(1, LEN), &[5], b"ab"])).unwrap_err();
        assert_eq!(violation.field, "bom_id");
        assert_eq!(
            violation.description,
            "the declared length 5 exceeds the 2 bytes left in the enclosing message"
        );
        // A length varint cut off, a key cut off, a fixed value cut off.
        assert_violation(
            request(&cat(&[&key(2, LEN), &[0x80]])),
            "bom",
            MALFORMED_WIRE,
        );
        assert_violation(request(&[0x80]), "", MALFORMED_WIRE);
        assert_violation(request(&ld(2, &[0x8a])), "bom", MALFORMED_WIRE);
        assert_violation(
            request(&cat(&[&key(99, I64), &[0; 7]])),
            "#99",
            MALFORMED_WIRE,
        );
        assert_violation(
            request(&cat(&[&key(99, I32), &[0; 3]])),
            "#99",
            MALFORMED_WIRE,
        );
    }

    #[test]
    fn invalid_keys() {
        assert_violation(request(&[0x00, 0x00]), "", MALFORMED_WIRE);
        assert_violation(request(&ld(2, &[0x02, 0x00])), "bom", MALFORMED_WIRE);
        // Wire types 6 and 7.
        assert_violation(request(&[0x0e]), "", MALFORMED_WIRE);
        assert_violation(request(&ld(11, &[0x0f])), "options", MALFORMED_WIRE);
        // Keys above 32 bits; the largest field number is fine (and unknown).
        assert_violation(request(&varint(1 << 32)), "", MALFORMED_WIRE);
        let largest = cat(&[&key((1 << 29) - 1, VARINT), &[1]]);
        assert!(request(&largest).is_ok());
        // A key with redundant zero continuation bytes is still the key.
        assert!(request(&[0x8a, 0x80, 0x00, 0x00]).is_ok());
    }

    #[test]
    fn varint_limits_match_prost() {
        // options.rounding_mode: ten bytes ending in 1 is u64::MAX; ending in 2 overflows;
        // eleven bytes are too long.
        let rounding = |value: &[u8]| ld(11, &cat(&[&key(5, VARINT), value]));
        assert!(
            request(&rounding(&[
                0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01
            ]))
            .is_ok()
        );
        assert!(
            request(&rounding(&[
                0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00
            ]))
            .is_ok()
        );
        assert_violation(
            request(&rounding(&[
                0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02,
            ])),
            "options.rounding_mode",
            MALFORMED_WIRE,
        );
        assert_violation(
            request(&rounding(&[
                0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00,
            ])),
            "options.rounding_mode",
            MALFORMED_WIRE,
        );
        // The same at the very end of the input (prost's slow path).
        let mut tail = key(99, VARINT);
        tail.extend([0xff; 9]);
        tail.push(0x01);
        assert!(request(&tail).is_ok());
        *tail.last_mut().unwrap() = 0x02;
        assert_violation(request(&tail), "#99", MALFORMED_WIRE);
    }

    #[test]
    fn unknown_fields_are_skipped() {
        let bom = cat(&[
            &ld(1, b"bom-id"),
            &key(99, VARINT),
            &[0xff, 0x01],
            &key(100, I64),
            &[1; 8],
            // Not UTF-8, but unknown: prost does not look.
            &ld(101, &[0xff, 0xfe]),
            &key(102, I32),
            &[2; 4],
        ]);
        let shape = request(&ld(2, &bom)).unwrap();
        assert_eq!(shape.messages, 2);
        assert_eq!(shape.max_depth, 1);
        // A stray end-group key for an unknown field is malformed.
        assert_violation(request(&key(99, END_GROUP)), "#99", MALFORMED_WIRE);
    }

    #[test]
    fn unknown_groups_are_skipped() {
        let group = cat(&[
            &key(99, START_GROUP),
            &key(1, VARINT),
            &[5],
            // Known numbers of the request mean nothing inside an unknown group.
            &ld(2, &[0xff]),
            &key(5, START_GROUP),
            &key(7, I32),
            &[0; 4],
            &key(5, END_GROUP),
            &key(99, END_GROUP),
        ]);
        let bytes = cat(&[&ld(1, b"ev"), &group, &ld(11, &ld(1, b"2026-03-02"))]);
        let shape = request(&bytes).unwrap();
        assert_eq!(shape.max_depth, 2);
        assert_eq!(shape.messages, 2);
        let decoded = pb::CalculateImpactRequest::decode(&bytes[..]).unwrap();
        assert_eq!(decoded.options.unwrap().entry_date, "2026-03-02");

        // Mismatched end, unclosed group (also inside a sub-message), stray end.
        let mismatched = cat(&[&key(99, START_GROUP), &key(98, END_GROUP)]);
        assert_violation(request(&mismatched), "#99", MALFORMED_WIRE);
        assert_violation(request(&key(99, START_GROUP)), "#99", MALFORMED_WIRE);
        let inside = cat(&[&ld(11, &key(99, START_GROUP)), &key(99, END_GROUP)]);
        assert_violation(request(&inside), "options.#99", MALFORMED_WIRE);
        let nested = cat(&[
            &key(99, START_GROUP),
            &key(98, START_GROUP),
            &key(99, END_GROUP),
        ]);
        assert_violation(request(&nested), "#99.#98", MALFORMED_WIRE);
    }

    /// `baseline_schedule.measures[0]` with the given payload.
    fn measure(payload: &[u8]) -> Vec<u8> {
        ld(8, &ld(7, payload))
    }

    #[test]
    fn repeated_enums_packed_and_unpacked() {
        // Measure.preempts (repeated Program, field 11): packed, then unpacked, then packed.
        let preempts = cat(&[
            &ld(11, &[1, 2, 3]),
            &key(11, VARINT),
            &[4],
            &key(11, VARINT),
            // An unknown enum value (and a negative one) is kept, as proto3 enums are open.
            &varint(u64::MAX),
            &ld(11, &[]),
            &ld(11, &cat(&[&[42], &varint(1 << 40)])),
        ]);
        let bytes = measure(&preempts);
        let shape = request(&bytes).unwrap();
        let decoded = pb::CalculateImpactRequest::decode(&bytes[..]).unwrap();
        let Some(pb::calculate_impact_request::BaselineScheduleSource::BaselineSchedule(schedule)) =
            decoded.baseline_schedule_source
        else {
            panic!("no inline schedule");
        };
        assert_eq!(schedule.measures[0].preempts, [1, 2, 3, 4, -1, 42, 0]);
        // Seven elements, each its 4 bytes twice, on top of three structs.
        let schema = api_schema();
        let structs: u64 = [REQUEST, "tariff.v1.TariffSchedule", "tariff.v1.Measure"]
            .iter()
            .map(|name| schema.inline_bytes(schema.message(name).unwrap()))
            .sum();
        let measure_slack = schema.inline_bytes(schema.message("tariff.v1.Measure").unwrap());
        assert_eq!(shape.decoded_bytes, structs + measure_slack + 7 * 8);

        // Fee.transport_modes (field 7 of Fee, field 8 of TariffSchedule) likewise.
        let fee = ld(8, &ld(8, &cat(&[&ld(7, &[1, 5]), &key(7, VARINT), &[2]])));
        assert!(request(&fee).is_ok());

        // A packed element cut off names its element index, counting earlier occurrences.
        let cut = cat(&[&key(11, VARINT), &[1], &ld(11, &[2, 0x80])]);
        assert_violation(
            request(&measure(&cut)),
            "baseline_schedule.measures[0].preempts[2]",
            MALFORMED_WIRE,
        );
        // A packed run cannot end inside a varint even when bytes follow it.
        let cut = cat(&[&ld(11, &[0x80]), &ld(1, b"id")]);
        assert_violation(
            request(&measure(&cut)),
            "baseline_schedule.measures[0].preempts[0]",
            MALFORMED_WIRE,
        );
        // Other wire types are refused.
        let fixed = cat(&[&key(11, I32), &[0; 4]]);
        assert_violation(
            request(&measure(&fixed)),
            "baseline_schedule.measures[0].preempts[0]",
            WIRE_TYPE_MISMATCH,
        );
    }

    #[test]
    fn empty_input_is_an_empty_message() {
        let shape = request(&[]).unwrap();
        assert_eq!(shape.messages, 1);
        assert_eq!(shape.max_depth, 0);
        assert_eq!(
            shape.decoded_bytes,
            api_schema().inline_bytes(api_schema().message(REQUEST).unwrap())
        );
    }

    /// The README's seed-report EV example, as a client would send it.
    fn ev_example() -> pb::CalculateImpactRequest {
        use pb::calculate_impact_request as r;
        let item = |id: &str, material: &str, quantity: &str| pb::BomItem {
            id: id.into(),
            material_id: material.into(),
            quantity: quantity.into(),
            unit: pb::UnitOfMeasure::Kg as i32,
            ..Default::default()
        };
        pb::CalculateImpactRequest {
            bom_source: Some(r::BomSource::Bom(pb::Bom {
                id: "ev-seed-example".into(),
                currency: "USD".into(),
                items: vec![item("nd", "nd-oxide", "1.8"), item("dy", "dy-oxide", "0.2")],
                ..Default::default()
            })),
            baseline_prices_source: Some(r::BaselinePricesSource::BaselinePricesId(
                "ree-pre-restriction".into(),
            )),
            scenario_prices_source: Some(r::ScenarioPricesSource::ScenarioPricesId(
                "ree-post-restriction".into(),
            )),
            baseline_schedule_source: Some(r::BaselineScheduleSource::BaselineScheduleId(
                "us-2026".into(),
            )),
            options: Some(pb::CalculationOptions {
                entry_date: "2026-03-02".into(),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn decoded_size_estimate_flags_empty_submessage_floods() {
        let flood = pb::CalculateImpactRequest {
            bom_source: Some(pb::calculate_impact_request::BomSource::Bom(pb::Bom {
                items: vec![pb::BomItem::default(); 100_000],
                ..Default::default()
            })),
            ..Default::default()
        }
        .encode_to_vec();
        let shape = request(&flood).unwrap();
        let flood_ratio = shape.decoded_bytes as f64 / flood.len() as f64;
        assert_eq!(shape.messages, 100_002);

        let ev = ev_example().encode_to_vec();
        let shape = request(&ev).unwrap();
        let ev_ratio = shape.decoded_bytes as f64 / ev.len() as f64;

        println!(
            "decoded/encoded: empty-item flood {flood_ratio:.1}x ({} bytes), README EV example \
             {ev_ratio:.1}x ({} bytes -> {} estimated)",
            flood.len(),
            ev.len(),
            shape.decoded_bytes
        );
        assert!(flood_ratio >= 100.0, "{flood_ratio}");
        assert!(ev_ratio < 40.0, "{ev_ratio}");
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;
        use proptest::sample::Index;

        fn text() -> impl Strategy<Value = String> {
            prop_oneof![4 => "[a-z0-9.-]{0,6}", 1 => "\\PC{0,3}"]
        }

        fn import() -> impl Strategy<Value = pb::ImportDeclaration> {
            (text(), text(), 0..6i32, text()).prop_map(
                |(hts_code, origin, transport_mode, customs_value)| pb::ImportDeclaration {
                    hts_code,
                    origin,
                    transport_mode,
                    customs_value,
                    ..Default::default()
                },
            )
        }

        fn item() -> impl Strategy<Value = pb::BomItem> {
            let leaf = (text(), text(), 0..6i32, text(), prop::option::of(import())).prop_map(
                |(id, quantity, unit, material_id, import)| pb::BomItem {
                    id,
                    quantity,
                    unit,
                    material_id,
                    import: import.map(Box::new),
                    ..Default::default()
                },
            );
            leaf.prop_recursive(4, 24, 4, |inner| {
                (
                    text(),
                    prop::collection::vec(inner, 0..4),
                    prop::collection::vec((text(), text()), 0..2),
                )
                    .prop_map(|(id, children, sourcing)| pb::BomItem {
                        id,
                        children,
                        sourcing: sourcing
                            .into_iter()
                            .map(|(id, share)| pb::SourcingShare {
                                id,
                                share,
                                ..Default::default()
                            })
                            .collect(),
                        ..Default::default()
                    })
            })
        }

        fn schedule() -> impl Strategy<Value = pb::TariffSchedule> {
            let measure = (text(), 0..9i32, prop::collection::vec(any::<i32>(), 0..4)).prop_map(
                |(id, program, preempts)| pb::Measure {
                    id,
                    program,
                    preempts,
                    rate: Some(pb::Rate {
                        ad_valorem_percent: "25".into(),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
            );
            let fee =
                (text(), prop::collection::vec(0..6i32, 0..3)).prop_map(|(id, transport_modes)| {
                    pb::Fee {
                        id,
                        transport_modes,
                        ..Default::default()
                    }
                });
            (
                text(),
                prop::collection::vec(measure, 0..3),
                prop::collection::vec(fee, 0..2),
            )
                .prop_map(|(id, measures, fees)| pb::TariffSchedule {
                    id,
                    measures,
                    fees,
                    ..Default::default()
                })
        }

        fn calculation() -> impl Strategy<Value = pb::CalculateImpactRequest> {
            use pb::calculate_impact_request as r;
            let bom = (text(), prop::collection::vec(item(), 0..4)).prop_map(|(id, items)| {
                r::BomSource::Bom(pb::Bom {
                    id,
                    currency: "USD".into(),
                    items,
                    ..Default::default()
                })
            });
            let bom_source = prop_oneof![text().prop_map(r::BomSource::BomId), bom];
            let schedule = prop_oneof![
                text().prop_map(r::BaselineScheduleSource::BaselineScheduleId),
                schedule().prop_map(r::BaselineScheduleSource::BaselineSchedule),
            ];
            let options = (text(), 0..3i32, prop::option::of(text())).prop_map(
                |(entry_date, rounding_mode, stockpile)| pb::CalculationOptions {
                    entry_date,
                    rounding_mode,
                    stockpile: stockpile.map(|cover_months| pb::Stockpile {
                        cover_months,
                        material_ids: vec!["nd-oxide".into()],
                        ..Default::default()
                    }),
                    ..Default::default()
                },
            );
            (
                prop::option::of(bom_source),
                prop::option::of(text()),
                prop::option::of(schedule),
                prop::option::of(options),
            )
                .prop_map(|(bom_source, prices, schedule, options)| {
                    pb::CalculateImpactRequest {
                        bom_source,
                        baseline_prices_source: prices
                            .map(r::BaselinePricesSource::BaselinePricesId),
                        baseline_schedule_source: schedule,
                        options,
                        ..Default::default()
                    }
                })
        }

        #[derive(Clone, Debug)]
        enum Mutation {
            Flip(Index, u8),
            Set(Index, u8),
            Insert(Index, Vec<u8>),
            Delete(Index, usize),
            Truncate(Index),
        }

        fn mutation() -> impl Strategy<Value = Mutation> {
            prop_oneof![
                (any::<Index>(), 0..8u8).prop_map(|(at, bit)| Mutation::Flip(at, bit)),
                (any::<Index>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Set(at, byte)),
                (any::<Index>(), prop::collection::vec(any::<u8>(), 1..4))
                    .prop_map(|(at, bytes)| Mutation::Insert(at, bytes)),
                (any::<Index>(), 1..4usize).prop_map(|(at, n)| Mutation::Delete(at, n)),
                any::<Index>().prop_map(Mutation::Truncate),
            ]
        }

        fn apply(buf: &mut Vec<u8>, mutation: &Mutation) {
            let len = buf.len();
            match mutation {
                Mutation::Insert(at, bytes) => {
                    let at = at.index(len + 1);
                    buf.splice(at..at, bytes.iter().copied());
                }
                _ if len == 0 => {}
                Mutation::Flip(at, bit) => buf[at.index(len)] ^= 1 << bit,
                Mutation::Set(at, byte) => buf[at.index(len)] = *byte,
                Mutation::Delete(at, n) => {
                    let at = at.index(len);
                    buf.drain(at..(at + n).min(len));
                }
                Mutation::Truncate(at) => buf.truncate(at.index(len)),
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]

            /// The main guarantee: the scan accepts exactly what prost decodes.
            #[test]
            fn scan_accepts_exactly_what_prost_decodes(
                calculation in calculation(),
                request_id in text(),
                mutations in prop::collection::vec(mutation(), 1..4),
            ) {
                let schema = api_schema();
                let request_type = schema.message(REQUEST).unwrap();
                let batch_type = schema.message(BATCH).unwrap();

                let mut buf = calculation.encode_to_vec();
                prop_assert!(scan(schema, request_type, &buf).is_ok());
                for m in &mutations {
                    apply(&mut buf, m);
                }
                let scanned = scan(schema, request_type, &buf);
                let decoded = pb::CalculateImpactRequest::decode(&buf[..]);
                prop_assert_eq!(
                    scanned.is_ok(), decoded.is_ok(),
                    "request {:02x?}: scan {:?}, prost {:?}", buf, scanned, decoded
                );

                let batch = pb::CalculateBatchRequest {
                    request_id,
                    calculation: Some(calculation),
                };
                let mut buf = batch.encode_to_vec();
                prop_assert!(scan(schema, batch_type, &buf).is_ok());
                for m in &mutations {
                    apply(&mut buf, m);
                }
                let scanned = scan(schema, batch_type, &buf);
                let decoded = pb::CalculateBatchRequest::decode(&buf[..]);
                prop_assert_eq!(
                    scanned.is_ok(), decoded.is_ok(),
                    "batch {:02x?}: scan {:?}, prost {:?}", buf, scanned, decoded
                );
            }

            /// The same near prost's recursion limit, where messages, unknown groups and
            /// unknown fields all count.
            #[test]
            fn scan_matches_prost_at_the_nesting_limit(
                children in 94..100usize,
                groups in 0..6u32,
                unknown_varint in any::<bool>(),
                mutations in prop::collection::vec(mutation(), 0..3),
            ) {
                let mut innermost = Vec::new();
                for n in 1..=groups {
                    innermost.extend(key(100 + n, START_GROUP));
                }
                if unknown_varint {
                    innermost.extend(cat(&[&key(99, VARINT), &[1]]));
                }
                innermost.extend(ld(1, b"id"));
                for n in (1..=groups).rev() {
                    innermost.extend(key(100 + n, END_GROUP));
                }
                let mut buf = nested_items(children, &innermost);
                for m in &mutations {
                    apply(&mut buf, m);
                }
                let schema = api_schema();
                let scanned = scan(schema, schema.message(REQUEST).unwrap(), &buf);
                let decoded = pb::CalculateImpactRequest::decode(&buf[..]);
                prop_assert_eq!(
                    scanned.is_ok(), decoded.is_ok(),
                    "request {:02x?}: scan {:?}, prost {:?}", buf, scanned, decoded
                );
            }
        }
    }
}
