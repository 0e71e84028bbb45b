#!/usr/bin/env bash
# Builds and runs the benchmarks, then prints each measurement as a ratio to
# its baseline from the same run (absolute times on shared machines mean
# little; ratios hold better).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
"$here/scripts/build.sh" translate_bench gateway_bench >/dev/null
out="$(mktemp -d)"
"$here/build/tests/bench/translate_bench" --benchmark_format=json --benchmark_repetitions=3 \
  --benchmark_report_aggregates_only=true >"$out/translate.json" 2>/dev/null
"$here/build/tests/bench/gateway_bench" --benchmark_format=json --benchmark_repetitions=3 \
  --benchmark_report_aggregates_only=true >"$out/gateway.json" 2>/dev/null
python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
def medians(path):
    data = json.load(open(path))
    return {b["run_name"]: b for b in data["benchmarks"] if b.get("aggregate_name") == "median"}
t = medians(f"{out}/translate.json")
g = medians(f"{out}/gateway.json")
def ns(b): return b["real_time"] if b["time_unit"] == "ns" else b["real_time"] * {"us": 1e3, "ms": 1e6}[b["time_unit"]]
print("translation (median of 3), baseline: parsing the same JSON")
for kind in ("Blaxel", "Polos"):
    base, full = t[f"BM_ParseOnly_{kind}"], t[f"BM_ParseAndTranslate_{kind}"]
    print(f"  {kind:7s} parse {ns(base)/1e3:7.1f} us, parse+translate {ns(full)/1e3:7.1f} us: x{ns(full)/ns(base):.2f}")
print("GetExecution (median of 3), baseline: the direct HTTP GET a polling client makes")
base = g["BM_DirectUpstreamGet/real_time"]
gw = g["BM_GatewayGet/real_time"]
print(f"  direct {ns(base)/1e3:7.1f} us, through the gateway {ns(gw)/1e3:7.1f} us: x{ns(gw)/ns(base):.2f}")
rt = g["BM_GatewayRoundTripOnly/real_time"]
print(f"  of which a gRPC round trip that reaches no upstream: {ns(rt)/1e3:7.1f} us (x{ns(rt)/ns(base):.2f} the direct GET)")
for n in (16, 64):
    b = g[f"BM_GatewayGetManyClients/{n}/real_time"]
    print(f"  {n} clients reading one execution at once: {b['upstream_requests_per_read']:.3f} upstream requests per client read (1.0 without sharing)")
PY
rm -rf "$out"
