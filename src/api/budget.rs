//! The cost model of a call, checked before any calculation starts: the engine's estimate
//! of its work and memory ([`crate::engine::estimate`]) plus what building and encoding the
//! response takes, against the budgets of [`Budgets`]. A request over a budget is refused
//! with RESOURCE_EXHAUSTED naming the budget, the estimate and the flag that raises it.
//!
//! Defaults are sized so that one call on the default settings stays within 64 MiB and a few
//! CPU-seconds: a unit of work took 250 to 1,200 ns (400 to 800 ns on large requests) on
//! the 2-core reference machine (`cargo run --release --example cost_calibration`, in
//! RELIABILITY.md), so 5 million units are about 2 to 4 s of one core, and a response of
//! the largest size the default allows fits the memory budget several times over.

use super::error::{ApiError, Budget};
use crate::engine::estimate::{Estimate, FORMULA_BYTES};

/// The budgets every call is measured against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budgets {
    /// Most units of work of one call (`--max-call-work`).
    pub max_call_work: u64,
    /// Most bytes of memory one call may hold (`--max-call-memory-mib`).
    pub max_call_memory: u64,
    /// Most bytes of one response message (`--max-response-bytes`), the gRPC default send
    /// limit of 4 MiB unless raised.
    pub max_response_bytes: u64,
}

impl Default for Budgets {
    fn default() -> Self {
        Budgets {
            max_call_work: DEFAULT_MAX_CALL_WORK,
            max_call_memory: DEFAULT_MAX_CALL_MEMORY_MIB * 1024 * 1024,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
        }
    }
}

/// Default of `--max-call-work`.
pub const DEFAULT_MAX_CALL_WORK: u64 = 5_000_000;
/// Default of `--max-call-memory-mib`.
pub const DEFAULT_MAX_CALL_MEMORY_MIB: u64 = 64;
/// Default of `--max-response-bytes`: gRPC's default message limit.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 4 * 1024 * 1024;

/// Bytes a request message is expected to take once decoded, per byte of the message: a real
/// request decodes to 10 to 25 times its size (mostly the fixed size of each item's struct).
/// The transport reserves this much (and the message itself) when the message's length
/// arrives, before buffering it; the decoder reserves any more it finds it needs.
pub const EXPECTED_DECODED_RATIO: u64 = 16;

/// Most bytes a request message may take once decoded, per byte of the message: a schedule
/// of hundreds of short measures reaches 55 times its size, while a message of millions of
/// empty items would take hundreds of times its size; the decoder refuses it.
pub const MAX_DECODED_RATIO: u64 = 64;

/// The decoded allowance of any message, however small: the fixed size of a request's
/// structs (about a kilobyte) is out of proportion to a message of a few bytes.
pub const MIN_DECODED_ALLOWANCE: u64 = 256 * 1024;

/// The least the transport reserves for a message, covering a small request's structs.
const MIN_MESSAGE_RESERVATION: u64 = 64 * 1024;

/// Most bytes a message of `len` bytes may take once decoded.
pub fn decoded_allowance(len: usize) -> u64 {
    (len as u64)
        .saturating_mul(MAX_DECODED_RATIO)
        .max(MIN_DECODED_ALLOWANCE)
}

/// Bytes the transport reserves for a message of `len` bytes before buffering it: the
/// message and what it is expected to take once decoded.
pub fn message_reservation(len: usize) -> u64 {
    (len as u64)
        .saturating_mul(1 + EXPECTED_DECODED_RATIO)
        .max(MIN_MESSAGE_RESERVATION)
}

/// What a call is estimated to take before it runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cost {
    /// Units of work.
    pub work: u64,
    /// Bytes of memory held at once, besides the response.
    pub memory: u64,
    /// Most bytes of the encoded response (an upper bound).
    pub response_bytes: u64,
    /// Fewest bytes of the encoded response: a response surely over the limit is refused
    /// before any work; one that may be over is built and measured.
    pub response_floor: u64,
}

/// Fewest encoded bytes of one line of a full response: a path, a field path, a kind, a
/// quantity, and two sides of at least four amounts with their currency.
const RESPONSE_LINE_FLOOR: u64 = 120;

/// Encoded bytes of a response's fixed part (totals, effects, inputs used).
const RESPONSE_FIXED: u64 = 4096;
/// Encoded bytes of one line of a full response, besides its text: kind, quantity, unit,
/// two sides of five amounts, the delta.
const RESPONSE_LINE: u64 = 512;
/// Encoded bytes of one charge besides its id and formula: program, fee kind, base, amount.
const RESPONSE_CHARGE: u64 = 128;
/// Encoded bytes of a measure or material summary besides its text.
const RESPONSE_SUMMARY: u64 = 256;
/// Encoded bytes of one incentive (two sides with formulas naming up to 249 origins).
const RESPONSE_INCENTIVE: u64 = 3072;
/// Encoded bytes of a note besides the paths it names.
const RESPONSE_NOTE: u64 = 256;
/// A response held as Rust values takes about twice its encoded size, and its encoding a
/// third copy while it is sent.
const RESPONSE_COPIES: u64 = 3;
/// Bytes of the validated inputs per BOM line: the item (264 bytes) and its strings.
const INPUT_BYTES_PER_LINE: u64 = 384;

impl Cost {
    /// One `CalculateImpact` result (or one scenario of a comparison) and its response.
    pub fn calculation(e: &Estimate, explain: bool) -> Cost {
        let building = if explain { e.lines + e.charges } else { 0 } + e.measures + e.materials;
        Cost {
            work: e.units.saturating_add(building),
            memory: e
                .memory_bytes
                .saturating_add(e.lines.saturating_mul(INPUT_BYTES_PER_LINE))
                .saturating_add(e.line_text_bytes),
            response_bytes: response_bytes(e, explain),
            response_floor: response_floor(e, explain),
        }
    }

    /// The schedules a request's overlays rebuild (`engine::estimate::schedule_build`): their
    /// work, done while the request is prepared and bounded before it starts by
    /// `Limits::max_overlay_entries`, and their memory, held for the whole call.
    pub fn rebuilding(e: &Estimate) -> Cost {
        Cost {
            work: e.units,
            memory: e.memory_bytes,
            ..Cost::default()
        }
    }

    /// `self` and `other` both, held at once.
    pub fn plus(self, other: Cost) -> Cost {
        Cost {
            work: self.work.saturating_add(other.work),
            memory: self.memory.saturating_add(other.memory),
            response_bytes: self.response_bytes.saturating_add(other.response_bytes),
            response_floor: self.response_floor.saturating_add(other.response_floor),
        }
    }
}

/// Fewest encoded bytes of the response built from a result estimated by `e`: its lines
/// (estimated charges are an upper bound, since every measure whose prefix matches is
/// counted, so the floor counts none of them).
pub fn response_floor(e: &Estimate, explain: bool) -> u64 {
    if explain {
        e.lines.saturating_mul(RESPONSE_LINE_FLOOR)
    } else {
        0
    }
}

/// Encoded bytes of the response built from a result estimated by `e`: an upper bound for
/// realistic requests, checked against real encodings in the tests; the exact size is
/// checked again once the response is built.
pub fn response_bytes(e: &Estimate, explain: bool) -> u64 {
    let summaries = [
        RESPONSE_FIXED,
        e.measure_text_bytes,
        e.measures.saturating_mul(RESPONSE_SUMMARY),
        e.materials.saturating_mul(RESPONSE_SUMMARY),
        e.material_text_bytes,
        e.incentives.saturating_mul(RESPONSE_INCENTIVE),
        e.notes.saturating_mul(RESPONSE_NOTE),
        e.line_text_bytes.saturating_mul(2),
        // A coverage gap is an entry and a note, each naming its line.
        e.gaps.saturating_mul(2 * RESPONSE_NOTE),
        // A known gap's entry and note repeat its text in full.
        e.known_gap_text_bytes.saturating_mul(2),
        e.line_text_bytes.saturating_mul(2),
    ];
    let lines = if explain {
        [
            e.lines.saturating_mul(RESPONSE_LINE),
            e.line_text_bytes,
            e.charges
                .saturating_mul(RESPONSE_CHARGE + FORMULA_BYTES + e.longest_charge_id),
        ]
    } else {
        [0; 3]
    };
    summaries
        .iter()
        .chain(&lines)
        .fold(0u64, |a, b| a.saturating_add(*b))
}

impl Budgets {
    /// Refuses a call whose cost is over a budget, naming the first budget it exceeds.
    pub fn check(&self, cost: &Cost, explain: bool) -> Result<(), ApiError> {
        if cost.work > self.max_call_work {
            return Err(ApiError::OverBudget {
                budget: Budget::Work,
                estimate: cost.work,
                limit: self.max_call_work,
                flag: "--max-call-work",
                hint: "split the BOM or the scenarios over several calls, or use fewer \
                       uncertain inputs",
            });
        }
        if cost.response_floor > self.max_response_bytes {
            return Err(self.response_too_large(cost.response_floor, explain));
        }
        let memory = self.memory(cost);
        if memory > self.max_call_memory {
            return Err(ApiError::OverBudget {
                budget: Budget::Memory,
                estimate: memory,
                limit: self.max_call_memory,
                flag: "--max-call-memory-mib",
                hint: if explain {
                    "ask for RESULT_VIEW_SUMMARY, or split the request over several calls"
                } else {
                    "split the request over several calls"
                },
            });
        }
        Ok(())
    }

    /// The memory a call of `cost` holds: its own, and its response up to the largest one
    /// that may be sent (a larger one is refused once measured), as values and encoded.
    pub fn memory(&self, cost: &Cost) -> u64 {
        cost.memory.saturating_add(
            cost.response_bytes
                .min(self.max_response_bytes)
                .saturating_mul(RESPONSE_COPIES),
        )
    }

    /// The error for a response of `bytes` over the limit.
    pub fn response_too_large(&self, bytes: u64, explain: bool) -> ApiError {
        ApiError::OverBudget {
            budget: Budget::Response,
            estimate: bytes,
            limit: self.max_response_bytes,
            flag: "--max-response-bytes",
            hint: if explain {
                "ask for RESULT_VIEW_SUMMARY (no per-line breakdown), or split the request"
            } else {
                "split the request over several calls"
            },
        }
    }
}
