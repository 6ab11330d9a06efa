//! A message already encoded: its bytes go on the wire as they are.
//!
//! A unary `CalculateImpact` answer is written straight from the engine's result
//! (`api::response_wire`) rather than built as `pb::` structs of owned strings only to be
//! encoded and dropped; the benchmark's `EchoAnswer` sends one such answer again and again.
//! Both hand tonic an [`Encoded`], which the codec encodes by copying its bytes.

use bytes::{Buf, BufMut, Bytes};
use prost::Message;
use std::marker::PhantomData;

/// The encoding of one message of type `M` (`M` only names it, for [`prost::Name`]).
pub struct Encoded<M> {
    bytes: Bytes,
    message: PhantomData<fn() -> M>,
}

impl<M> Encoded<M> {
    /// Bytes that are the encoding of an `M`.
    pub fn new(bytes: Bytes) -> Self {
        Encoded {
            bytes,
            message: PhantomData,
        }
    }

    /// The bytes.
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// The bytes, decoded.
    pub fn decode(&self) -> Result<M, prost::DecodeError>
    where
        M: Message + Default,
    {
        M::decode(self.bytes.clone())
    }
}

impl<M> Clone for Encoded<M> {
    fn clone(&self) -> Self {
        Encoded::new(self.bytes.clone())
    }
}

impl<M> Default for Encoded<M> {
    fn default() -> Self {
        Encoded::new(Bytes::new())
    }
}

impl<M> PartialEq for Encoded<M> {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

impl<M> std::fmt::Debug for Encoded<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Encoded({} bytes)", self.bytes.len())
    }
}

/// Encoding copies the bytes; decoding (by a client that asks for an `Encoded`) keeps them.
impl<M: Send + Sync> Message for Encoded<M> {
    fn encode_raw(&self, buf: &mut impl BufMut) {
        buf.put_slice(&self.bytes);
    }

    fn merge(&mut self, mut buf: impl Buf) -> Result<(), prost::DecodeError> {
        let n = buf.remaining();
        self.bytes = buf.copy_to_bytes(n);
        Ok(())
    }

    fn merge_field(
        &mut self,
        tag: u32,
        wire_type: prost::encoding::WireType,
        buf: &mut impl Buf,
        ctx: prost::encoding::DecodeContext,
    ) -> Result<(), prost::DecodeError> {
        prost::encoding::skip_field(wire_type, tag, buf, ctx)
    }

    fn encoded_len(&self) -> usize {
        self.bytes.len()
    }

    fn clear(&mut self) {
        self.bytes.clear();
    }
}

impl<M: prost::Name + Send + Sync> prost::Name for Encoded<M> {
    const NAME: &'static str = M::NAME;
    const PACKAGE: &'static str = M::PACKAGE;
}
