//! Operating the service: what an operator sees (metrics on the admin listener, readiness,
//! spans exported over OTLP to a real receiver), what stays private (request contents out of
//! logs, labels and spans), and scale-out (a batch spread over three replicas, one killed
//! mid-run, every product answered exactly once with the fleet totals of a single replica).
//! Every test runs the real binary, started on 127.0.0.1:0.
#![allow(unreachable_pub)]

mod metrics;
mod privacy;
mod replica;
mod scale_out;
mod traces;
