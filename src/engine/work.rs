//! Bounded work: every loop of the engine that can run long charges a [`Meter`] as it goes,
//! so a calculation stops within milliseconds when its deadline passes, its caller goes away
//! or the server shuts down, and never does more work than its budget allows.
//!
//! A unit of work is one step of a loop: visiting one BOM line in a walk, charging one
//! measure or fee on one imported line, testing one line against one incentive, merging one
//! charge into a summary, writing one line or charge into a response. Every step costs at
//! most a few hundred nanoseconds, so units count CPU time without depending on the machine,
//! and the estimates in [`super::estimate`] compute before any work starts how many units a
//! request can take at most: a request over its budget is refused before it runs, and the
//! meter's limit is the second line of defence should an estimate ever fall short.

use std::cell::Cell;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Instant;

/// Why a calculation stopped before it finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// Its deadline passed.
    Deadline,
    /// Its caller went away (the client cancelled or disconnected).
    Cancelled,
    /// The server is shutting down and its drain time is over.
    ShuttingDown,
    /// It used more units of work than its budget; the budget is the limit.
    OverBudget {
        /// The budget, in units of work.
        limit: u64,
    },
}

impl fmt::Display for Stopped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stopped::Deadline => write!(f, "the deadline passed"),
            Stopped::Cancelled => write!(f, "the caller went away"),
            Stopped::ShuttingDown => write!(f, "the server is shutting down"),
            Stopped::OverBudget { limit } => {
                write!(f, "the work exceeded its budget of {limit} units")
            }
        }
    }
}

impl Stopped {
    fn code(self) -> u8 {
        match self {
            Stopped::Deadline => 1,
            Stopped::Cancelled => 2,
            Stopped::ShuttingDown => 3,
            // Never raised through a signal: the meter itself detects it.
            Stopped::OverBudget { .. } => 4,
        }
    }

    fn from_code(code: u8) -> Option<Stopped> {
        match code {
            1 => Some(Stopped::Deadline),
            2 => Some(Stopped::Cancelled),
            3 => Some(Stopped::ShuttingDown),
            _ => None,
        }
    }
}

/// A request to stop that another thread raises: the async side of a call raises it when the
/// client goes away or the deadline passes, the server raises its own (the parent of every
/// call's signal) when a drain is over. The first reason raised is kept.
#[derive(Debug, Default)]
pub struct StopSignal {
    reason: AtomicU8,
    parent: Option<Arc<StopSignal>>,
}

impl StopSignal {
    /// A signal nobody has raised yet.
    pub fn new() -> Arc<StopSignal> {
        Arc::new(StopSignal::default())
    }

    /// A signal that also reports `parent`'s reason, so one server-wide raise reaches every
    /// call.
    pub fn child(parent: &Arc<StopSignal>) -> Arc<StopSignal> {
        Arc::new(StopSignal {
            reason: AtomicU8::new(0),
            parent: Some(parent.clone()),
        })
    }

    /// Asks the work to stop for `why`, unless a reason was raised before.
    pub fn raise(&self, why: Stopped) {
        let _ = self
            .reason
            .compare_exchange(0, why.code(), Ordering::Relaxed, Ordering::Relaxed);
    }

    /// The reason raised here or on a parent, if any.
    pub fn raised(&self) -> Option<Stopped> {
        Stopped::from_code(self.reason.load(Ordering::Relaxed))
            .or_else(|| self.parent.as_ref().and_then(|p| p.raised()))
    }
}

/// Steps between two readings of the clock: reading it costs about as much as a step, and a
/// few hundred steps take well under a millisecond.
const STEPS_PER_CLOCK_READING: u32 = 256;

/// Counts the units of work of one calculation and stops it (see the module docs). One meter
/// serves one calculation on one thread.
#[derive(Debug)]
pub struct Meter {
    signal: Option<Arc<StopSignal>>,
    deadline: Option<Instant>,
    limit: u64,
    used: Cell<u64>,
    until_clock: Cell<u32>,
}

impl Meter {
    /// A meter that never stops the work: for the command line, benchmarks and tests of the
    /// rules themselves.
    pub fn unlimited() -> Meter {
        Meter::new(None, None, u64::MAX)
    }

    /// A meter that stops the work when `signal` is raised, when `deadline` passes, or when
    /// more than `limit` units have been used.
    pub fn new(signal: Option<Arc<StopSignal>>, deadline: Option<Instant>, limit: u64) -> Meter {
        Meter {
            signal,
            deadline,
            limit,
            used: Cell::new(0),
            until_clock: Cell::new(0),
        }
    }

    /// Records `units` of work about to be done, or says why the work must stop instead.
    pub fn charge(&self, units: u64) -> Result<(), Stopped> {
        let used = self.used.get().saturating_add(units);
        self.used.set(used);
        if used > self.limit {
            return Err(Stopped::OverBudget { limit: self.limit });
        }
        if let Some(why) = self.signal.as_ref().and_then(|s| s.raised()) {
            return Err(why);
        }
        match self.until_clock.get() {
            0 => {
                self.until_clock.set(STEPS_PER_CLOCK_READING);
                if self.deadline.is_some_and(|d| Instant::now() >= d) {
                    return Err(Stopped::Deadline);
                }
            }
            n => self.until_clock.set(n - 1),
        }
        Ok(())
    }

    /// Checks the stop signal and the clock now, whatever the step count: for loops whose
    /// steps are long.
    pub fn checkpoint(&self) -> Result<(), Stopped> {
        self.until_clock.set(0);
        self.charge(0)
    }

    /// Units used so far.
    pub fn used(&self) -> u64 {
        self.used.get()
    }
}

/// Units as a `u64`, for lengths and counts.
pub(crate) fn units(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_meter_stops_at_its_limit_and_counts_what_was_used() {
        let m = Meter::new(None, None, 10);
        assert_eq!(m.charge(4), Ok(()));
        assert_eq!(m.charge(6), Ok(()));
        assert_eq!(m.used(), 10);
        assert_eq!(m.charge(1), Err(Stopped::OverBudget { limit: 10 }));
    }

    #[test]
    fn a_raised_signal_stops_the_next_step_and_the_first_reason_wins() {
        let server = StopSignal::new();
        let call = StopSignal::child(&server);
        let m = Meter::new(Some(call.clone()), None, u64::MAX);
        assert_eq!(m.charge(1), Ok(()));
        call.raise(Stopped::Cancelled);
        call.raise(Stopped::Deadline);
        assert_eq!(m.charge(1), Err(Stopped::Cancelled));
        let other = Meter::new(Some(StopSignal::child(&server)), None, u64::MAX);
        server.raise(Stopped::ShuttingDown);
        assert_eq!(other.charge(1), Err(Stopped::ShuttingDown));
        // A deadline the async side saw pass reaches the work as a deadline.
        let late = StopSignal::new();
        late.raise(Stopped::Deadline);
        assert_eq!(late.raised(), Some(Stopped::Deadline));
    }

    /// The clock is read at the first step and then once every `STEPS_PER_CLOCK_READING`
    /// steps, counted down in between (a count that never reached zero again would leave a
    /// long calculation unstoppable by its deadline).
    #[test]
    fn the_clock_is_read_once_every_so_many_steps() {
        let far = Instant::now() + Duration::from_secs(3600);
        let m = Meter::new(None, Some(far), u64::MAX);
        assert_eq!(m.charge(1), Ok(()));
        assert_eq!(m.until_clock.get(), STEPS_PER_CLOCK_READING);
        for _ in 0..STEPS_PER_CLOCK_READING {
            assert_eq!(m.charge(1), Ok(()));
        }
        assert_eq!(m.until_clock.get(), 0, "the next step reads the clock");
        assert_eq!(m.charge(1), Ok(()));
        assert_eq!(m.until_clock.get(), STEPS_PER_CLOCK_READING);
        // A checkpoint reads it now, whatever the count.
        assert_eq!(m.checkpoint(), Ok(()));
        assert_eq!(m.until_clock.get(), STEPS_PER_CLOCK_READING);
    }

    /// Each reason says why in words: these sentences reach the caller in the status.
    #[test]
    fn each_reason_to_stop_says_why() {
        let said: Vec<String> = [
            Stopped::Deadline,
            Stopped::Cancelled,
            Stopped::ShuttingDown,
            Stopped::OverBudget { limit: 7 },
        ]
        .iter()
        .map(ToString::to_string)
        .collect();
        assert_eq!(
            said,
            [
                "the deadline passed",
                "the caller went away",
                "the server is shutting down",
                "the work exceeded its budget of 7 units"
            ]
        );
    }

    #[test]
    fn a_passed_deadline_stops_within_one_clock_reading() {
        let past = Instant::now().checked_sub(Duration::from_millis(1));
        let m = Meter::new(None, past, u64::MAX);
        let stopped_after = (0..=STEPS_PER_CLOCK_READING + 1).position(|_| m.charge(1).is_err());
        assert_eq!(stopped_after, Some(0), "the first step reads the clock");
        let future = Instant::now() + Duration::from_secs(3600);
        let m = Meter::new(None, Some(future), u64::MAX);
        assert!((0..10_000).all(|_| m.charge(1).is_ok()));
    }
}
