# Sourced by the tests/k8s scripts: finds the tools scripts/setup.sh installs
# in .tools/k8s. Without them a test is skipped (exit 77), except in CI
# (CI=true), where setup.sh has run and a missing tool is a failure.
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export EXECGW_K8S_TOOLS="${EXECGW_K8S_TOOLS:-$repo/.tools/k8s}"
debian_kubectl="$EXECGW_K8S_TOOLS/kubernetes-client/usr/bin/kubectl"
need_tools() {
  if [ -x "$debian_kubectl" ] && [ -f "$EXECGW_K8S_TOOLS/node_modules/kubernetes-models/package.json" ] &&
     command -v node >/dev/null; then
    return 0
  fi
  echo "the k8s tools are not installed in $EXECGW_K8S_TOOLS: run scripts/setup.sh"
  if [ "${CI:-}" = true ]; then exit 1; fi
  exit 77
}
