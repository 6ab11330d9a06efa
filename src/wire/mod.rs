//! A schema-driven check of protobuf bytes before prost decodes them.
//!
//! prost reports malformed input as an opaque `DecodeError` naming Rust structs, and it
//! allocates while it decodes: a 4 MiB request of millions of empty sub-messages becomes
//! about a gigabyte of structs. [`scan`] walks the raw bytes of a request against its
//! message descriptor first. It accepts exactly what prost would accept, so every malformed
//! input becomes a [`Violation`] naming the field path (`bom.items[3].children[0].id`), and it
//! returns the [`Shape`] of what decoding would build, so an oversized one can be refused
//! before it is allocated.
//!
//! [`Schema`] holds the descriptors flattened into tables; [`api_schema`] is the one for this
//! crate's API, built once.

pub mod codec;
mod encoded;
mod scan;
mod schema;

pub use codec::Codec;
pub use encoded::Encoded;
pub use scan::{
    INVALID_UTF8, MALFORMED_WIRE, MAX_NESTING, NESTING_TOO_DEEP, Shape, Violation,
    WIRE_TYPE_MISMATCH, scan,
};
pub use schema::{MessageId, Schema, api_schema};
