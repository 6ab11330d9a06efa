//! Stockpile cover: the covered delta felt only after the stock runs out.

use crate::common::{TestServer, amount, calculate};
use crate::seed_ev;
use serde_json::json;

/// Stockpile on the seed EV (delta 315.00): a stock covering the whole 12-month horizon
/// gives 0.00; 6 of 12 months halves it to 157.50; stockpiling Nd oxide only for 6 of 12
/// months relieves half its 248.40: 315.00 - 124.20 = 190.80.
#[tokio::test]
async fn stockpile_cover_spreads_the_delta_over_the_horizon() {
    let server = TestServer::start().await;
    for (stockpile, effective) in [
        (json!({"coverMonths": "12", "horizonMonths": "12"}), "0.00"),
        (json!({"coverMonths": "18", "horizonMonths": "12"}), "0.00"),
        (json!({"coverMonths": "6", "horizonMonths": "12"}), "157.50"),
        (
            json!({"coverMonths": "6", "horizonMonths": "12", "materialIds": ["nd-oxide"]}),
            "190.80",
        ),
    ] {
        let r = calculate(&server, seed_ev(json!({"stockpile": stockpile}))).await;
        let sp = r.stockpile.as_ref().unwrap();
        assert_eq!(amount(&sp.effective_delta), effective, "{stockpile}");
        assert_eq!(amount(&r.delta), "315.00");
    }
}
