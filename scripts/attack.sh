#!/usr/bin/env bash
# Replays the attacks of issue 7 against a tariff-impact binary and prints a Markdown table.
# Installs what scripts/attack.py needs (pip: grpcio, grpcio-tools, h2; apt: nghttp2-client for
# h2load) unless already present, then runs it; every argument is passed on.
# Usage: scripts/attack.sh path/to/tariff-impact [ROW ...] [--rows 1,5,9] [--json out.json]
#        scripts/attack.sh --help
# Example: cargo build --release && scripts/attack.sh target/release/tariff-impact --json target/attack.json
# Takes about 15 minutes on 2 cores for all 13 rows; targets 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"

if ! "$PYTHON" -c 'import grpc, grpc_tools, h2' 2>/dev/null; then
  "$PYTHON" -m pip install --quiet grpcio grpcio-tools h2
fi
if ! command -v h2load >/dev/null; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get install -y nghttp2-client >/dev/null || { $SUDO apt-get update >/dev/null && $SUDO apt-get install -y nghttp2-client >/dev/null; }
fi
exec "$PYTHON" scripts/attack.py "$@"
