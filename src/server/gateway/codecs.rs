//! The message types of each route: a gateway request is the JSON form of the gRPC request
//! (proto3 JSON, the mapping grpcurl uses), encoded to protobuf and sent through the gRPC
//! stack; the answer goes back the other way, or, when the client accepts `text/csv` or the
//! XLSX type, as the flat export `calc --format csv|xlsx` writes.

use crate::catalog::Catalog;
use crate::export;
use crate::pb;
use prost::Message;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// A response's protobuf and its request's JSON form to the rows of the flat export.
type ToRows = fn(&Catalog, &Value, &[u8]) -> Result<Vec<export::Row>, String>;

/// How one RPC's messages convert.
#[derive(Clone, Copy)]
pub(super) struct Codec {
    /// The request's JSON form to protobuf; the error names the message and what is wrong.
    pub request: fn(Value) -> Result<Vec<u8>, String>,
    /// The response's protobuf to JSON.
    pub response: fn(&[u8]) -> Result<Vec<u8>, String>,
    /// The response's protobuf and the request's JSON form to the export's rows, for the
    /// RPCs a spreadsheet export exists for.
    pub export: Option<ToRows>,
}

fn request<T: DeserializeOwned + Message + prost::Name>(v: Value) -> Result<Vec<u8>, String> {
    serde_json::from_value::<T>(v)
        .map(|m| m.encode_to_vec())
        .map_err(|e| format!("invalid {}: {e}", T::full_name()))
}

fn response<T: Message + Default + Serialize>(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let m = T::decode(bytes).map_err(|e| format!("undecodable response: {e}"))?;
    serde_json::to_vec(&m).map_err(|e| e.to_string())
}

fn impact_rows(catalog: &Catalog, req: &Value, bytes: &[u8]) -> Result<Vec<export::Row>, String> {
    let r = pb::CalculateImpactResponse::decode(bytes).map_err(|e| e.to_string())?;
    let req: pb::CalculateImpactRequest =
        serde_json::from_value(req.clone()).map_err(|e| e.to_string())?;
    Ok(export::rows::impact(&r, export::impact_bom(catalog, &req)))
}

fn compare_rows(catalog: &Catalog, req: &Value, bytes: &[u8]) -> Result<Vec<export::Row>, String> {
    let r = pb::CompareScenariosResponse::decode(bytes).map_err(|e| e.to_string())?;
    let req: pb::CompareScenariosRequest =
        serde_json::from_value(req.clone()).map_err(|e| e.to_string())?;
    Ok(export::rows::compare(
        &r,
        export::compare_bom(catalog, &req),
    ))
}

macro_rules! codec {
    ($req:ty, $resp:ty) => {
        Codec {
            request: request::<$req>,
            response: response::<$resp>,
            export: None,
        }
    };
}

/// The catalog reference of the BOM a costing response's inputs cite (`id@version` for a
/// saved version, the id of a preset), when the BOM came from the catalog: what the export's
/// rows must describe, whatever was saved since.
pub(super) fn cited_bom(grpc_path: &str, bytes: &[u8]) -> Option<String> {
    let inputs = match grpc_path.rsplit('/').next()? {
        "CalculateImpact" => pb::CalculateImpactResponse::decode(bytes).ok()?.inputs,
        "CompareScenarios" => {
            let first = pb::CompareScenariosResponse::decode(bytes)
                .ok()?
                .scenarios
                .into_iter()
                .next()?;
            first.result?.inputs
        }
        _ => None,
    }?;
    let bom = inputs.bom?;
    if !bom.preset {
        return None;
    }
    Some(if bom.version > 0 {
        crate::catalog::versioned::key(&bom.id, bom.version)
    } else {
        bom.id
    })
}

/// The codec of gRPC method `grpc_path`, if the gateway serves it.
pub(super) fn of(grpc_path: &str) -> Option<Codec> {
    let name = grpc_path.rsplit('/').next()?;
    Some(match name {
        "CalculateImpact" => Codec {
            export: Some(impact_rows),
            ..codec!(pb::CalculateImpactRequest, pb::CalculateImpactResponse)
        },
        "CompareScenarios" => Codec {
            export: Some(compare_rows),
            ..codec!(pb::CompareScenariosRequest, pb::CompareScenariosResponse)
        },
        "AnalyzeSensitivity" => {
            codec!(
                pb::AnalyzeSensitivityRequest,
                pb::AnalyzeSensitivityResponse
            )
        }
        "ListBoms" => codec!(pb::ListBomsRequest, pb::ListBomsResponse),
        "GetBom" => codec!(pb::GetBomRequest, pb::GetBomResponse),
        "ListPriceDecks" => codec!(pb::ListPriceDecksRequest, pb::ListPriceDecksResponse),
        "GetPriceDeck" => codec!(pb::GetPriceDeckRequest, pb::GetPriceDeckResponse),
        "ListFxDecks" => codec!(pb::ListFxDecksRequest, pb::ListFxDecksResponse),
        "GetFxDeck" => codec!(pb::GetFxDeckRequest, pb::GetFxDeckResponse),
        "ListTariffSchedules" => {
            codec!(
                pb::ListTariffSchedulesRequest,
                pb::ListTariffSchedulesResponse
            )
        }
        "GetTariffSchedule" => codec!(pb::GetTariffScheduleRequest, pb::GetTariffScheduleResponse),
        "LookupMeasures" => codec!(pb::LookupMeasuresRequest, pb::LookupMeasuresResponse),
        "ParseBomCsv" => codec!(pb::ParseBomCsvRequest, pb::ParseBomCsvResponse),
        "CreateCatalogObject" => codec!(
            pb::CreateCatalogObjectRequest,
            pb::CreateCatalogObjectResponse
        ),
        "UpdateCatalogObject" => codec!(
            pb::UpdateCatalogObjectRequest,
            pb::UpdateCatalogObjectResponse
        ),
        "DeleteCatalogObject" => codec!(
            pb::DeleteCatalogObjectRequest,
            pb::DeleteCatalogObjectResponse
        ),
        "GetCatalogObject" => codec!(pb::GetCatalogObjectRequest, pb::GetCatalogObjectResponse),
        "ListCatalogObjects" => {
            codec!(
                pb::ListCatalogObjectsRequest,
                pb::ListCatalogObjectsResponse
            )
        }
        "ListCatalogObjectVersions" => codec!(
            pb::ListCatalogObjectVersionsRequest,
            pb::ListCatalogObjectVersionsResponse
        ),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    /// Every route the protos annotate has its codec: an annotation added without one would
    /// be a route that answers nothing.
    #[test]
    fn every_annotated_method_has_a_codec() {
        for r in super::super::routes::all() {
            assert!(super::of(r.grpc_path).is_some(), "{}", r.grpc_path);
        }
    }
}
