//! `tariff.v1.CatalogService`: lists and returns the presets as stored, so a user can edit one
//! and send it back inline; looks up a line's measures; reads a CSV BOM into the `Bom`
//! message (under the server's guards, like a calculation: see [`super::bom_csv`]).

use super::Context;
use super::bom_csv;
use super::guard::{Guard, parts, respond};
use crate::catalog::Entry;
use crate::pb;
use crate::pb::catalog_service_server::CatalogService;
use tonic::{Request, Response, Status};

/// The catalog service.
#[derive(Debug, Clone)]
pub struct CatalogApi {
    ctx: Context,
    guard: Guard,
}

impl CatalogApi {
    /// A service listing `ctx`'s catalog, its CSV reads within `ctx`'s limits and each under
    /// `guard`.
    pub fn new(ctx: Context, guard: Guard) -> Self {
        Self { ctx, guard }
    }
}

fn not_found(kind: &'static str, id: &str, list_rpc: &'static str) -> Status {
    crate::api::ApiError::NotFound {
        field: "id".to_string(),
        kind,
        id: id.to_string(),
        list_rpc,
    }
    .into()
}

/// A preset as its list shows it.
trait Listed {
    fn summary(&self) -> pb::PresetSummary;
}

impl Listed for pb::Bom {
    fn summary(&self) -> pb::PresetSummary {
        pb::PresetSummary {
            id: self.id.clone(),
            name: self.name.clone(),
            description: self.description.clone(),
            source: self.source.clone(),
            as_of_date: String::new(),
        }
    }
}

/// A dated preset (price deck, tariff schedule, FX deck): its date is listed too.
macro_rules! dated {
    ($($t:ty),*) => {$(
        impl Listed for $t {
            fn summary(&self) -> pb::PresetSummary {
                pb::PresetSummary {
                    id: self.id.clone(),
                    name: self.name.clone(),
                    description: self.description.clone(),
                    source: self.source.clone(),
                    as_of_date: self.as_of_date.clone(),
                }
            }
        }
    )*};
}
dated!(pb::PriceDeck, pb::TariffSchedule, pb::FxDeck);

fn summaries<'a, P: Listed + 'a, D: 'a>(
    entries: impl Iterator<Item = &'a Entry<P, D>>,
) -> Vec<pb::PresetSummary> {
    entries.map(|e| e.proto.summary()).collect()
}

#[tonic::async_trait]
impl CatalogService for CatalogApi {
    async fn list_boms(
        &self,
        _: Request<pb::ListBomsRequest>,
    ) -> Result<Response<pb::ListBomsResponse>, Status> {
        let boms = summaries(self.ctx.catalog.boms());
        Ok(Response::new(pb::ListBomsResponse { boms }))
    }

    async fn get_bom(
        &self,
        req: Request<pb::GetBomRequest>,
    ) -> Result<Response<pb::GetBomResponse>, Status> {
        let id = req.into_inner().id;
        let e = self
            .ctx
            .catalog
            .bom(&id)
            .ok_or_else(|| not_found("BOM", &id, "tariff.v1.CatalogService/ListBoms"))?;
        Ok(Response::new(pb::GetBomResponse {
            bom: Some(e.proto.as_ref().clone()),
        }))
    }

    async fn list_price_decks(
        &self,
        _: Request<pb::ListPriceDecksRequest>,
    ) -> Result<Response<pb::ListPriceDecksResponse>, Status> {
        let price_decks = summaries(self.ctx.catalog.price_decks());
        Ok(Response::new(pb::ListPriceDecksResponse { price_decks }))
    }

    async fn get_price_deck(
        &self,
        req: Request<pb::GetPriceDeckRequest>,
    ) -> Result<Response<pb::GetPriceDeckResponse>, Status> {
        let id = req.into_inner().id;
        let e = self.ctx.catalog.price_deck(&id).ok_or_else(|| {
            not_found("price deck", &id, "tariff.v1.CatalogService/ListPriceDecks")
        })?;
        Ok(Response::new(pb::GetPriceDeckResponse {
            price_deck: Some(e.proto.as_ref().clone()),
        }))
    }

    async fn list_fx_decks(
        &self,
        _: Request<pb::ListFxDecksRequest>,
    ) -> Result<Response<pb::ListFxDecksResponse>, Status> {
        let fx_decks = summaries(self.ctx.catalog.fx_decks());
        Ok(Response::new(pb::ListFxDecksResponse { fx_decks }))
    }

    async fn get_fx_deck(
        &self,
        req: Request<pb::GetFxDeckRequest>,
    ) -> Result<Response<pb::GetFxDeckResponse>, Status> {
        let id = req.into_inner().id;
        let e = self
            .ctx
            .catalog
            .fx_deck(&id)
            .ok_or_else(|| not_found("FX deck", &id, "tariff.v1.CatalogService/ListFxDecks"))?;
        Ok(Response::new(pb::GetFxDeckResponse {
            fx_deck: Some(e.proto.as_ref().clone()),
        }))
    }

    async fn list_tariff_schedules(
        &self,
        _: Request<pb::ListTariffSchedulesRequest>,
    ) -> Result<Response<pb::ListTariffSchedulesResponse>, Status> {
        let tariff_schedules = summaries(self.ctx.catalog.tariff_schedules());
        Ok(Response::new(pb::ListTariffSchedulesResponse {
            tariff_schedules,
        }))
    }

    async fn get_tariff_schedule(
        &self,
        req: Request<pb::GetTariffScheduleRequest>,
    ) -> Result<Response<pb::GetTariffScheduleResponse>, Status> {
        let id = req.into_inner().id;
        let e = self.ctx.catalog.tariff_schedule(&id).ok_or_else(|| {
            not_found(
                "tariff schedule",
                &id,
                "tariff.v1.CatalogService/ListTariffSchedules",
            )
        })?;
        Ok(Response::new(pb::GetTariffScheduleResponse {
            tariff_schedule: Some(e.proto.as_ref().clone()),
        }))
    }

    async fn lookup_measures(
        &self,
        req: Request<pb::LookupMeasuresRequest>,
    ) -> Result<Response<pb::LookupMeasuresResponse>, Status> {
        crate::api::lookup::lookup(&self.ctx.catalog, &req.into_inner())
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
}
