//! Admission before decoding: a tower layer in front of every service that
//!
//! - takes a slot for each tariff call (and batch stream) when its headers arrive, and
//!   answers RESOURCE_EXHAUSTED at once when none is free: what waits in the server is
//!   bounded, and so is how long a call can wait behind others;
//! - when a request message's 5-byte gRPC prefix announces its length, before the message
//!   is buffered: takes a slot for a large unary call (over 16 KiB), and reserves memory from
//!   the server's pool for the message and what it is expected to take once decoded (see
//!   [`Admission::announce`]; the decoder reserves more if it finds it needs more). A unary
//!   call that finds no slot or no memory is answered RESOURCE_EXHAUSTED; a batch stream
//!   waits for memory. Small calls need no such slot, so a flood of large requests cannot
//!   crowd out a small one;
//! - counts the streams open on each connection, so idle connections can be closed (see
//!   [`super::connections`]).
//!
//! Health checks and reflection are only counted, never shed: overload is the callers'
//! signal, and a busy server must not look dead to its orchestrator.

use super::connections::ConnInfo;
use crate::api::ApiError;
use crate::api::capacity::{Admission, Capacity};
use bytes::{Buf, Bytes};
use http::{Request, Response};
use http_body::{Body, Frame};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tonic::Status;
use tonic::transport::server::TlsConnectInfo;
use tower::{Layer, Service};

/// The admission layer for one server.
#[derive(Debug, Clone)]
pub(crate) struct AdmissionLayer {
    capacity: Arc<Capacity>,
    max_message: usize,
}

impl AdmissionLayer {
    /// Admits calls against `capacity`; messages over `max_message` bytes are left for the
    /// decoder to refuse (it does so from their prefix, without buffering them).
    pub(crate) fn new(capacity: Arc<Capacity>, max_message: usize) -> Self {
        AdmissionLayer {
            capacity,
            max_message,
        }
    }
}

impl<S> Layer<S> for AdmissionLayer {
    type Service = AdmissionService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        AdmissionService {
            inner,
            capacity: self.capacity.clone(),
            max_message: self.max_message,
        }
    }
}

/// See [`AdmissionLayer`].
#[derive(Debug, Clone)]
pub(crate) struct AdmissionService<S> {
    inner: S,
    capacity: Arc<Capacity>,
    max_message: usize,
}

/// What a request is, for admission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A unary call on a tariff service.
    Call,
    /// A `CalculateBatch` stream.
    Stream,
    /// Health, reflection and anything else: counted, not gated.
    Open,
}

fn kind(path: &str) -> Kind {
    if path == "/tariff.v1.CostImpactService/CalculateBatch" {
        Kind::Stream
    } else if path.starts_with("/tariff.v1.") {
        Kind::Call
    } else {
        Kind::Open
    }
}

/// The connection a request arrived on, plaintext or TLS.
fn connection<B>(req: &Request<B>) -> Option<ConnInfo> {
    req.extensions().get::<ConnInfo>().cloned().or_else(|| {
        req.extensions()
            .get::<TlsConnectInfo<ConnInfo>>()
            .map(|t| t.get_ref().clone())
    })
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S> Service<Request<tonic::body::Body>> for AdmissionService<S>
where
    S: Service<Request<tonic::body::Body>, Response = Response<tonic::body::Body>>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = Response<tonic::body::Body>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<tonic::body::Body>) -> Self::Future {
        let open = connection(&req).map(|c| c.stream_opened());
        let kind = kind(req.uri().path());
        let admitted = match kind {
            Kind::Call => self
                .capacity
                .admit_call()
                .map(|slot| Admission::call(self.capacity.clone(), slot)),
            Kind::Stream => self
                .capacity
                .admit_stream()
                .map(|slot| Admission::stream(self.capacity.clone(), slot)),
            Kind::Open => {
                let fut = self.inner.call(req);
                return Box::pin(async move {
                    let resp = fut.await?;
                    Ok(resp.map(|b| {
                        tonic::body::Body::new(Counted {
                            inner: b,
                            _open: open,
                        })
                    }))
                });
            }
        };
        let admission = match admitted {
            Ok(a) => a,
            Err(e) => {
                let status = Status::from(e);
                tracing::info!(
                    rpc = super::telemetry::rpc_label(req.uri().path()),
                    message = status.message(),
                    "shed before decoding"
                );
                return Box::pin(async move { Ok(status.into_http()) });
            }
        };
        let body = std::mem::take(req.body_mut());
        *req.body_mut() =
            tonic::body::Body::new(Metered::new(body, admission.clone(), self.max_message));
        req.extensions_mut().insert(admission.clone());
        let fut = admission.clone().scope(self.inner.call(req));
        Box::pin(async move {
            let resp = fut.await?;
            // A unary call's slot and memory are given back when its handler is done; a
            // stream's handler took its slot for the stream's life.
            drop(admission);
            Ok(resp.map(|b| {
                tonic::body::Body::new(Counted {
                    inner: b,
                    _open: open,
                })
            }))
        })
    }
}

/// A response body that keeps its stream counted as open on its connection until it is
/// dropped (sent, or abandoned).
struct Counted {
    inner: tonic::body::Body,
    _open: Option<super::connections::OpenStream>,
}

impl Body for Counted {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// Where a request body is in the gRPC framing: reading a 5-byte prefix, or `left` bytes of
/// a message.
#[derive(Debug, Clone, Copy)]
enum Framing {
    Prefix { have: usize, buf: [u8; 5] },
    Message { left: usize },
}

/// A request body that admits each message when its prefix arrives.
struct Metered {
    inner: tonic::body::Body,
    admission: Admission,
    max_message: usize,
    framing: Framing,
    /// A frame held back until its message is admitted.
    held: Option<Frame<Bytes>>,
    pending: Option<BoxFuture<Result<(), ApiError>>>,
}

impl Metered {
    fn new(inner: tonic::body::Body, admission: Admission, max_message: usize) -> Self {
        Metered {
            inner,
            admission,
            max_message,
            framing: Framing::Prefix {
                have: 0,
                buf: [0; 5],
            },
            held: None,
            pending: None,
        }
    }

    /// Follows the framing through `data`; returns the lengths of the messages whose
    /// prefixes it completes.
    fn scan(&mut self, mut data: &[u8]) -> Vec<usize> {
        let mut started = Vec::new();
        while !data.is_empty() {
            match &mut self.framing {
                Framing::Prefix { have, buf } => {
                    let n = (5 - *have).min(data.len());
                    buf[*have..*have + n].copy_from_slice(&data[..n]);
                    *have += n;
                    data = &data[n..];
                    if *have == 5 {
                        let len = u32::from_be_bytes([buf[1], buf[2], buf[3], buf[4]]) as usize;
                        started.push(len);
                        self.framing = if len == 0 {
                            Framing::Prefix {
                                have: 0,
                                buf: [0; 5],
                            }
                        } else {
                            Framing::Message { left: len }
                        };
                    }
                }
                Framing::Message { left } => {
                    let n = (*left).min(data.len());
                    *left -= n;
                    data = &data[n..];
                    if *left == 0 {
                        self.framing = Framing::Prefix {
                            have: 0,
                            buf: [0; 5],
                        };
                    }
                }
            }
        }
        started
    }
}

impl Body for Metered {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = &mut *self;
        if let Some(pending) = this.pending.as_mut() {
            let admitted = std::task::ready!(pending.as_mut().poll(cx));
            this.pending = None;
            if let Err(e) = admitted {
                return Poll::Ready(Some(Err(Status::from(e))));
            }
            return Poll::Ready(this.held.take().map(Ok));
        }
        let frame = match std::task::ready!(Pin::new(&mut this.inner).poll_frame(cx)) {
            Some(Ok(frame)) => frame,
            other => return Poll::Ready(other),
        };
        let Some(data) = frame.data_ref() else {
            return Poll::Ready(Some(Ok(frame)));
        };
        // A frame rarely starts more than one message; admit the largest. A message over
        // the size limit is left for the decoder to refuse from its prefix.
        let started = this.scan(data.chunk());
        let Some(len) = started.into_iter().max().filter(|l| *l <= this.max_message) else {
            return Poll::Ready(Some(Ok(frame)));
        };
        let admission = this.admission.clone();
        this.pending = Some(Box::pin(async move { admission.announce(len).await }));
        this.held = Some(frame);
        // Polled now: a unary call is admitted or refused at once; a stream may wait.
        Pin::new(this).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.held.is_none() && self.pending.is_none() && self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tariff_calls_are_gated_and_health_is_not() {
        assert_eq!(
            kind("/tariff.v1.CostImpactService/CalculateImpact"),
            Kind::Call
        );
        assert_eq!(kind("/tariff.v1.CatalogService/ListBoms"), Kind::Call);
        assert_eq!(
            kind("/tariff.v1.CostImpactService/CalculateBatch"),
            Kind::Stream
        );
        assert_eq!(kind("/grpc.health.v1.Health/Check"), Kind::Open);
        assert_eq!(
            kind("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"),
            Kind::Open
        );
    }

    #[test]
    fn message_lengths_are_read_from_prefixes_split_across_frames() {
        let capacity = Capacity::new(Default::default());
        let mut m = Metered::new(
            tonic::body::Body::default(),
            Admission::call(capacity.clone(), capacity.admit_call().unwrap()),
            usize::MAX,
        );
        // Two messages (3 and 0 bytes), then a prefix split in two frames announcing 300.
        assert_eq!(
            m.scan(&[0, 0, 0, 0, 3, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0]),
            vec![3, 0]
        );
        assert_eq!(m.scan(&[0, 1, 44]), vec![300]);
        assert_eq!(m.scan(&[7; 299]), Vec::<usize>::new());
        assert_eq!(m.scan(&[7, 0, 0, 0, 0, 1]), vec![1]);
    }
}
