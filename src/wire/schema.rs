//! The message descriptors the scanner walks, flattened once into lookup tables.
//!
//! The scanner runs on every request, so it must not chase descriptor protos, hash names or
//! allocate per field. [`Schema`] turns the encoded `FileDescriptorSet`s compiled into the
//! binary into one table per message: its fields by number with their wire shape, and the
//! estimated inline size of the Rust struct prost generates for it.

use prost::Message as _;
use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{DescriptorProto, FileDescriptorSet};
use rustc_hash::{FxHashMap, FxHashSet};
use std::sync::OnceLock;

/// A message type of a [`Schema`]: an index into its tables, so the scanner never looks a
/// type up by name while walking bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MessageId(u32);

impl MessageId {
    fn index(self) -> usize {
        self.0 as usize
    }
}

/// How a field's values travel on the wire: what decides which wire types prost accepts for
/// it and what the scanner checks in its payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// int32, int64, uint32, uint64, sint32, sint64, bool, enum: wire type 0.
    Varint,
    /// fixed32, sfixed32, float: wire type 5.
    Fixed32,
    /// fixed64, sfixed64, double: wire type 1.
    Fixed64,
    /// Length-delimited, must be valid UTF-8.
    String,
    /// Length-delimited, anything.
    Bytes,
    /// Length-delimited embedded message.
    Message(MessageId),
    /// Proto2 group: the message's fields between start- and end-group keys.
    Group(MessageId),
}

/// One field of a message, as the scanner needs it.
#[derive(Debug)]
pub(crate) struct Field {
    /// Field number.
    pub(crate) number: u32,
    /// Name as in the `.proto` file, for violation paths.
    pub(crate) name: Box<str>,
    /// Wire shape.
    pub(crate) kind: Kind,
    /// Whether prost decodes it into a `Vec` (repeated and map fields).
    pub(crate) repeated: bool,
    /// For repeated fields, the index of its occurrence counter among the message's repeated
    /// fields (for `[i]` in paths).
    pub(crate) slot: u32,
    /// For repeated fields, the inline bytes one element takes in the `Vec`'s buffer.
    pub(crate) element_bytes: u64,
}

/// One message type, as the scanner needs it.
#[derive(Debug)]
pub(crate) struct MessageInfo {
    /// Full name without the leading dot.
    pub(crate) full_name: Box<str>,
    /// Fields sorted by number.
    fields: Box<[Field]>,
    /// `dense[n]` is the index in `fields` of field number `n`, or [`NO_FIELD`]; covers the
    /// numbers below `DENSE_LIMIT`, which is every field of ordinary protos.
    dense: Box<[u32]>,
    /// Number of repeated fields (occurrence counters a scan keeps for this message).
    pub(crate) repeated_fields: u32,
    /// Estimated inline size of the generated Rust struct.
    pub(crate) inline_bytes: u64,
}

const NO_FIELD: u32 = u32::MAX;
/// Field numbers below this are found by direct indexing, larger ones by binary search.
const DENSE_LIMIT: u32 = 256;

impl MessageInfo {
    /// The field with this number, if the message declares it.
    #[inline]
    pub(crate) fn field(&self, number: u32) -> Option<&Field> {
        match self.dense.get(number as usize) {
            Some(&NO_FIELD) => None,
            Some(&i) => Some(&self.fields[i as usize]),
            None if number < DENSE_LIMIT => None,
            None => self
                .fields
                .binary_search_by_key(&number, |f| f.number)
                .ok()
                .map(|i| &self.fields[i]),
        }
    }
}

/// Every message type of a set of descriptors, flattened for [`scan`](super::scan).
///
/// Built once and immutable, so one instance serves every request on every thread.
#[derive(Debug)]
pub struct Schema {
    messages: Vec<MessageInfo>,
    by_name: FxHashMap<Box<str>, MessageId>,
}

impl Schema {
    /// From encoded `FileDescriptorSet`s (e.g. [`crate::pb::FILE_DESCRIPTOR_SET`] and
    /// [`crate::pb::bench::FILE_DESCRIPTOR_SET`]), taken as bytes because that is how
    /// `tonic-build` compiles them in. Files may span several sets (an import in one, its
    /// importer in another); a file present in more than one set is read once.
    ///
    /// Fails when a set does not decode or a field names a message type that none of the sets
    /// define: the scanner could not then check that field the way prost would.
    pub fn from_descriptor_sets(sets: &[&[u8]]) -> Result<Schema, prost::DecodeError> {
        let mut decoded = Vec::with_capacity(sets.len());
        for set in sets {
            decoded.push(FileDescriptorSet::decode(*set)?);
        }

        // Every message with its full name, nested types included, first definition winning.
        let mut protos: Vec<(String, &DescriptorProto)> = Vec::new();
        let mut by_name: FxHashMap<Box<str>, MessageId> = FxHashMap::default();
        let mut seen_files = FxHashSet::default();
        for file in decoded.iter().flat_map(|set| &set.file) {
            if !seen_files.insert(file.name()) {
                continue;
            }
            let mut stack: Vec<(String, &DescriptorProto)> = file
                .message_type
                .iter()
                .map(|m| (join_name(file.package(), m.name()), m))
                .collect();
            while let Some((name, proto)) = stack.pop() {
                stack.extend(
                    proto
                        .nested_type
                        .iter()
                        .map(|m| (join_name(&name, m.name()), m)),
                );
                if !by_name.contains_key(name.as_str()) {
                    let id = MessageId(u32::try_from(protos.len()).map_err(|_| {
                        invalid_descriptor("more than 2^32 message types".to_owned())
                    })?);
                    by_name.insert(name.clone().into_boxed_str(), id);
                    protos.push((name, proto));
                }
            }
        }

        // Field tables, with type names resolved to ids.
        let mut messages = Vec::with_capacity(protos.len());
        for (name, proto) in &protos {
            messages.push(build_message(name, proto, &by_name)?);
        }
        let mut schema = Schema { messages, by_name };
        schema.compute_inline_sizes(&protos);
        Ok(schema)
    }

    /// A message by full name without the leading dot, e.g.
    /// `"tariff.v1.CalculateImpactRequest"`: resolved once by the caller, so a scan never
    /// looks names up.
    pub fn message(&self, full_name: &str) -> Option<MessageId> {
        self.by_name.get(full_name).copied()
    }

    /// Full name of a message, for descriptions and diagnostics.
    pub fn message_name(&self, id: MessageId) -> &str {
        &self.info(id).full_name
    }

    /// Estimated inline size in bytes of the Rust struct prost generates for a message (see
    /// [`Shape::decoded_bytes`](super::Shape::decoded_bytes) for what it is used for).
    pub fn inline_bytes(&self, id: MessageId) -> u64 {
        self.info(id).inline_bytes
    }

    #[inline]
    pub(crate) fn info(&self, id: MessageId) -> &MessageInfo {
        &self.messages[id.index()]
    }

    /// Inline sizes per the rules of [`Shape::decoded_bytes`](super::Shape::decoded_bytes):
    /// 24 bytes per string, bytes or repeated field, the scalar's width for scalars, 8 plus
    /// the sub-message for a singular message field (8 alone when prost boxes it because the
    /// field's type contains the message again), 8 plus the largest member for a oneof, the
    /// total rounded up to 8.
    fn compute_inline_sizes(&mut self, protos: &[(String, &DescriptorProto)]) {
        let n = self.messages.len();
        // reach[a][b]: a contains b through singular message fields, as prost-build's message
        // graph sees it (repeated fields are already behind a Vec; groups are not edges there).
        let mut edges: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (m, (_, proto)) in protos.iter().enumerate() {
            for f in &proto.field {
                if f.r#type() == Type::Message
                    && f.label() != Label::Repeated
                    && let Some(id) = self.message(f.type_name().trim_start_matches('.'))
                {
                    edges[m].push(id.index());
                }
            }
        }
        let reach: Vec<Vec<bool>> = (0..n)
            .map(|start| {
                let mut seen = vec![false; n];
                let mut stack = vec![start];
                seen[start] = true;
                while let Some(m) = stack.pop() {
                    for &next in &edges[m] {
                        if !seen[next] {
                            seen[next] = true;
                            stack.push(next);
                        }
                    }
                }
                seen
            })
            .collect();

        let mut memo: Vec<Option<u64>> = vec![None; n];
        for m in 0..n {
            inline_size(m, protos, self, &reach, &mut memo);
        }
        for (info, size) in self.messages.iter_mut().zip(&memo) {
            info.inline_bytes = size.unwrap_or(0);
        }
        // Element sizes of repeated message fields need every message's size.
        for m in 0..n {
            for i in 0..self.messages[m].fields.len() {
                let field = &self.messages[m].fields[i];
                if let (true, Kind::Message(t) | Kind::Group(t)) = (field.repeated, field.kind) {
                    let size = memo[t.index()].unwrap_or(0);
                    self.messages[m].fields[i].element_bytes = size;
                }
            }
        }
    }
}

/// Singular message fields that `build.rs` tells prost to box (`.boxed(...)`): 8 bytes
/// inline. The test of inline sizes fails if this list names a field prost does not box.
const BOXED_FIELDS: &[&str] = &["tariff.v1.BomItem.import"];

/// Memoised inline size of message `m`. Terminates: a singular field whose type can reach its
/// container is boxed (8 bytes, no recursion), so the recursion only descends into types that
/// cannot lead back.
fn inline_size(
    m: usize,
    protos: &[(String, &DescriptorProto)],
    schema: &Schema,
    reach: &[Vec<bool>],
    memo: &mut [Option<u64>],
) -> u64 {
    if let Some(size) = memo[m] {
        return size;
    }
    let proto = protos[m].1;
    let mut total = 0u64;
    let mut oneofs: Vec<u64> = vec![0; proto.oneof_decl.len()];
    for f in &proto.field {
        let repeated = f.label() == Label::Repeated;
        // Size as a plain field, and as a oneof member (no Option wrapper of its own).
        let (plain, member) = if repeated {
            (24, 24)
        } else {
            match f.r#type() {
                Type::String | Type::Bytes => (24, 24),
                Type::Int64
                | Type::Uint64
                | Type::Sint64
                | Type::Fixed64
                | Type::Sfixed64
                | Type::Double => (8, 8),
                Type::Bool => (1, 1),
                Type::Message | Type::Group
                    if BOXED_FIELDS.contains(&join_name(&protos[m].0, f.name()).as_str()) =>
                {
                    (8, 8)
                }
                Type::Message | Type::Group => {
                    match schema.message(f.type_name().trim_start_matches('.')) {
                        Some(t) if !reach[t.index()][m] => {
                            let size = inline_size(t.index(), protos, schema, reach, memo);
                            (8 + size, size)
                        }
                        _ => (8, 8),
                    }
                }
                _ => (4, 4),
            }
        };
        match f.oneof_index.and_then(|i| oneofs.get_mut(i as usize)) {
            Some(largest) => *largest = (*largest).max(member),
            None => total += plain,
        }
    }
    total += oneofs.iter().map(|largest| 8 + largest).sum::<u64>();
    let size = total.div_ceil(8) * 8;
    memo[m] = Some(size);
    size
}

fn join_name(scope: &str, name: &str) -> String {
    if scope.is_empty() {
        name.to_owned()
    } else {
        format!("{scope}.{name}")
    }
}

fn build_message(
    full_name: &str,
    proto: &DescriptorProto,
    by_name: &FxHashMap<Box<str>, MessageId>,
) -> Result<MessageInfo, prost::DecodeError> {
    let mut fields = Vec::with_capacity(proto.field.len());
    let mut repeated_fields = 0u32;
    for f in &proto.field {
        let resolve = || {
            let type_name = f.type_name().trim_start_matches('.');
            by_name.get(type_name).copied().ok_or_else(|| {
                invalid_descriptor(format!(
                    "field {full_name}.{} has type {type_name}, which no descriptor set defines",
                    f.name()
                ))
            })
        };
        let (kind, width) = match f.r#type() {
            Type::Int32 | Type::Uint32 | Type::Sint32 | Type::Enum => (Kind::Varint, 4),
            Type::Int64 | Type::Uint64 | Type::Sint64 => (Kind::Varint, 8),
            Type::Bool => (Kind::Varint, 1),
            Type::Fixed32 | Type::Sfixed32 | Type::Float => (Kind::Fixed32, 4),
            Type::Fixed64 | Type::Sfixed64 | Type::Double => (Kind::Fixed64, 8),
            Type::String => (Kind::String, 24),
            Type::Bytes => (Kind::Bytes, 24),
            Type::Message => (Kind::Message(resolve()?), 0),
            Type::Group => (Kind::Group(resolve()?), 0),
        };
        let repeated = f.label() == Label::Repeated;
        let number = u32::try_from(f.number())
            .ok()
            .filter(|n| (1..=(1 << 29) - 1).contains(n))
            .ok_or_else(|| {
                invalid_descriptor(format!(
                    "field {full_name}.{} has the invalid number {}",
                    f.name(),
                    f.number()
                ))
            })?;
        fields.push(Field {
            number,
            name: f.name().into(),
            kind,
            repeated,
            slot: if repeated { repeated_fields } else { 0 },
            element_bytes: if repeated { width } else { 0 },
        });
        if repeated {
            repeated_fields += 1;
        }
    }
    fields.sort_by_key(|f| f.number);
    let dense_len = fields
        .iter()
        .map(|f| f.number + 1)
        .filter(|&n| n <= DENSE_LIMIT)
        .max()
        .unwrap_or(0);
    let mut dense = vec![NO_FIELD; dense_len as usize].into_boxed_slice();
    for (i, f) in fields.iter().enumerate() {
        if let Some(slot) = dense.get_mut(f.number as usize) {
            // Fields are few; a message never has 2^32 of them.
            *slot = u32::try_from(i).unwrap_or(NO_FIELD);
        }
    }
    Ok(MessageInfo {
        full_name: full_name.into(),
        fields: fields.into_boxed_slice(),
        dense,
        repeated_fields,
        inline_bytes: 0,
    })
}

/// prost offers no public constructor for a [`prost::DecodeError`] other than its deprecated
/// `new`; the signature of [`Schema::from_descriptor_sets`] reports unusable descriptors as
/// decode errors of the descriptor sets, so this is the one place that calls it.
#[allow(deprecated)]
#[cold]
fn invalid_descriptor(description: String) -> prost::DecodeError {
    prost::DecodeError::new(description)
}

/// The schema of this crate's API (`tariff.v1` and `tariff.bench.v1`), built on first use.
///
/// Both descriptor sets are compiled into the binary by `build.rs` from the same protos as the
/// generated types, so failing to read them is a build defect, not a runtime condition: it
/// panics (and any test calling this catches it).
pub fn api_schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        Schema::from_descriptor_sets(&[
            crate::pb::FILE_DESCRIPTOR_SET,
            crate::pb::bench::FILE_DESCRIPTOR_SET,
        ])
        .expect("the descriptor sets compiled in by build.rs describe the generated types")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_is_shareable() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Schema>();
    }

    #[test]
    fn resolves_api_messages() {
        let schema = api_schema();
        let request = schema.message("tariff.v1.CalculateImpactRequest").unwrap();
        assert_eq!(
            schema.message_name(request),
            "tariff.v1.CalculateImpactRequest"
        );
        assert!(schema.message("tariff.bench.v1.EchoRequest").is_some());
        assert!(schema.message(".tariff.v1.Bom").is_none());
        assert!(schema.message("tariff.v1.Nope").is_none());

        let item = schema.info(schema.message("tariff.v1.BomItem").unwrap());
        let children = item.field(9).unwrap();
        assert_eq!(&*children.name, "children");
        assert!(children.repeated);
        assert_eq!(
            children.kind,
            Kind::Message(schema.message("tariff.v1.BomItem").unwrap())
        );
        assert!(item.field(14).is_none());
        assert!(item.field(1 << 20).is_none());
    }

    #[test]
    fn unresolved_type_is_an_error() {
        // cost_impact_service.proto alone: its imports (bom.proto, ...) are missing.
        let full = FileDescriptorSet::decode(crate::pb::FILE_DESCRIPTOR_SET).unwrap();
        let only = FileDescriptorSet {
            file: full
                .file
                .into_iter()
                .filter(|f| f.name() == "tariff/v1/cost_impact_service.proto")
                .collect(),
        };
        let err = Schema::from_descriptor_sets(&[&only.encode_to_vec()]).unwrap_err();
        assert!(
            err.to_string().contains("no descriptor set defines"),
            "{err}"
        );
        assert!(Schema::from_descriptor_sets(&[&[0xff][..]]).is_err());
    }

    /// The estimate must not undercount the real structs (it bounds memory) and should stay
    /// within 2x of them (or it refuses reasonable requests).
    #[test]
    fn inline_estimate_bounds_generated_structs() {
        use crate::pb;
        use std::mem::size_of;
        let schema = api_schema();
        let cases = [
            ("tariff.v1.BomItem", size_of::<pb::BomItem>()),
            (
                "tariff.v1.CalculateImpactRequest",
                size_of::<pb::CalculateImpactRequest>(),
            ),
            ("tariff.v1.LineResult", size_of::<pb::LineResult>()),
            ("tariff.v1.Measure", size_of::<pb::Measure>()),
            ("tariff.v1.Bom", size_of::<pb::Bom>()),
            ("tariff.v1.TariffSchedule", size_of::<pb::TariffSchedule>()),
            ("tariff.v1.Money", size_of::<pb::Money>()),
            (
                "tariff.v1.CalculateBatchRequest",
                size_of::<pb::CalculateBatchRequest>(),
            ),
        ];
        for (name, real) in cases {
            let estimate = schema.inline_bytes(schema.message(name).unwrap());
            let real = real as u64;
            println!("{name}: size_of {real}, estimate {estimate}");
            assert!(
                estimate >= real,
                "{name}: estimate {estimate} < size_of {real}"
            );
            assert!(
                estimate <= 2 * real,
                "{name}: estimate {estimate} > 2 x size_of {real}"
            );
        }
    }
}
