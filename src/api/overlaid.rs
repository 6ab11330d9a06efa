//! Schedules built by applying a catalog overlay to a catalog schedule, kept for reuse. Both
//! inputs are immutable (a preset is fixed for the process, a saved version never changes), so
//! the result is too, and building it is the costliest step of a request that names them:
//! 8 to 12 ms for `us-hts-2026` with `us-2025-ieepa-auto-parts`, where the rest of an EV-sized
//! calculation takes tens of microseconds (BENCHMARKS.md, issue 16).
//!
//! An entry is found by the identity of the two messages (the catalog's `Arc`s, which the
//! entry keeps alive, so an address cannot be reused by another message while it is cached)
//! and the change limit the build ran under. Only successful builds are kept; a failing
//! overlay is rebuilt, and refused, on every request. At most [`SLOTS`] pairs, the least
//! recently used dropped first.

use crate::engine::model::Schedule;
use crate::pb;
use std::sync::{Arc, LazyLock, Mutex};

/// Pairs kept. A built `us-hts-2026` takes about a megabyte.
const SLOTS: usize = 8;

/// A built schedule and the message it was built from.
#[derive(Debug, Clone)]
pub(crate) struct Built {
    /// The validated schedule.
    pub schedule: Arc<Schedule>,
    /// The overlaid message (a scenario's overlay may start from it).
    pub message: Arc<pb::TariffSchedule>,
}

#[derive(Debug)]
struct Slot {
    base: Arc<pb::TariffSchedule>,
    overlay: Arc<pb::ScheduleOverlay>,
    max_changes: usize,
    built: Built,
}

static CACHE: LazyLock<Mutex<Vec<Slot>>> = LazyLock::new(|| Mutex::new(Vec::new()));

fn matches(
    s: &Slot,
    base: &Arc<pb::TariffSchedule>,
    o: &Arc<pb::ScheduleOverlay>,
    max: usize,
) -> bool {
    Arc::ptr_eq(&s.base, base) && Arc::ptr_eq(&s.overlay, o) && s.max_changes == max
}

/// The schedule built from `base` and `overlay` under `max_changes`, if kept.
pub(crate) fn get(
    base: &Arc<pb::TariffSchedule>,
    overlay: &Arc<pb::ScheduleOverlay>,
    max_changes: usize,
) -> Option<Built> {
    let mut slots = CACHE.lock().unwrap_or_else(|p| p.into_inner());
    let at = slots
        .iter()
        .position(|s| matches(s, base, overlay, max_changes))?;
    // Most recently used last.
    let slot = slots.remove(at);
    let built = slot.built.clone();
    slots.push(slot);
    Some(built)
}

/// Keeps `built`, made from `base` and `overlay` under `max_changes`.
pub(crate) fn put(
    base: Arc<pb::TariffSchedule>,
    overlay: Arc<pb::ScheduleOverlay>,
    max_changes: usize,
    built: Built,
) {
    let mut slots = CACHE.lock().unwrap_or_else(|p| p.into_inner());
    if slots
        .iter()
        .any(|s| matches(s, &base, &overlay, max_changes))
    {
        return;
    }
    if slots.len() == SLOTS {
        slots.remove(0);
    }
    slots.push(Slot {
        base,
        overlay,
        max_changes,
        built,
    });
}
