#!/usr/bin/env bash
# Mutation testing as docs/mutants.md runs it: cargo-mutants over the given files (default:
# every file of src/engine and src/convert), with the tests that exercise the engine and the
# conversions (unit tests, calculation_rules, scenario_analysis, bad_input, catalog; the
# 10,000-item batch test is skipped: it takes 20 s and tests streaming, not rules; so are the
# wire scanner's properties and the error-detail size test, 3 s of every run that test neither
# folder). A build
# profile without debug info and a target directory kept between runs make each mutant about
# 15 s on 2 cores. Results: target/mutants-out/<name>/mutants.out/{caught,missed,timeout,unviable}.txt
# Usage: scripts/mutants.sh NAME [FILE ...]     e.g. scripts/mutants.sh money src/engine/money.rs
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-mutants >/dev/null || cargo install --locked cargo-mutants
name=${1:?usage: scripts/mutants.sh NAME [FILE ...]}
shift
files=("$@")
[ ${#files[@]} -gt 0 ] || files=('src/engine/*.rs' 'src/convert/*.rs')
args=()
for f in "${files[@]}"; do args+=(-f "$f"); done
export CARGO_TARGET_DIR="${MUTANTS_TARGET_DIR:-$PWD/target/mutants-build}"
exec cargo mutants --profile mutants "${args[@]}" \
    --cargo-arg=--lib --cargo-arg=--test=calculation_rules --cargo-arg=--test=scenario_analysis \
    --cargo-arg=--test=bad_input --cargo-arg=--test=catalog \
    -o "target/mutants-out/$name" -- -- --skip batch_of_10000 --skip wire::scan::tests::properties \
    --skip api::error::tests::details_stay_small
