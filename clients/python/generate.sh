#!/usr/bin/env bash
# Generates the Python gRPC client code from the protos (proto/tariff/v1/*.proto) into
# clients/python/gen/ (git-ignored): tariff/v1/*_pb2.py (messages), *_pb2_grpc.py (stubs) and
# *.pyi (type stubs for editors). Needs grpcio-tools: pip install -r clients/python/requirements.txt
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
rm -rf "$here/gen"
mkdir -p "$here/gen"
python3 -m grpc_tools.protoc -I "$root/proto" \
    --python_out="$here/gen" --pyi_out="$here/gen" --grpc_python_out="$here/gen" \
    "$root"/proto/tariff/v1/*.proto
n="$(find "$here/gen" -name '*.py*' | wc -l)"
echo "generated $n files in clients/python/gen/"
