//! A line's own import declaration, found in the request's BOM by the line's field path: the
//! response names each line's path and field path but not its HTS code and origin, which an
//! analyst filters and pivots by.

use crate::pb;

/// A node a field path can stop at.
enum Node<'a> {
    Root,
    Item(&'a pb::BomItem),
    Shared(&'a pb::SharedAssembly),
    Share(&'a pb::SourcingShare),
}

/// The import declaration of the item (or sourcing share) at `field_path`, e.g.
/// `bom.items[0].children[1]`, `bom.shared_assemblies[0].children[2]` or
/// `bom.items[3].sourcing[1]`, in `bom`; `None` when the line is not itself imported or the
/// path does not lead to an item of `bom`. Leading segments without an index (`bom`,
/// `calculation.bom`) are the BOM's own place in its request.
pub(crate) fn declaration<'a>(
    bom: &'a pb::Bom,
    field_path: &str,
) -> Option<&'a pb::ImportDeclaration> {
    let mut node = Node::Root;
    for segment in field_path.split('.').skip_while(|s| !s.contains('[')) {
        let (name, index) = segment.strip_suffix(']')?.split_once('[')?;
        let i: usize = index.parse().ok()?;
        node = match (node, name) {
            (Node::Root, "items") => Node::Item(bom.items.get(i)?),
            (Node::Root, "shared_assemblies") => Node::Shared(bom.shared_assemblies.get(i)?),
            (Node::Item(item), "children") => Node::Item(item.children.get(i)?),
            (Node::Shared(s), "children") => Node::Item(s.children.get(i)?),
            (Node::Item(item), "sourcing") => Node::Share(item.sourcing.get(i)?),
            _ => return None,
        };
    }
    match node {
        Node::Item(item) => item.import.as_deref(),
        Node::Share(share) => share.import.as_ref(),
        Node::Root | Node::Shared(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bom() -> pb::Bom {
        let import = |code: &str, origin: &str| serde_json::json!({"htsCode": code, "origin": origin, "transportMode": "TRANSPORT_MODE_OCEAN"});
        serde_json::from_value(serde_json::json!({
            "id": "b", "currency": "USD",
            "items": [
                {"id": "motor", "children": [
                    {"id": "magnets", "assemblyRef": "magnet-set", "import": import("8505.11", "CN")},
                    {"id": "shaft", "unitPrice": "3"}]},
                {"id": "nd", "materialId": "nd-oxide", "quantity": "1", "unit": "UNIT_OF_MEASURE_KG",
                 "sourcing": [
                    {"id": "cn", "share": "0.7", "import": import("2846.90", "CN")},
                    {"id": "recycled", "share": "0.3"}]}],
            "sharedAssemblies": [{"id": "magnet-set", "children": [
                {"id": "block", "unitPrice": "9", "import": import("8505.19", "JP")}]}]
        }))
        .unwrap()
    }

    fn code(field_path: &str) -> Option<(String, String)> {
        let b = bom();
        declaration(&b, field_path).map(|d| (d.hts_code.clone(), d.origin.clone()))
    }

    /// Items, shared assemblies' children and sourcing shares are found under any root;
    /// lines without a declaration of their own and paths that lead nowhere have none.
    #[test]
    fn finds_each_kind_of_line_by_its_field_path() {
        let d = |c: &str, o: &str| Some((c.to_string(), o.to_string()));
        assert_eq!(code("bom.items[0].children[0]"), d("8505.11", "CN"));
        assert_eq!(
            code("calculation.bom.items[0].children[0]"),
            d("8505.11", "CN")
        );
        assert_eq!(
            code("bom.shared_assemblies[0].children[0]"),
            d("8505.19", "JP")
        );
        assert_eq!(code("bom.items[1].sourcing[0]"), d("2846.90", "CN"));
        assert_eq!(code("bom.items[1].sourcing[1]"), None, "domestic share");
        assert_eq!(code("bom.items[0]"), None, "not imported itself");
        assert_eq!(code("bom.items[0].children[1]"), None);
        assert_eq!(code("bom.items[2]"), None, "no such item");
        assert_eq!(code("bom.items[0].sourcing[0]"), None, "no such share");
        assert_eq!(code("bom.items[x]"), None);
        assert_eq!(code("bom"), None);
    }
}
