//! The codec of the project's gRPC services (set in `build.rs`): prost encoding, and a
//! decoder that [`scan`]s every message against its descriptor before prost decodes it.
//!
//! - A message prost would reject is INVALID_ARGUMENT with a `google.rpc.BadRequest` naming
//!   the field (`bom.items[3].id: invalid UTF-8`), not prost's INTERNAL: the fault is the
//!   client's.
//! - A message whose decoded form would take more than its allowance
//!   ([`decoded_allowance`]: 64 times its size) is RESOURCE_EXHAUSTED before it is allocated;
//!   within it, what decoding takes beyond what the transport reserved when the message's
//!   length arrived is reserved from the server's pool for the call (see [`Admission`]).
//! - In a `CalculateBatch` stream, a malformed item must fail alone: tonic ends a stream at
//!   its decoder's first error, so the decoder answers such an item with an empty request
//!   (keeping its `request_id` when that much is readable) and leaves the error for the batch
//!   loop to take with [`take_item_failure`] right after it receives the item.

use super::{Schema, api_schema, scan};
use crate::api::ApiError;
#[cfg(test)]
use crate::api::budget::MAX_DECODED_RATIO;
use crate::api::budget::decoded_allowance;
use crate::api::capacity::Admission;
use crate::api::error::Budget;
use bytes::Buf;
use prost::{Message, Name};
use std::cell::RefCell;
use std::marker::PhantomData;
use tonic::Status;
use tonic::codec::{BufferSettings, DecodeBuf, Decoder, EncodeBuf, Encoder};

/// The codec: `T` is encoded, `U` decoded.
#[derive(Debug)]
pub struct Codec<T, U>(PhantomData<(T, U)>);

impl<T, U> Default for Codec<T, U> {
    fn default() -> Self {
        Codec(PhantomData)
    }
}

impl<T, U> tonic::codec::Codec for Codec<T, U>
where
    T: Message + Send + 'static,
    U: Message + Name + Default + Send + 'static,
{
    type Encode = T;
    type Decode = U;
    type Encoder = ProstEncoder<T>;
    type Decoder = ScanningDecoder<U>;

    fn encoder(&mut self) -> Self::Encoder {
        ProstEncoder(PhantomData)
    }

    fn decoder(&mut self) -> Self::Decoder {
        ScanningDecoder(PhantomData)
    }
}

/// Encodes with prost.
#[derive(Debug)]
pub struct ProstEncoder<T>(PhantomData<T>);

impl<T: Message> Encoder for ProstEncoder<T> {
    type Item = T;
    type Error = Status;

    fn encode(&mut self, item: T, buf: &mut EncodeBuf<'_>) -> Result<(), Status> {
        // Only a full buffer fails an encoding, and tonic's buffer grows.
        item.encode(buf)
            .map_err(|_| Status::from(ApiError::Internal))
    }

    fn buffer_settings(&self) -> BufferSettings {
        BufferSettings::default()
    }
}

/// Scans, then decodes with prost.
#[derive(Debug)]
pub struct ScanningDecoder<U>(PhantomData<U>);

/// The full name of the batch request, whose items fail alone.
const BATCH_REQUEST: &str = "tariff.v1.CalculateBatchRequest";

thread_local! {
    /// Why the batch item just decoded on this thread was replaced by an empty request.
    static ITEM_FAILURE: RefCell<Option<ApiError>> = const { RefCell::new(None) };
}

/// Takes the failure of the batch item just received, if it was malformed. Call it right
/// after the stream yields the item: the decoder runs in the same poll, on the same thread.
pub fn take_item_failure() -> Option<ApiError> {
    ITEM_FAILURE.with(|f| f.borrow_mut().take())
}

/// Checks `bytes` as a message of type `full_name`; returns the bytes it will take once
/// decoded.
pub fn check(schema: &Schema, full_name: &str, bytes: &[u8]) -> Result<u64, ApiError> {
    let Some(id) = schema.message(full_name) else {
        // Every type the services decode is in the schema; a test proves it.
        return Ok(0);
    };
    let shape = scan(schema, id, bytes).map_err(ApiError::Malformed)?;
    let allowed = decoded_allowance(bytes.len());
    if shape.decoded_bytes > allowed {
        return Err(ApiError::OverBudget {
            budget: Budget::Decoding,
            estimate: shape.decoded_bytes,
            limit: allowed,
            flag: "fixed: a message may decode to 64 times its size",
            hint: "the message is mostly empty elements; send items with their fields",
        });
    }
    Ok(shape.decoded_bytes)
}

/// Checks `bytes`, and reserves the memory decoding them takes for the call being decoded.
fn admit(full_name: &str, bytes: &[u8]) -> Result<(), ApiError> {
    let decoded = check(api_schema(), full_name, bytes)?;
    match Admission::current() {
        Some(a) => a.decoding(bytes.len(), decoded),
        None => Ok(()),
    }
}

/// The `request_id` (field 1) of a batch request, if it can be read from `bytes`.
fn salvage_request_id(mut bytes: &[u8]) -> Option<String> {
    while bytes.has_remaining() {
        let key = prost::encoding::decode_varint(&mut bytes).ok()?;
        let (field, wire_type) = (key >> 3, key & 7);
        match wire_type {
            0 => {
                prost::encoding::decode_varint(&mut bytes).ok()?;
            }
            1 => bytes = bytes.get(8..)?,
            5 => bytes = bytes.get(4..)?,
            2 => {
                let len = usize::try_from(prost::encoding::decode_varint(&mut bytes).ok()?).ok()?;
                let value = bytes.get(..len)?;
                if field == 1 {
                    return String::from_utf8(value.to_vec()).ok();
                }
                bytes = &bytes[len..];
            }
            _ => return None,
        }
    }
    None
}

impl<U: Message + Name + Default> Decoder for ScanningDecoder<U> {
    type Item = U;
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<U>, Status> {
        let len = buf.remaining();
        // tonic hands over one whole message; copy only if it ever arrives in pieces.
        let owned;
        let bytes: &[u8] = if buf.chunk().len() == len {
            buf.chunk()
        } else {
            owned = buf.copy_to_bytes(len);
            &owned
        };
        let full_name = U::full_name();
        match admit(&full_name, bytes) {
            Ok(()) => {}
            Err(e) if full_name == BATCH_REQUEST => {
                let mut placeholder = Vec::new();
                if let Some(id) = salvage_request_id(bytes) {
                    prost::encoding::string::encode(1, &id, &mut placeholder);
                }
                ITEM_FAILURE.with(|f| *f.borrow_mut() = Some(e));
                if buf.remaining() > 0 {
                    buf.advance(buf.remaining());
                }
                return Ok(Some(U::decode(&placeholder[..]).unwrap_or_default()));
            }
            Err(e) => return Err(Status::from(e)),
        }
        let item = if buf.remaining() == len {
            U::decode(buf)
        } else {
            U::decode(bytes)
        };
        // The scan accepts exactly what prost accepts; this is a safety net.
        item.map(Some).map_err(|e| {
            Status::from(ApiError::Malformed(super::Violation {
                field: String::new(),
                reason: super::MALFORMED_WIRE,
                description: format!("the message is not valid protobuf: {e}"),
            }))
        })
    }

    fn buffer_settings(&self) -> BufferSettings {
        BufferSettings::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pb;

    #[test]
    fn every_message_the_services_decode_is_in_the_schema() {
        for name in [
            pb::CalculateImpactRequest::full_name(),
            pb::CompareScenariosRequest::full_name(),
            pb::AnalyzeSensitivityRequest::full_name(),
            pb::CalculateBatchRequest::full_name(),
            pb::ListBomsRequest::full_name(),
            pb::GetBomRequest::full_name(),
            pb::ListPriceDecksRequest::full_name(),
            pb::GetPriceDeckRequest::full_name(),
            pb::ListTariffSchedulesRequest::full_name(),
            pb::GetTariffScheduleRequest::full_name(),
            pb::LookupMeasuresRequest::full_name(),
            pb::ParseBomCsvRequest::full_name(),
            pb::bench::EchoRequest::full_name(),
            pb::CalculateImpactResponse::full_name(),
        ] {
            assert!(api_schema().message(&name).is_some(), "{name}");
        }
    }

    #[test]
    fn invalid_utf8_is_a_client_error_naming_the_field() {
        // bom (field 2) { id (field 1): 0xff }
        let bytes = [0x12, 0x03, 0x0a, 0x01, 0xff];
        let e = check(api_schema(), "tariff.v1.CalculateImpactRequest", &bytes).unwrap_err();
        assert_eq!(e.code(), tonic::Code::InvalidArgument);
        let v = &e.violations()[0];
        assert_eq!((v.field.as_str(), v.reason), ("bom.id", "INVALID_UTF8"));
    }

    #[test]
    fn a_message_of_empty_items_is_refused_before_decoding() {
        let bom = pb::Bom {
            items: vec![pb::BomItem::default(); 100_000],
            ..Default::default()
        };
        let bytes = pb::CalculateImpactRequest {
            bom_source: Some(pb::calculate_impact_request::BomSource::Bom(bom)),
            ..Default::default()
        }
        .encode_to_vec();
        let e = check(api_schema(), "tariff.v1.CalculateImpactRequest", &bytes).unwrap_err();
        assert_eq!(e.code(), tonic::Code::ResourceExhausted, "{e:?}");
    }

    /// Real BOMs of the smallest items (an id, a material, a quantity, a unit) and of
    /// imported components stay within the allowance, with room to spare.
    #[test]
    fn real_boms_decode_within_their_allowance() {
        let minimal = |i: usize| pb::BomItem {
            id: format!("m{i}"),
            material_id: "nd-oxide".into(),
            quantity: "1.8".into(),
            unit: 1,
            ..Default::default()
        };
        let imported = |i: usize| pb::BomItem {
            id: format!("c{i}"),
            unit_price: "12.50".into(),
            quantity: "2".into(),
            import: Some(Box::new(pb::ImportDeclaration {
                hts_code: "8505.11.0070".into(),
                origin: "CN".into(),
                transport_mode: 1,
                ..Default::default()
            })),
            ..Default::default()
        };
        for item in [&minimal as &dyn Fn(usize) -> pb::BomItem, &imported] {
            let bom = pb::Bom {
                id: "b".into(),
                currency: "USD".into(),
                items: (0..10_000).map(item).collect(),
                ..Default::default()
            };
            let bytes = pb::CalculateImpactRequest {
                bom_source: Some(pb::calculate_impact_request::BomSource::Bom(bom)),
                ..Default::default()
            }
            .encode_to_vec();
            let id = api_schema()
                .message("tariff.v1.CalculateImpactRequest")
                .unwrap();
            let shape = scan(api_schema(), id, &bytes).unwrap();
            let ratio = shape.decoded_bytes / bytes.len() as u64;
            assert!(ratio <= MAX_DECODED_RATIO / 2, "{ratio}x");
            check(api_schema(), "tariff.v1.CalculateImpactRequest", &bytes).unwrap();
        }
    }

    #[test]
    fn a_batch_request_id_is_salvaged_from_a_malformed_item() {
        let mut bytes = Vec::new();
        prost::encoding::string::encode(1, &"item-7".to_string(), &mut bytes);
        bytes.extend_from_slice(&[0x12, 0x03, 0x12, 0x01, 0x0a]);
        assert_eq!(salvage_request_id(&bytes).as_deref(), Some("item-7"));
        assert_eq!(salvage_request_id(&[0x0a, 0x05, b'a']), None);
    }
}
