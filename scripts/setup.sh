#!/usr/bin/env bash
# Installs everything execgw needs to build and test on Debian 12, as root
# (or through sudo). Idempotent: when every package is present it changes
# nothing and makes no network call.
# --no-lint leaves out Node.js, npm and buf, which only the proto lint
# (scripts/test.sh) uses: scripts/demo.sh needs none of them.
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
)
# npm, for the buf CLI that lints the protos (the machine may already have
# its own Node.js, not Debian's).
# clang-format: scripts/check-format.sh (part of the test run) holds the C++
# sources to .clang-format.
if [ "$lint" = 1 ]; then packages+=(clang-format); fi
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
