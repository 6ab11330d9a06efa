//! `tariff.v1.CatalogService`: lists and returns the catalog (presets and saved objects) as
//! stored, so a user can edit an object and send it back inline or save it; saves, updates and
//! deletes versioned objects ([`super::catalog_objects`]); looks up a line's measures; reads a
//! CSV BOM into the `Bom` message (under the server's guards, like a calculation: see
//! [`super::bom_csv`]).

use super::bom_csv;
use super::catalog_objects::{self as objects, origin_pb};
use super::guard::{Guard, parts, respond};
use super::{ApiError, Context, refs};
use crate::catalog::{Header, Kind, Object};
use crate::pb;
use crate::pb::catalog_service_server::CatalogService;
use std::sync::Arc;
use tonic::metadata::MetadataMap;
use tonic::{Request, Response, Status};

/// Checks that a caller may write the catalog (the bearer token, when the server has one).
pub type WriteCheck = Arc<dyn Fn(&MetadataMap) -> Result<(), Status> + Send + Sync>;

/// The catalog service.
#[derive(Clone)]
pub struct CatalogApi {
    ctx: Context,
    guard: Guard,
    may_write: WriteCheck,
}

impl std::fmt::Debug for CatalogApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CatalogApi")
            .field("ctx", &self.ctx)
            .finish()
    }
}

impl CatalogApi {
    /// A service over `ctx`'s catalog, its CSV reads within `ctx`'s limits and each under
    /// `guard`; writes pass `may_write` first.
    pub fn new(ctx: Context, guard: Guard, may_write: WriteCheck) -> Self {
        Self {
            ctx,
            guard,
            may_write,
        }
    }

    /// The context of one call naming `refs`.
    async fn ctx(&self, refs: &refs::Refs<'_>) -> Result<Context, Status> {
        self.ctx.for_request(refs).await.map_err(Status::from)
    }

    /// The object (kind, id) as the typed Get RPCs return it.
    async fn object(&self, kind: Kind, id: &str, list_rpc: &'static str) -> Result<Object, Status> {
        let ctx = self.ctx(&vec![(kind, id)]).await?;
        ctx.catalog.object(kind, id).map(|(_, o)| o).ok_or_else(|| {
            ApiError::NotFound {
                field: "id".to_string(),
                kind: objects::kind_name(kind),
                id: id.to_string(),
                list_rpc,
            }
            .into()
        })
    }

    fn summaries(&self, kind: Kind) -> Vec<pb::PresetSummary> {
        let catalog = match &self.ctx.live {
            Some(live) => live.snapshot(),
            None => self.ctx.catalog.clone(),
        };
        catalog.headers(kind).iter().map(summary).collect()
    }
}

fn summary(h: &Header) -> pb::PresetSummary {
    pb::PresetSummary {
        id: h.id.clone(),
        name: h.name.clone(),
        description: h.description.clone(),
        source: h.source.clone(),
        as_of_date: h.as_of_date.clone(),
        origin: origin_pb(h.origin) as i32,
        version: h.version,
    }
}

fn answer<T>(rpc: &'static str, r: Result<T, ApiError>) -> Result<Response<T>, Status> {
    if let Err(e) = &r {
        tracing::info!(target: crate::observe::DETAILS, rpc, code = e.code_name(), "{e}");
    }
    r.map(Response::new).map_err(Status::from)
}

#[tonic::async_trait]
impl CatalogService for CatalogApi {
    async fn list_boms(
        &self,
        _: Request<pb::ListBomsRequest>,
    ) -> Result<Response<pb::ListBomsResponse>, Status> {
        let boms = self.summaries(Kind::Bom);
        Ok(Response::new(pb::ListBomsResponse { boms }))
    }

    async fn get_bom(
        &self,
        req: Request<pb::GetBomRequest>,
    ) -> Result<Response<pb::GetBomResponse>, Status> {
        let id = req.into_inner().id;
        let o = self
            .object(Kind::Bom, &id, "tariff.v1.CatalogService/ListBoms")
            .await?;
        let Object::Bom(bom) = o else {
            return Err(ApiError::Internal.into());
        };
        Ok(Response::new(pb::GetBomResponse { bom: Some(bom) }))
    }

    async fn list_price_decks(
        &self,
        _: Request<pb::ListPriceDecksRequest>,
    ) -> Result<Response<pb::ListPriceDecksResponse>, Status> {
        let price_decks = self.summaries(Kind::PriceDeck);
        Ok(Response::new(pb::ListPriceDecksResponse { price_decks }))
    }

    async fn get_price_deck(
        &self,
        req: Request<pb::GetPriceDeckRequest>,
    ) -> Result<Response<pb::GetPriceDeckResponse>, Status> {
        let id = req.into_inner().id;
        let o = self
            .object(
                Kind::PriceDeck,
                &id,
                "tariff.v1.CatalogService/ListPriceDecks",
            )
            .await?;
        let Object::PriceDeck(d) = o else {
            return Err(ApiError::Internal.into());
        };
        Ok(Response::new(pb::GetPriceDeckResponse {
            price_deck: Some(d),
        }))
    }

    async fn list_fx_decks(
        &self,
        _: Request<pb::ListFxDecksRequest>,
    ) -> Result<Response<pb::ListFxDecksResponse>, Status> {
        let fx_decks = self.summaries(Kind::FxDeck);
        Ok(Response::new(pb::ListFxDecksResponse { fx_decks }))
    }

    async fn get_fx_deck(
        &self,
        req: Request<pb::GetFxDeckRequest>,
    ) -> Result<Response<pb::GetFxDeckResponse>, Status> {
        let id = req.into_inner().id;
        let o = self
            .object(Kind::FxDeck, &id, "tariff.v1.CatalogService/ListFxDecks")
            .await?;
        let Object::FxDeck(d) = o else {
            return Err(ApiError::Internal.into());
        };
        Ok(Response::new(pb::GetFxDeckResponse { fx_deck: Some(d) }))
    }

    async fn list_tariff_schedules(
        &self,
        _: Request<pb::ListTariffSchedulesRequest>,
    ) -> Result<Response<pb::ListTariffSchedulesResponse>, Status> {
        let tariff_schedules = self.summaries(Kind::TariffSchedule);
        Ok(Response::new(pb::ListTariffSchedulesResponse {
            tariff_schedules,
        }))
    }

    async fn get_tariff_schedule(
        &self,
        req: Request<pb::GetTariffScheduleRequest>,
    ) -> Result<Response<pb::GetTariffScheduleResponse>, Status> {
        let id = req.into_inner().id;
        let o = self
            .object(
                Kind::TariffSchedule,
                &id,
                "tariff.v1.CatalogService/ListTariffSchedules",
            )
            .await?;
        let Object::TariffSchedule(s) = o else {
            return Err(ApiError::Internal.into());
        };
        Ok(Response::new(pb::GetTariffScheduleResponse {
            tariff_schedule: Some(s),
        }))
    }

    async fn lookup_measures(
        &self,
        req: Request<pb::LookupMeasuresRequest>,
    ) -> Result<Response<pb::LookupMeasuresResponse>, Status> {
        let req = req.into_inner();
        let ctx = self.ctx(&refs::lookup(&req)).await?;
        crate::api::lookup::lookup(&ctx.catalog, &req)
            .map(Response::new)
            .map_err(Status::from)
    }

    async fn parse_bom_csv(
        &self,
        request: Request<pb::ParseBomCsvRequest>,
    ) -> Result<Response<pb::ParseBomCsvResponse>, Status> {
        let (metadata, size, decoded, req) = parts(request);
        let ctx = self.ctx.clone();
        let prepare = move || bom_csv::prepare(&ctx, req);
        let r = self.guard.run(&metadata, size, decoded, prepare).await;
        respond("ParseBomCsv", r)
    }

    async fn create_catalog_object(
        &self,
        req: Request<pb::CreateCatalogObjectRequest>,
    ) -> Result<Response<pb::CreateCatalogObjectResponse>, Status> {
        (self.may_write)(req.metadata())?;
        let r = objects::create(&self.ctx, req.into_inner()).await;
        let r = r.map(|o| pb::CreateCatalogObjectResponse { object: Some(o) });
        answer("CreateCatalogObject", r)
    }

    async fn update_catalog_object(
        &self,
        req: Request<pb::UpdateCatalogObjectRequest>,
    ) -> Result<Response<pb::UpdateCatalogObjectResponse>, Status> {
        (self.may_write)(req.metadata())?;
        let r = objects::update(&self.ctx, req.into_inner()).await;
        let r = r.map(|o| pb::UpdateCatalogObjectResponse { object: Some(o) });
        answer("UpdateCatalogObject", r)
    }

    async fn delete_catalog_object(
        &self,
        req: Request<pb::DeleteCatalogObjectRequest>,
    ) -> Result<Response<pb::DeleteCatalogObjectResponse>, Status> {
        (self.may_write)(req.metadata())?;
        let r = objects::delete(&self.ctx, req.into_inner()).await;
        let r = r.map(|o| pb::DeleteCatalogObjectResponse { object: Some(o) });
        answer("DeleteCatalogObject", r)
    }

    async fn get_catalog_object(
        &self,
        req: Request<pb::GetCatalogObjectRequest>,
    ) -> Result<Response<pb::GetCatalogObjectResponse>, Status> {
        let req = req.into_inner();
        let kind = Kind::ALL
            .into_iter()
            .find(|k| objects::kind_pb(*k) as i32 == req.kind);
        let refs = kind.map(|k| vec![(k, req.id.as_str())]).unwrap_or_default();
        let ctx = self.ctx(&refs).await?;
        let r = objects::get(&ctx, &req).map(|o| pb::GetCatalogObjectResponse { object: Some(o) });
        answer("GetCatalogObject", r)
    }

    async fn list_catalog_objects(
        &self,
        req: Request<pb::ListCatalogObjectsRequest>,
    ) -> Result<Response<pb::ListCatalogObjectsResponse>, Status> {
        let ctx = self.ctx(&Vec::new()).await?;
        answer("ListCatalogObjects", objects::list(&ctx, &req.into_inner()))
    }

    async fn list_catalog_object_versions(
        &self,
        req: Request<pb::ListCatalogObjectVersionsRequest>,
    ) -> Result<Response<pb::ListCatalogObjectVersionsResponse>, Status> {
        let ctx = self.ctx(&Vec::new()).await?;
        let r = objects::versions(&ctx, &req.into_inner()).await;
        answer("ListCatalogObjectVersions", r)
    }
}
