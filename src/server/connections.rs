//! Accepting connections without letting them pile up:
//!
//! - at most `max_connections` open at once: at the limit, the oldest connection without a
//!   stream (a client that connected and never sent a request, or went quiet) makes room for
//!   the new one; if every connection has a stream open, the new one is closed at once, so
//!   its client fails fast instead of hanging in the listen backlog. A flood of idle
//!   connections therefore cannot lock real clients out;
//! - a connection that has not sent a complete request within the handshake timeout (a
//!   half-sent HTTP/2 preface, a TLS handshake that never ends, a TCP connection that sends
//!   nothing) is closed, and so is one with no open stream for the idle timeout;
//! - when accepting fails because the process is out of file descriptors (or the kernel of
//!   buffers), the loop closes the oldest idle connection to free one and backs off instead
//!   of spinning on the error.
//!
//! The server's admission layer counts the streams open on each connection
//! ([`ConnInfo::stream_opened`]); a watchdog task per connection closes it when it has been
//! without streams for too long, by making its next read fail. An idle connection has no
//! call in flight, so closing it loses nothing; clients reconnect on their next call.

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::server::Connected;

/// Limits on connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionSettings {
    /// Connections open at once (`--max-connections`).
    pub max_connections: usize,
    /// Longest a new connection may take to send its first complete request
    /// (`--handshake-timeout-seconds`).
    pub handshake_timeout: Duration,
    /// Longest a connection may stay open with no stream (`--idle-timeout-seconds`).
    pub idle_timeout: Duration,
    /// TCP keepalive probes on accepted sockets.
    pub tcp_keepalive: Duration,
}

impl Default for ConnectionSettings {
    fn default() -> Self {
        ConnectionSettings {
            max_connections: 256,
            handshake_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            tcp_keepalive: Duration::from_secs(30),
        }
    }
}

/// What the server knows of one connection; every request on it carries a copy.
#[derive(Debug, Clone)]
pub struct ConnInfo {
    /// The client's address.
    pub remote_addr: Option<SocketAddr>,
    state: Arc<ConnState>,
}

#[derive(Debug)]
struct ConnState {
    open_streams: AtomicUsize,
    ever_streamed: AtomicBool,
    /// When the last stream ended (or the connection was accepted).
    quiet_since: Mutex<Instant>,
    closed: AtomicBool,
    reader: Mutex<Option<Waker>>,
}

impl ConnState {
    fn close(&self) {
        self.closed.store(true, Ordering::Release);
        if let Some(w) = self.reader.lock().ok().and_then(|mut w| w.take()) {
            w.wake();
        }
    }
}

/// A stream counted as open on its connection until dropped.
#[derive(Debug)]
pub struct OpenStream(Arc<ConnState>);

impl Drop for OpenStream {
    fn drop(&mut self) {
        if self.0.open_streams.fetch_sub(1, Ordering::AcqRel) == 1
            && let Ok(mut t) = self.0.quiet_since.lock()
        {
            *t = Instant::now();
        }
    }
}

impl ConnInfo {
    /// Counts one more stream open on this connection, until the result is dropped.
    pub fn stream_opened(&self) -> OpenStream {
        self.state.open_streams.fetch_add(1, Ordering::AcqRel);
        self.state.ever_streamed.store(true, Ordering::Release);
        OpenStream(self.state.clone())
    }
}

/// An accepted connection: the socket, and the state its watchdog (or an eviction) closes it
/// by. It counts towards the connection limit until dropped.
#[derive(Debug)]
pub struct GuardedIo {
    tcp: TcpStream,
    info: ConnInfo,
    open: Arc<AtomicUsize>,
}

impl Drop for GuardedIo {
    fn drop(&mut self) {
        // Ends the watchdog.
        self.info.state.closed.store(true, Ordering::Release);
        self.open.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The connections in the order they were accepted, to find the oldest one without a stream.
#[derive(Default)]
struct Registry {
    order: VecDeque<Weak<ConnState>>,
}

impl Registry {
    /// Closes the oldest live connection with no stream open; whether there was one.
    fn evict_idle(&mut self) -> bool {
        self.order.retain(|w| {
            w.upgrade()
                .is_some_and(|s| !s.closed.load(Ordering::Acquire))
        });
        let victim = self
            .order
            .iter()
            .filter_map(Weak::upgrade)
            .find(|s| s.open_streams.load(Ordering::Acquire) == 0);
        match victim {
            Some(s) => {
                s.close();
                true
            }
            None => false,
        }
    }
}

fn closed() -> io::Error {
    io::Error::new(
        io::ErrorKind::TimedOut,
        "connection closed by the server: idle",
    )
}

impl AsyncRead for GuardedIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let state = &self.info.state;
        if state.closed.load(Ordering::Acquire) {
            return Poll::Ready(Err(closed()));
        }
        if let Ok(mut w) = state.reader.lock() {
            match w.as_ref() {
                Some(old) if old.will_wake(cx.waker()) => {}
                _ => *w = Some(cx.waker().clone()),
            }
        }
        Pin::new(&mut self.tcp).poll_read(cx, buf)
    }
}

impl AsyncWrite for GuardedIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.info.state.closed.load(Ordering::Acquire) {
            return Poll::Ready(Err(closed()));
        }
        Pin::new(&mut self.tcp).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tcp).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tcp).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if self.info.state.closed.load(Ordering::Acquire) {
            return Poll::Ready(Err(closed()));
        }
        Pin::new(&mut self.tcp).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }
}

impl Connected for GuardedIo {
    type ConnectInfo = ConnInfo;

    fn connect_info(&self) -> ConnInfo {
        self.info.clone()
    }
}

/// Closes the connection of `state` when it has had no stream for too long.
async fn watchdog(state: Arc<ConnState>, settings: ConnectionSettings) {
    loop {
        if state.closed.load(Ordering::Acquire) {
            return;
        }
        let limit = if state.ever_streamed.load(Ordering::Acquire) {
            settings.idle_timeout
        } else {
            settings.handshake_timeout
        };
        let quiet_since = state
            .quiet_since
            .lock()
            .map(|t| *t)
            .unwrap_or_else(|_| Instant::now());
        let quiet = quiet_since.elapsed();
        if state.open_streams.load(Ordering::Acquire) == 0 && quiet >= limit {
            tracing::debug!(
                handshake = !state.ever_streamed.load(Ordering::Acquire),
                "closing a connection without streams"
            );
            state.close();
            return;
        }
        // Check again when the quiet period could end (or soon after a stream ends).
        let next = limit.saturating_sub(quiet).max(Duration::from_millis(100));
        tokio::time::sleep(next.min(limit)).await;
    }
}

/// Whether an accept error means the process or the kernel is out of a resource, so the
/// loop must wait before trying again.
fn out_of_resources(e: &io::Error) -> bool {
    // EMFILE, ENFILE, ENOBUFS, ENOMEM.
    matches!(e.raw_os_error(), Some(24 | 23 | 105 | 12))
}

/// Longest back-off after repeated resource errors.
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// Accepts connections from `listener` under `settings`: the stream tonic serves. When
/// tonic stops accepting (the shutdown signal) it drops the stream, and the listener is
/// closed at once, so new clients are refused rather than left hanging.
pub fn incoming(
    listener: TcpListener,
    settings: ConnectionSettings,
) -> ReceiverStream<Result<GuardedIo, io::Error>> {
    let (tx, rx) = mpsc::channel(32);
    let open = Arc::new(AtomicUsize::new(0));
    let mut registry = Registry::default();
    tokio::spawn(async move {
        let mut backoff = Duration::from_millis(5);
        loop {
            let accepted = tokio::select! {
                () = tx.closed() => return,
                a = listener.accept() => a,
            };
            let (tcp, remote) = match accepted {
                Ok(a) => {
                    backoff = Duration::from_millis(5);
                    a
                }
                Err(e) if out_of_resources(&e) => {
                    // Out of file descriptors: an idle connection gives its own back.
                    let evicted = registry.evict_idle();
                    tracing::warn!(error = %e, evicted, backoff_ms = backoff.as_millis() as u64, "accept failed: out of resources; backing off");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    continue;
                }
                Err(e) => {
                    tracing::debug!(error = %e, "accept failed");
                    continue;
                }
            };
            // At the limit, an idle connection makes room (it closes at its next read, so the
            // count may exceed the limit by the evictions still closing); if none is idle, the
            // new connection is refused.
            if open.load(Ordering::Acquire) >= settings.max_connections.max(1)
                && !registry.evict_idle()
            {
                tracing::debug!(%remote, "connection limit reached; closing the new connection");
                drop(tcp);
                continue;
            }
            // Without TCP_NODELAY a response's trailers wait for the client's delayed ACK,
            // about 40 ms per call.
            let _ = tcp.set_nodelay(true);
            let sock = socket2::SockRef::from(&tcp);
            let _ = sock
                .set_tcp_keepalive(&socket2::TcpKeepalive::new().with_time(settings.tcp_keepalive));
            let state = Arc::new(ConnState {
                open_streams: AtomicUsize::new(0),
                ever_streamed: AtomicBool::new(false),
                quiet_since: Mutex::new(Instant::now()),
                closed: AtomicBool::new(false),
                reader: Mutex::new(None),
            });
            tokio::spawn(watchdog(state.clone(), settings));
            registry.order.push_back(Arc::downgrade(&state));
            if registry.order.len() > 2 * settings.max_connections.max(1) {
                registry.order.retain(|w| {
                    w.upgrade()
                        .is_some_and(|s| !s.closed.load(Ordering::Acquire))
                });
            }
            open.fetch_add(1, Ordering::AcqRel);
            let io = GuardedIo {
                tcp,
                info: ConnInfo {
                    remote_addr: Some(remote),
                    state,
                },
                open: open.clone(),
            };
            if tx.send(Ok(io)).await.is_err() {
                return;
            }
        }
    });
    ReceiverStream::new(rx)
}
