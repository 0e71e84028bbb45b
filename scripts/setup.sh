#!/usr/bin/env bash
# Installs everything execgw needs to build and test on Debian 12, as root
# (or through sudo). Idempotent: when every package is present it changes
# nothing and makes no network call.
# --no-lint leaves out Node.js, npm, buf, the Node client's packages and the
# Kubernetes manifests' tools, which only the tests (scripts/test.sh: the
# proto lint, the Node client example's test, the k8s tests) use:
# scripts/demo.sh and the Dockerfile need none of them.
set -euo pipefail
lint=1
if [ "${1:-}" = "--no-lint" ]; then lint=0; fi

packages=(
  cmake g++ make pkg-config git
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libcurl4-openssl-dev rapidjson-dev libabsl-dev
  # Prometheus metrics (the registry and its pull exposer).
  prometheus-cpp-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # google/rpc/{status,error_details,code}.proto for rich errors (AIP-193).
  golang-github-gogo-googleapis-dev
  # yaml-cpp: tests read the Blaxel OpenAPI spec (YAML) for its examples.
  libyaml-cpp-dev
  # A test decodes the gateway's deepest messages in Python's protobuf.
  python3-protobuf
  # The TLS and mutual-TLS tests make their certificates with the openssl tool.
  openssl
  # The Python client example (clients/python) and its test.
  python3-grpcio
)
# npm, for the buf CLI that lints the protos (the machine may already have
# its own Node.js, not Debian's).
# clang-format: scripts/check-format.sh (part of the test run) holds the C++
# sources to .clang-format. clang and its compiler runtime (libFuzzer and
# the sanitizers): scripts/fuzz.sh (part of the test run) builds the fuzz
# targets with them. dpkg-dev and xz-utils: scripts/sanitize.sh tsan (part
# of the test run) unpacks Debian's abseil source package to build it with
# ThreadSanitizer.
if [ "$lint" = 1 ]; then packages+=(clang-format clang libclang-rt-14-dev dpkg-dev xz-utils); fi
if [ "$lint" = 1 ] && ! command -v npm >/dev/null 2>&1; then packages+=(nodejs npm); fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [ "$lint" = 0 ]; then exit 0; fi

# buf (proto lint) from npm, pinned, into the project's own tools folder.
here="$(cd "$(dirname "$0")/.." && pwd)"
buf_version="1.47.2"
if [ ! -x "$here/.tools/node_modules/.bin/buf" ] || \
   [ "$("$here/.tools/node_modules/.bin/buf" --version 2>/dev/null)" != "$buf_version" ]; then
  echo "setup: installing buf $buf_version"
  mkdir -p "$here/.tools"
  (cd "$here/.tools" && npm install --no-audit --no-fund --silent "@bufbuild/buf@$buf_version" >/dev/null)
fi

# The Node client example's packages (clients/node/package-lock.json, every
# version pinned) into clients/node/node_modules; `npm ls` reads only that
# folder, so nothing is fetched while they are all there.
if ! (cd "$here/clients/node" && npm ls --all >/dev/null 2>&1); then
  echo "setup: installing the Node client's packages"
  (cd "$here/clients/node" && npm ci --no-audit --no-fund --silent >/dev/null)
fi

# The Kubernetes manifests' tools (tests/k8s), into .tools/k8s: the schema
# validators from npm, pinned by tests/k8s/package-lock.json, and Debian 12's
# kubectl for `kubectl kustomize` (kustomize v2.0.3), unpacked from its
# package rather than installed, so it sits beside any kubectl the machine
# has.
k8s_tools="$here/.tools/k8s"
if ! cmp -s "$here/tests/k8s/package-lock.json" "$k8s_tools/package-lock.json" || \
   [ ! -f "$k8s_tools/node_modules/kubernetes-models/package.json" ]; then
  echo "setup: installing the k8s manifest validators (tests/k8s/package-lock.json)"
  mkdir -p "$k8s_tools"
  cp "$here/tests/k8s/package.json" "$here/tests/k8s/package-lock.json" "$k8s_tools/"
  (cd "$k8s_tools" && npm ci --no-audit --no-fund --silent >/dev/null)
fi
if [ ! -x "$k8s_tools/kubernetes-client/usr/bin/kubectl" ]; then
  echo "setup: unpacking Debian's kubernetes-client into .tools/k8s"
  deb_dir="$(mktemp -d)"
  # apt-get download runs as the caller; _apt must be able to write there.
  chmod 777 "$deb_dir"
  if ! (cd "$deb_dir" && apt-get download -q kubernetes-client >/dev/null 2>&1); then
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -q
    (cd "$deb_dir" && apt-get download -q kubernetes-client >/dev/null)
  fi
  rm -rf "$k8s_tools/kubernetes-client"
  dpkg-deb -x "$deb_dir"/kubernetes-client_*.deb "$k8s_tools/kubernetes-client"
  rm -rf "$deb_dir"
fi
