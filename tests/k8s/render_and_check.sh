#!/usr/bin/env bash
# Renders one kustomization with every kustomize at hand, offline: Debian 12's
# (kubectl 1.20, kustomize v2.0.3, from .tools/k8s) always, and the machine's
# own `kubectl kustomize` when it has one. Each rendering must pass the schema
# validation (validate.js) and the manifests' promises (expect.js), and all
# must render the same documents.
# usage: render_and_check.sh KUSTOMIZATION_DIR service|sidecar OUT_DIR
# OUT_DIR receives rendered-*.yaml and config.json (the ConfigMap's config).
set -euo pipefail
source "$(dirname "$0")/tools.sh"
need_tools
dir="$1" mode="$2" out="$3"
mkdir -p "$out"
# No cluster: rendering reads only the kustomization's files.
export KUBECONFIG=/nonexistent
here="$(dirname "$0")"

echo "== kustomize v2.0.3 (Debian 12's kubectl): $dir"
"$debian_kubectl" kustomize "$dir" >"$out/rendered-debian.yaml"
node "$here/validate.js" "$out/rendered-debian.yaml"
node "$here/expect.js" --mode="$mode" --config-out="$out/config.json" "$out/rendered-debian.yaml"

machine_kubectl="$(command -v kubectl || true)"
if [ -n "$machine_kubectl" ] && "$machine_kubectl" kustomize --help >/dev/null 2>&1; then
  echo "== the machine's kubectl kustomize ($("$machine_kubectl" version --client 2>/dev/null | tr '\n' ' '))"
  # Its stderr: deprecation notes for `bases:`, which v2.0.3 needs.
  "$machine_kubectl" kustomize "$dir" >"$out/rendered-machine.yaml" 2>"$out/machine.stderr" ||
    { cat "$out/machine.stderr"; exit 1; }
  node "$here/validate.js" "$out/rendered-machine.yaml"
  node "$here/expect.js" --mode="$mode" --same-as="$out/rendered-debian.yaml" "$out/rendered-machine.yaml"
else
  echo "== no other kubectl kustomize on this machine"
fi
