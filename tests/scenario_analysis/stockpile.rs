//! Stockpile cover: the covered delta felt only after the stock runs out.

use crate::common::{TestServer, amount, calculate, deck};
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

/// Seven stockpiled materials m1..m7, 1 kg each, 10/kg to 11/kg: delta 7.00, covered delta
/// 7.00, 6 of 12 months relieve 3.50: 3.50. The formula names five and counts the rest.
#[tokio::test]
async fn a_stockpile_of_many_materials_names_five_and_counts_the_rest() {
    let server = TestServer::start().await;
    let ids: Vec<String> = (1..=7).map(|i| format!("m{i}")).collect();
    let items: Vec<_> = ids
        .iter()
        .map(|m| json!({"id": m, "materialId": m, "quantity": "1", "unit": "UNIT_OF_MEASURE_KG"}))
        .collect();
    let prices =
        |p: &'static str| -> Vec<(&str, &str)> { ids.iter().map(|m| (m.as_str(), p)).collect() };
    let r = calculate(
        &server,
        json!({
            "bom": {"id": "many", "currency": "USD", "items": items},
            "baselinePrices": deck("p0", &prices("10")), "scenarioPrices": deck("p1", &prices("11")),
            "baselineScheduleId": "us-2026",
            "options": {"entryDate": "2026-03-02", "stockpile":
                {"coverMonths": "6", "horizonMonths": "12", "materialIds": ids}}
        }),
    )
    .await;
    let sp = r.stockpile.as_ref().unwrap();
    assert_eq!(amount(&sp.covered_delta), "7.00");
    assert_eq!(amount(&sp.effective_delta), "3.50");
    assert!(
        sp.formula
            .contains("(goods delta of m1, m2, m3, m4, m5 and 2 more)"),
        "{}",
        sp.formula
    );
}
