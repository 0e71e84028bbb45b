#!/usr/bin/env bash
# Checks the Dockerfile's runtime stage without Docker, on this Debian 12
# machine: every package it installs exists in Debian 12 (apt-cache), and
# every shared library the binaries load (ldd) belongs to a package (dpkg -S)
# that the image has: one the runtime stage installs or a dependency of one,
# or part of debian:12-slim itself (the Essential packages and apt, with
# their dependencies). A library a binary links directly (its NEEDED
# entries) must come from a package the stage names itself, or from the slim
# base (libc6, libgcc-s1).
# usage: check_runtime_packages.sh Dockerfile BINARY...
set -euo pipefail
dockerfile="$1"; shift
failed=0
fail() { echo "FAILED: $*"; failed=1; }

# The runtime stage: from the last FROM on.
stage="$(awk '/^FROM /{s=""} {s=s $0 "\n"} END{printf "%s", s}' "$dockerfile")"
grep -q '^FROM debian:12-slim$' <<<"$stage" || fail "the runtime stage is not FROM debian:12-slim"
grep -Eq '^USER [1-9][0-9]*(:[1-9][0-9]*)?$' <<<"$stage" || fail "the runtime stage has no numeric non-root USER"
grep -q '^ENTRYPOINT \["/usr/local/bin/execgw"\]$' <<<"$stage" || fail "the ENTRYPOINT is not execgw"
# Its package list: one a line after --no-install-recommends, up to the next &&.
mapfile -t listed < <(awk '/--no-install-recommends/{on=1; next} on && /&&/{on=0} on{gsub(/[\\ ]/, ""); if ($0 != "") print}' <<<"$stage")
[ ${#listed[@]} -gt 0 ] || fail "no package list in the runtime stage"
echo "runtime packages: ${listed[*]}"

# One apt-cache call: "NAME CANDIDATE" for each package it knows.
known="$(apt-cache policy "${listed[@]}" 2>/dev/null |
  awk '/^[^ ].*:$/ {name=substr($0, 1, length($0)-1)} /^  Candidate: / {print name, $2}')"
for p in "${listed[@]}"; do
  candidate="$(awk -v p="$p" '$1 == p {print $2}' <<<"$known")"
  if [ -z "$candidate" ] || [ "$candidate" = "(none)" ]; then
    fail "$p is not a Debian 12 package (apt-cache policy: no candidate)"
  fi
done

# What the image holds: the listed packages, the slim base's, and everything
# they depend on.
closure() {
  apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
    --no-breaks --no-replaces --no-enhances "$@" 2>/dev/null | grep -v '^ ' | sed 's/:.*//' | sort -u
}
mapfile -t essential < <(dpkg-query -W -f='${Package} ${Essential}\n' | awk '$2 == "yes" {print $1}')
base="$(closure "${essential[@]}" apt)"
image="$( { closure "${listed[@]}"; echo "$base"; } | sort -u)"

# Which Debian package holds each library file: one dpkg -S for them all, of
# every spelling of each path (dpkg knows the path its package shipped, with
# or without /usr).
variants() {
  local f="$1" real
  real="$(readlink -f "$f")"
  printf '%s\n' "$f" "$real" "${f#/usr}" "/usr$f" "${real#/usr}" "/usr$real"
}
declare -A shipped=()
mapfile -t candidates < <(for bin in "$@"; do [ -x "$bin" ] && ldd "$bin"; done |
  awk '$2 == "=>" && $3 ~ /^\// {print $3}' | sort -u | while read -r f; do variants "$f"; done | sort -u)
while IFS= read -r line; do
  shipped["${line#*: }"]="$(sed 's/[:,].*//' <<<"${line%%: *}")"
done < <(dpkg -S "${candidates[@]}" 2>/dev/null || true)
owner() {
  local candidate
  while read -r candidate; do
    if [ -n "${shipped[$candidate]:-}" ]; then echo "${shipped[$candidate]}"; return; fi
  done < <(variants "$1")
}

for bin in "$@"; do
  [ -x "$bin" ] || { fail "$bin is not built"; continue; }
  echo "== $bin"
  libs="$(ldd "$bin" | awk '$2 == "=>" {print $1, $3}')"
  while read -r lib path; do
    if [ -z "$path" ] || [ "$path" = "not" ]; then fail "$bin: $lib not found by ldd"; continue; fi
    pkg="$(owner "$path")"
    if [ -z "$pkg" ]; then fail "$bin: $path belongs to no Debian package"; continue; fi
    grep -qx "$pkg" <<<"$image" || fail "$bin: $lib is in $pkg, which the image does not install"
  done <<<"$libs"
  for lib in $(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    path="$(awk -v l="$lib" '$1 == l {print $2}' <<<"$libs")"
    pkg="$(owner "$path")"
    [ -n "$pkg" ] || continue  # Told above.
    if ! printf '%s\n' "${listed[@]}" | grep -qx "$pkg" && ! grep -qx "$pkg" <<<"$base"; then
      fail "$bin links $lib directly: name its package $pkg in the runtime stage"
    fi
  done
  echo "$bin: every library is in the image"
done
[ "$failed" -eq 0 ] && echo "runtime stage: ok"
exit "$failed"
