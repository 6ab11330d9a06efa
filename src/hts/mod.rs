//! The official US tariff data: the USITC HTS export and its rate texts, read into the
//! engine's measures. Nothing here knows RPCs or listeners; the catalog compiles what this
//! reads into schedules.

pub mod bundled;
pub mod cited;
pub mod compile;
pub mod derivatives;
pub mod export;
pub mod heading;
pub mod lists;
pub mod metal_shares;
pub mod official;
pub mod rate;
