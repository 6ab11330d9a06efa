//! A schedule's known gaps (programs it does not carry that may apply to some imports) as the
//! engine holds them: each with an id a request can acknowledge it by, and words an analyst
//! can act on, since a gap is reported wherever it concerns an import.

use super::check::{Check, join};
use crate::engine::Reason;
use crate::engine::model::{Exemption, KnownGap};
use crate::pb;
use std::collections::HashSet;

/// The known gaps of `s` at field path `root`: ids unique among them and a description each;
/// a gap without its own source cites the schedule's.
pub(super) fn known_gaps(c: &mut Check, s: &pb::TariffSchedule, root: &str) -> Vec<KnownGap> {
    let mut ids = HashSet::new();
    let mut out = Vec::with_capacity(s.known_gaps.len());
    for (i, g) in s.known_gaps.iter().enumerate() {
        let f = join(root, &format!("known_gaps[{i}]"));
        if g.id.is_empty() {
            c.push(join(&f, "id"), Reason::Required, "id is required");
        } else if !ids.insert(g.id.as_str()) {
            c.push(
                join(&f, "id"),
                Reason::Duplicate,
                format!("known gap {:?} is defined twice", g.id),
            );
        }
        if g.description.trim().is_empty() {
            c.push(
                join(&f, "description"),
                Reason::Required,
                "say what is missing: every import the gap concerns is reported with it",
            );
        }
        let mut hts_prefixes: Vec<String> = g
            .hts_prefixes
            .iter()
            .enumerate()
            .filter_map(|(j, p)| c.hts(p, &join(&f, &format!("hts_prefixes[{j}]")), 1))
            .collect();
        hts_prefixes.sort_unstable();
        hts_prefixes.dedup();
        let origins = c
            .countries(&g.origins, &join(&f, "origins"))
            .into_iter()
            .collect();
        let window = c.window(&g.effective_from, &g.effective_to, &f);
        out.push(KnownGap {
            id: g.id.as_str().into(),
            description: g.description.as_str().into(),
            scope: Exemption {
                hts_prefixes,
                origins,
                claimed_programs: Default::default(),
            },
            window,
            source: if g.source.is_empty() {
                &s.source
            } else {
                &g.source
            }
            .as_str()
            .into(),
        });
    }
    out
}
