//! Incentive credits: kept up to (and at) the maximum restricted-origin share, only inside
//! their dates.

use crate::common::{TestServer, amount, calculate, deck};
use serde_json::{Value, json};

/// A 7,500 credit lost when more than half the Nd oxide value is Chinese. 1 kg: 45% from
/// China, 55% from Australia. Baseline 100/kg each: share 45 / 100 = 0.45, kept. Scenario CN
/// at 150/kg: 67.50 / 122.50 = 0.55 > 0.5, lost. Unit cost: 40,000 + 100 - 7,500 = 32,600.00
/// -> 40,000 + 122.50 = 40,122.50; delta 7,522.50, all price effect.
#[tokio::test]
async fn incentive_credit_flips_when_the_china_share_crosses_the_threshold() {
    let server = TestServer::start().await;
    let credit = json!({"id": "clean-vehicle", "name": "Clean vehicle credit", "creditAmount": "7500",
                        "restrictedOrigins": ["CN"], "maxRestrictedShare": "0.5", "materialIds": ["nd-oxide-cn", "nd-oxide-au"]});
    let bom = json!({"id": "ev", "currency": "USD", "items": [
        {"id": "nd", "materialId": "nd-oxide", "quantity": "1", "unit": "UNIT_OF_MEASURE_KG", "sourcing": [
            {"id": "cn", "share": "0.45", "materialId": "nd-oxide-cn", "import": {"htsCode": "2846.90", "origin": "CN", "transportMode": "TRANSPORT_MODE_OCEAN"}},
            {"id": "au", "share": "0.55", "materialId": "nd-oxide-au", "import": {"htsCode": "2846.90", "origin": "AU", "transportMode": "TRANSPORT_MODE_OCEAN"}}]},
        {"id": "rest", "unitPrice": "40000"}]});
    let r = calculate(
        &server,
        json!({
            "bom": bom,
            "baselinePrices": deck("p0", &[("nd-oxide-cn", "100"), ("nd-oxide-au", "100")]),
            "scenarioPrices": deck("p1", &[("nd-oxide-cn", "150"), ("nd-oxide-au", "100")]),
            "baselineSchedule": {"id": "s", "currency": "USD", "incentives": [credit]},
            "options": {"entryDate": "2026-03-02"}
        }),
    )
    .await;
    let inc = &r.incentives[0];
    let (b, s) = (
        inc.baseline.as_ref().unwrap(),
        inc.scenario.as_ref().unwrap(),
    );
    assert!(b.kept && !s.kept);
    assert_eq!(
        (b.restricted_share.as_str(), amount(&b.credit)),
        ("0.45", "-7500.00")
    );
    assert_eq!(amount(&s.credit), "0.00");
    assert!(
        s.formula
            .starts_with("restricted share 67.50 / 122.50 USD = 0.55102"),
        "{}",
        s.formula
    );
    assert_eq!(amount(&r.baseline_unit_cost), "32600.00");
    assert_eq!(amount(&r.scenario_unit_cost), "40122.50");
    assert_eq!(amount(&r.delta), "7522.50");
    assert_eq!(amount(&r.effects.as_ref().unwrap().price_effect), "7522.50");
}

/// The Nd oxide mix of the incentive test, with the Chinese share `cn` of 1 kg, priced 100/kg.
fn incentive_case(cn: &str, au: &str, credit: Value, entry_date: &str) -> Value {
    let bom = json!({"id": "ev", "currency": "USD", "items": [
        {"id": "nd", "materialId": "nd-oxide", "quantity": "1", "unit": "UNIT_OF_MEASURE_KG", "sourcing": [
            {"id": "cn", "share": cn, "materialId": "nd-oxide-cn", "import": {"htsCode": "2846.90", "origin": "CN", "transportMode": "TRANSPORT_MODE_OCEAN"}},
            {"id": "au", "share": au, "materialId": "nd-oxide-au", "import": {"htsCode": "2846.90", "origin": "AU", "transportMode": "TRANSPORT_MODE_OCEAN"}}]},
        {"id": "rest", "unitPrice": "40000"}]});
    json!({
        "bom": bom,
        "baselinePrices": deck("p0", &[("nd-oxide-cn", "100"), ("nd-oxide-au", "100")]),
        "baselineSchedule": {"id": "s", "currency": "USD", "incentives": [credit]},
        "options": {"entryDate": entry_date}
    })
}

/// The threshold is inclusive: a restricted share exactly at the maximum keeps the credit.
/// 0.5 kg of 1 kg from China at equal prices: 50.00 / 100.00 = 0.5 <= 0.5, kept:
/// 40,000 + 100 - 7,500 = 32,600.00. One gram more (0.501): 50.10 / 100.00 > 0.5, lost.
#[tokio::test]
async fn incentive_credit_is_kept_at_exactly_the_maximum_share() {
    let server = TestServer::start().await;
    let credit = json!({"id": "cv", "creditAmount": "7500", "restrictedOrigins": ["CN"], "maxRestrictedShare": "0.5"});
    for (cn, au, kept, unit) in [
        ("0.5", "0.5", true, "32600.00"),
        ("0.501", "0.499", false, "40100.00"),
    ] {
        let r = calculate(
            &server,
            incentive_case(cn, au, credit.clone(), "2026-03-02"),
        )
        .await;
        let b = r.incentives[0].baseline.as_ref().unwrap();
        assert_eq!(b.kept, kept, "share {cn}");
        assert_eq!(amount(&r.baseline_unit_cost), unit, "share {cn}");
    }
}

/// An incentive applies only on entry dates in its window [from, to): before it starts and
/// from its end date on, no credit, whatever the share; inside it, the 7,500 credit.
#[tokio::test]
async fn incentive_applies_only_inside_its_dates() {
    let server = TestServer::start().await;
    let credit = json!({"id": "cv", "creditAmount": "7500", "restrictedOrigins": ["CN"], "maxRestrictedShare": "0.5",
                        "effectiveFrom": "2026-01-01", "effectiveTo": "2027-01-01"});
    for (date, credit_amount, kept) in [
        ("2025-12-31", "0.00", false),
        ("2026-01-01", "-7500.00", true),
        ("2026-12-31", "-7500.00", true),
        ("2027-01-01", "0.00", false),
    ] {
        let r = calculate(&server, incentive_case("0.2", "0.8", credit.clone(), date)).await;
        let b = r.incentives[0].baseline.as_ref().unwrap();
        assert_eq!((amount(&b.credit), b.kept), (credit_amount, kept), "{date}");
        if !kept {
            assert_eq!(b.formula, format!("not in force on {date}"));
        }
    }
}
