//! The server's shared capacity, lent to calls and taken back when they end: slots for large
//! calls in flight and for open batch streams (taken before a request is decoded), slots for
//! heavy calculations on the worker pool (CPU), and a pool of memory that requests reserve
//! from before they decode or compute. A call that finds a resource fully in use is answered
//! RESOURCE_EXHAUSTED at once rather than queued, so overload is fast and visible to the
//! caller; batch items, which have no caller waiting on each, wait for their turn instead.
//!
//! Memory is lent in KiB, rounded up, so one pool can hold a few GiB of reservations in a
//! semaphore's permits.

use super::error::{ApiError, Budget, Resource};
use crate::engine::StopSignal;
use std::sync::{Arc, Mutex};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Requests larger than this, encoded, are large: a unary one takes a slot for large calls
/// when its length arrives, and is prepared on the worker pool rather than the async worker
/// (an EV-sized request is about 1.6 KiB and validates in well under a millisecond).
pub const LARGE_REQUEST_BYTES: usize = 16 * 1024;

/// How much of each resource the server lends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CapacitySettings {
    /// Calls in flight on the tariff services, from their headers to their response
    /// (`--max-concurrent-calls`). The default, 8,192, is the connection limit times the
    /// streams per connection (256 x 32): no tighter than HTTP/2 already bounds, because at
    /// their headers a small call cannot be told from a large one. A tighter gate let a flood
    /// of large requests, waiting for their bodies, hold every slot and shed the small calls
    /// the large-call slots exist to protect (row 7 of the attacks in RELIABILITY.md); the
    /// large-call slots and the memory pool bound the work once a message's length arrives.
    pub max_calls: usize,
    /// Of those, calls with a message over 16 KiB, from its length to the response
    /// (`--max-large-calls`): a flood of large requests leaves room for small ones.
    pub max_large_calls: usize,
    /// Open `CalculateBatch` streams (`--max-batch-streams`).
    pub max_batch_streams: usize,
    /// Heavy calculations running on the worker pool at once (`--max-concurrent-calculations`).
    pub max_calculations: usize,
    /// Bytes of memory lent to requests and calculations at once (`--max-memory-mib`).
    pub memory_bytes: u64,
}

impl Default for CapacitySettings {
    fn default() -> Self {
        CapacitySettings {
            max_calls: 8192,
            max_large_calls: 64,
            max_batch_streams: 16,
            max_calculations: default_calculations(),
            memory_bytes: 192 * 1024 * 1024,
        }
    }
}

/// Twice the CPUs the process may use (at least 2): calculations are CPU-bound, so more
/// only make each slower, while two per CPU keep every CPU busy when some wait on memory.
pub fn default_calculations() -> usize {
    std::thread::available_parallelism().map_or(2, |n| 2 * n.get())
}

/// The resources one server lends, and its stop signal.
#[derive(Debug)]
pub struct Capacity {
    settings: CapacitySettings,
    calls: Arc<Semaphore>,
    large_calls: Arc<Semaphore>,
    streams: Arc<Semaphore>,
    calculations: Arc<Semaphore>,
    memory: Arc<Semaphore>,
    /// Raised when the server's drain is over: every calculation still running stops.
    pub stop: Arc<StopSignal>,
}

/// Memory lent to one request; given back when dropped.
#[derive(Debug, Default)]
pub struct Reservation(Option<OwnedSemaphorePermit>);

impl Reservation {
    /// KiB held.
    pub fn kib(&self) -> usize {
        self.0.as_ref().map_or(0, OwnedSemaphorePermit::num_permits)
    }

    /// Holds `other` too.
    pub fn merge(&mut self, other: Reservation) {
        match (&mut self.0, other.0) {
            (Some(mine), Some(theirs)) => mine.merge(theirs),
            (mine @ None, theirs) => *mine = theirs,
            (_, None) => {}
        }
    }
}

fn kib(bytes: u64) -> u64 {
    bytes.div_ceil(1024)
}

impl Capacity {
    /// Capacity of `settings` (every limit at least 1).
    pub fn new(settings: CapacitySettings) -> Arc<Capacity> {
        let sem = |n: usize| Arc::new(Semaphore::new(n.max(1)));
        let memory_kib = kib(settings.memory_bytes).min(Semaphore::MAX_PERMITS as u64);
        Arc::new(Capacity {
            settings,
            calls: sem(settings.max_calls),
            large_calls: sem(settings.max_large_calls),
            streams: sem(settings.max_batch_streams),
            calculations: sem(settings.max_calculations),
            memory: sem(memory_kib as usize),
            stop: StopSignal::new(),
        })
    }

    /// The settings.
    pub fn settings(&self) -> CapacitySettings {
        self.settings
    }

    /// A slot for one large call in flight, or RESOURCE_EXHAUSTED at once.
    pub fn admit_large_call(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        self.large_calls
            .clone()
            .try_acquire_owned()
            .map_err(|_| ApiError::Overloaded {
                resource: Resource::LargeCalls,
                limit: self.settings.max_large_calls as u64,
                flag: "--max-large-calls",
            })
    }

    /// A slot for one call in flight, or RESOURCE_EXHAUSTED at once.
    pub fn admit_call(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        self.calls
            .clone()
            .try_acquire_owned()
            .map_err(|_| ApiError::Overloaded {
                resource: Resource::Calls,
                limit: self.settings.max_calls as u64,
                flag: "--max-concurrent-calls",
            })
    }

    /// A slot for one open batch stream, or RESOURCE_EXHAUSTED at once.
    pub fn admit_stream(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        self.streams
            .clone()
            .try_acquire_owned()
            .map_err(|_| ApiError::Overloaded {
                resource: Resource::BatchStreams,
                limit: self.settings.max_batch_streams as u64,
                flag: "--max-batch-streams",
            })
    }

    /// A slot for one heavy calculation, or RESOURCE_EXHAUSTED at once.
    pub fn calculation(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        self.calculations
            .clone()
            .try_acquire_owned()
            .map_err(|_| self.calculations_full())
    }

    /// A slot for one heavy calculation, waiting for one to be free (batch items).
    pub async fn calculation_waiting(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        self.calculations
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| self.calculations_full())
    }

    fn calculations_full(&self) -> ApiError {
        ApiError::Overloaded {
            resource: Resource::Calculations,
            limit: self.settings.max_calculations as u64,
            flag: "--max-concurrent-calculations",
        }
    }

    /// Lends `bytes`, or RESOURCE_EXHAUSTED at once when the pool cannot (retryable, unless
    /// the pool could never lend that much).
    pub fn reserve(&self, bytes: u64) -> Result<Reservation, ApiError> {
        let n = kib(bytes);
        if n == 0 {
            return Ok(Reservation::default());
        }
        if n > kib(self.settings.memory_bytes) {
            return Err(self.never_fits(bytes));
        }
        u32::try_from(n)
            .ok()
            .and_then(|n| self.memory.clone().try_acquire_many_owned(n).ok())
            .map(|p| Reservation(Some(p)))
            .ok_or_else(|| self.memory_full())
    }

    /// Lends `bytes`, waiting until the pool can (batch items); RESOURCE_EXHAUSTED if the
    /// pool could never lend that much.
    pub async fn reserve_waiting(&self, bytes: u64) -> Result<Reservation, ApiError> {
        let n = kib(bytes);
        if n == 0 {
            return Ok(Reservation::default());
        }
        if n > kib(self.settings.memory_bytes) {
            return Err(self.never_fits(bytes));
        }
        let n = u32::try_from(n).map_err(|_| self.memory_full())?;
        self.memory
            .clone()
            .acquire_many_owned(n)
            .await
            .map(|p| Reservation(Some(p)))
            .map_err(|_| self.memory_full())
    }

    fn never_fits(&self, bytes: u64) -> ApiError {
        ApiError::OverBudget {
            budget: Budget::Memory,
            estimate: bytes,
            limit: self.settings.memory_bytes,
            flag: "--max-memory-mib",
            hint: "send a smaller request",
        }
    }

    fn memory_full(&self) -> ApiError {
        ApiError::Overloaded {
            resource: Resource::Memory,
            limit: self.settings.memory_bytes,
            flag: "--max-memory-mib",
        }
    }

    /// Heavy calculations running now.
    pub fn calculations_running(&self) -> usize {
        self.settings
            .max_calculations
            .max(1)
            .saturating_sub(self.calculations.available_permits())
    }

    /// KiB of memory lent now.
    pub fn memory_lent_kib(&self) -> u64 {
        kib(self.settings.memory_bytes).saturating_sub(self.memory.available_permits() as u64)
    }
}

/// A call's admission, shared by the transport (which makes it when the headers arrive and
/// reserves memory for each message as its length arrives), the decoder (which reserves what
/// decoding takes beyond that) and the handler (which gives the message's memory back once
/// the message is converted): the slot the call holds and the memory its message was lent.
/// The handler finds it in the request's extensions; the decoder in a task-local set around
/// the call ([`Admission::scope`]).
#[derive(Debug, Clone)]
pub struct Admission {
    capacity: Arc<Capacity>,
    slot: Arc<Mutex<Option<OwnedSemaphorePermit>>>,
    large: Arc<Mutex<Option<OwnedSemaphorePermit>>>,
    decoded: Arc<Mutex<Reservation>>,
    stream: bool,
}

tokio::task_local! {
    static ADMISSION: Admission;
}

impl Admission {
    /// The admission of a unary call holding its call slot; it takes a slot for large calls
    /// too if its message is large.
    pub fn call(capacity: Arc<Capacity>, slot: OwnedSemaphorePermit) -> Self {
        Admission {
            capacity,
            slot: Arc::new(Mutex::new(Some(slot))),
            large: Arc::default(),
            decoded: Arc::default(),
            stream: false,
        }
    }

    /// The admission of a batch stream holding its stream slot.
    pub fn stream(capacity: Arc<Capacity>, slot: OwnedSemaphorePermit) -> Self {
        Admission {
            capacity,
            slot: Arc::new(Mutex::new(Some(slot))),
            large: Arc::default(),
            decoded: Arc::default(),
            stream: true,
        }
    }

    /// Whether this admits a stream (whose messages wait for memory).
    pub fn is_stream(&self) -> bool {
        self.stream
    }

    /// Takes the slot, to hold it elsewhere (a stream's handler holds it for the stream's
    /// life).
    pub fn take_slot(&self) -> Option<OwnedSemaphorePermit> {
        self.slot.lock().ok().and_then(|mut s| s.take())
    }

    /// A message of `len` bytes is announced: a large message of a unary call takes one of
    /// the slots for large calls, and the message and what it is expected to take once
    /// decoded are reserved, at once (unary calls) or waiting for memory (streams). The
    /// previous message's memory (of a stream) is given back.
    pub async fn announce(&self, len: usize) -> Result<(), ApiError> {
        if !self.stream && len > LARGE_REQUEST_BYTES {
            let slot = self.capacity.admit_large_call()?;
            if let Ok(mut s) = self.large.lock() {
                *s = Some(slot);
            }
        }
        let bytes = crate::api::budget::message_reservation(len);
        let r = if self.stream {
            self.capacity.reserve_waiting(bytes).await?
        } else {
            self.capacity.reserve(bytes)?
        };
        if let Ok(mut d) = self.decoded.lock() {
            *d = r;
        }
        Ok(())
    }

    /// The decoder found a message of `len` bytes will take `bytes` once decoded: what was
    /// not reserved when it was announced is reserved now (at once: decoding cannot wait).
    pub fn decoding(&self, len: usize, bytes: u64) -> Result<(), ApiError> {
        let held = crate::api::budget::message_reservation(len);
        let more = bytes.saturating_add(len as u64).saturating_sub(held);
        if more > 0 {
            let r = self.capacity.reserve(more)?;
            if let Ok(mut d) = self.decoded.lock() {
                d.merge(r);
            }
        }
        Ok(())
    }

    /// Takes the memory of the message received last, to give it back once the message is
    /// converted.
    pub fn take_decoded(&self) -> Reservation {
        self.decoded
            .lock()
            .map(|mut d| std::mem::take(&mut *d))
            .unwrap_or_default()
    }

    /// Runs `f` with this admission reachable by the decoder.
    pub async fn scope<F: std::future::Future>(self, f: F) -> F::Output {
        ADMISSION.scope(self, f).await
    }

    /// The admission of the call being decoded on this task, if any.
    pub fn current() -> Option<Admission> {
        ADMISSION.try_with(Admission::clone).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Arc<Capacity> {
        Capacity::new(CapacitySettings {
            max_calls: 1,
            max_large_calls: 1,
            max_batch_streams: 1,
            max_calculations: 1,
            memory_bytes: 10 * 1024,
        })
    }

    #[test]
    fn each_resource_sheds_at_its_limit_and_is_given_back_on_drop() {
        let c = small();
        let call = c.admit_call().unwrap();
        assert!(matches!(
            c.admit_call(),
            Err(ApiError::Overloaded {
                resource: Resource::Calls,
                limit: 1,
                ..
            })
        ));
        drop(call);
        assert!(c.admit_call().is_ok());
        let calc = c.calculation().unwrap();
        assert_eq!(c.calculations_running(), 1);
        assert!(c.calculation().is_err());
        drop(calc);
        assert_eq!(c.calculations_running(), 0);
        let stream = c.admit_stream().unwrap();
        assert!(c.admit_stream().is_err());
        drop(stream);
    }

    #[test]
    fn memory_is_lent_in_kib_rounded_up() {
        let c = small();
        let a = c.reserve(6 * 1024 + 1).unwrap();
        assert_eq!(a.kib(), 7);
        assert_eq!(c.memory_lent_kib(), 7);
        assert!(matches!(
            c.reserve(4 * 1024),
            Err(ApiError::Overloaded {
                resource: Resource::Memory,
                ..
            })
        ));
        assert_eq!(c.reserve(3 * 1024).unwrap().kib(), 3);
        assert_eq!(c.reserve(0).unwrap().kib(), 0);
        drop(a);
        assert_eq!(c.memory_lent_kib(), 0);
    }

    #[tokio::test]
    async fn a_reservation_larger_than_the_pool_fails_as_over_budget_instead_of_waiting() {
        let c = small();
        for e in [
            c.reserve_waiting(11 * 1024).await.unwrap_err(),
            c.reserve(11 * 1024).unwrap_err(),
        ] {
            assert!(
                matches!(
                    e,
                    ApiError::OverBudget {
                        budget: Budget::Memory,
                        estimate: 11264,
                        limit: 10240,
                        ..
                    }
                ),
                "{e:?}"
            );
        }
        let mut r = c.reserve_waiting(2048).await.unwrap();
        r.merge(c.reserve(1024).unwrap());
        assert_eq!((r.kib(), c.memory_lent_kib()), (3, 3));
        drop(r);
        assert_eq!(c.memory_lent_kib(), 0);
    }

    #[tokio::test]
    async fn a_message_is_admitted_by_its_length_and_topped_up_by_its_decoding() {
        let c = Capacity::new(CapacitySettings {
            max_large_calls: 1,
            memory_bytes: 64 * 1024 * 1024,
            ..CapacitySettings::default()
        });
        let call = || Admission::call(c.clone(), c.admit_call().unwrap());
        // A small message: no slot for large calls, the least reservation (64 KiB).
        let small = call();
        small.announce(1000).await.unwrap();
        assert_eq!(c.memory_lent_kib(), 64);
        // Decoding it takes 100 KB: 100,000 + 1,000 - 65,536 more bytes, 35 KiB rounded up.
        small.decoding(1000, 100_000).unwrap();
        assert_eq!(c.memory_lent_kib(), 64 + 35);
        assert_eq!(small.take_decoded().kib(), 99);
        assert_eq!(c.memory_lent_kib(), 0);
        // A large message takes the one slot for large calls: 17 x 100 KB reserved.
        let large = call();
        large.announce(100 * 1024).await.unwrap();
        assert_eq!(c.memory_lent_kib(), 1700);
        let second = call();
        assert!(matches!(
            second.announce(100 * 1024).await,
            Err(ApiError::Overloaded {
                resource: Resource::LargeCalls,
                ..
            })
        ));
        drop(large);
        assert_eq!(c.memory_lent_kib(), 0);
        assert!(second.announce(100 * 1024).await.is_ok());
    }
}
