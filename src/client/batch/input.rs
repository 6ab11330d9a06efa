//! The batch file: one `CalculateBatchRequest` per line in proto3 JSON (what grpcurl sends
//! on a `CalculateBatch` stream). Every item needs an id the client can reconcile answers by:
//! a missing `request_id` becomes `line-N` (N counts from 1), and two items with the same id
//! are refused before anything is sent, since their answers could not be told apart.

use crate::pb;
use std::collections::HashMap;
use std::io::BufRead;

/// The items of `reader`, ids checked.
pub fn read(reader: impl BufRead) -> Result<Vec<pb::CalculateBatchRequest>, String> {
    let mut items = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, line) in reader.lines().enumerate() {
        let n = i + 1;
        let line = line.map_err(|e| format!("line {n}: {e}"))?;
        if line.trim().is_empty() {
            continue;
        }
        let mut item: pb::CalculateBatchRequest = serde_json::from_str(&line)
            .map_err(|e| format!("line {n}: not a CalculateBatchRequest in proto3 JSON: {e}"))?;
        if item.request_id.is_empty() {
            item.request_id = format!("line-{n}");
        }
        if let Some(first) = seen.insert(item.request_id.clone(), n) {
            return Err(format!(
                "line {n}: request_id {:?} is also on line {first}; ids must be unique to reconcile answers",
                item.request_id
            ));
        }
        items.push(item);
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_ids_are_numbered_by_line_and_duplicates_refused() {
        let text =
            "{\"requestId\":\"a\",\"calculation\":{\"bomId\":\"x\"}}\n\n{\"calculation\":{}}\n";
        let items = read(text.as_bytes()).unwrap();
        let ids: Vec<_> = items.iter().map(|i| i.request_id.as_str()).collect();
        assert_eq!(ids, ["a", "line-3"]);
        use pb::calculate_impact_request::BomSource;
        let source = items[0].calculation.as_ref().unwrap().bom_source.clone();
        assert_eq!(source, Some(BomSource::BomId("x".into())));

        let dup = "{\"requestId\":\"a\"}\n{\"requestId\":\"b\"}\n{\"requestId\":\"a\"}\n";
        let e = read(dup.as_bytes()).unwrap_err();
        assert!(e.starts_with("line 3:") && e.contains("line 1"), "{e}");

        let e = read("{\"requestId\": 5, \"nope\": 1}\n".as_bytes()).unwrap_err();
        assert!(e.starts_with("line 1: not a CalculateBatchRequest"), "{e}");
    }
}
