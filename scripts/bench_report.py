#!/usr/bin/env python3
"""Writes BENCHMARKS.md from the JSON files of one scripts/bench.sh run.

Inputs: Google Benchmark JSON (--benchmark_format=json, repetitions with
aggregates: the median is reported) of translate_bench, codec_bench and
gateway_bench, and the JSON of unary_load (its schema: see
tests/bench/testdata/unary_load_sample.json). Every figure is given as a
ratio to its baseline from the same run, the absolute figure beside it.

Sections between `<!-- manual:begin NAME -->` and `<!-- manual:end NAME -->`
in an existing output file are written by hand and kept as they are: at
their place in the template when it has one of that NAME, else at the end.

Standard library only.
"""

import argparse
import datetime
import json
import os
import platform
import re
import sys

MANUAL_RE = re.compile(
    r"<!-- manual:begin (?P<name>[\w.-]+) -->\n(?P<body>.*?)<!-- manual:end (?P=name) -->\n?",
    re.S)

# The hand-written sections the template has, in order, with what each holds.
MANUAL_SECTIONS = {
    "load-profile": "Profile of the gateway under load, and what explains each goal missed.",
    "callback-vs-async": "gRPC callback API against the async completion-queue API on the real "
                         "unary path.",
    "translation-notes": "Why the translation microbenchmark and the live profile differ.",
    "watch": "The watch benchmark: run scripts/bench.sh --only-watch (scripts/watch_report.py "
             "writes this block).",
    "watch-notes": "What explains each watch goal missed.",
    "fuzzing": "The libFuzzer targets (scripts/fuzz.sh): executions per second and coverage per "
               "target, the long run.",
    "soak": "The fault soak (tests/soak): the hour at 20% injected faults and its invariants.",
    "sanitizers": "The sanitizer runs (scripts/sanitize.sh): tests run, reports, what they cost.",
}

MODES = ("one_at_a_time", "half_max", "max", "rate")
MODE_TITLES = {
    "one_at_a_time": "one call at a time",
    "half_max": "50% of the maximum throughput",
    "max": "maximum throughput",
    "rate": "fixed rate",
}


# ---------- inputs ----------

def load_json(path):
    if not path:
        return None
    with open(path) as f:
        return json.load(f)


def gbench_medians(data):
    """run_name -> the median aggregate (or the single run) of each benchmark."""
    if data is None:
        return {}
    out = {}
    for b in data.get("benchmarks", []):
        name = b.get("run_name", b["name"])
        if b.get("run_type") == "aggregate":
            if b.get("aggregate_name") == "median":
                out[name] = b
        else:
            out.setdefault(name, b)
    return out


def ns(b):
    """The benchmark's CPU time per iteration in ns."""
    scale = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}[b.get("time_unit", "ns")]
    return b["cpu_time"] * scale


def mbps(b):
    return b["bytes_per_second"] / 1e6 if "bytes_per_second" in b else None


def read_manual(path):
    if not path or not os.path.exists(path):
        return {}
    with open(path) as f:
        text = f.read()
    return {m.group("name"): m.group("body") for m in MANUAL_RE.finditer(text)}


def machine_info(load):
    if load and load.get("machine"):
        m = load["machine"]
        return m.get("model", "?"), m.get("cpus", "?"), m.get("kernel", "?")
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return model, os.cpu_count(), platform.release()


# ---------- formatting ----------

def fmt(x, digits=1):
    if x is None:
        return "n/a"
    if isinstance(x, float) and abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.{digits}f}"


def ratio(x, base, digits=2):
    if x is None or not base:
        return "n/a"
    return f"x{x / base:.{digits}f}"


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def verdict(ok):
    if isinstance(ok, str):
        return ok
    if ok is None:
        return "not measured"
    return "**met**" if ok else "**not met**"


# ---------- sections ----------

def load_rows(load):
    """(mode, scenario) -> result row."""
    rows = {}
    for r in (load or {}).get("results", []):
        rows[(r["mode"], r["scenario"])] = r
    return rows


def direct_of(scenario):
    """The direct call a gateway scenario is compared with (get_gateway -> get_direct)."""
    return scenario.replace("gateway", "direct") if "gateway" in scenario else None


# The gRPC floor every gateway scenario's CPU is compared with.
NO_UPSTREAM = "get_no_upstream"


def unary_load_section(load):
    out = ["## Unary load (unary_load)\n"]
    if load is None:
        out.append("Not run (scripts/bench.sh --no-load).\n")
        return "\n".join(out)
    out.append(f"Command: `{load.get('command', '?')}`  \n"
               f"Gateway arguments: `{load.get('gateway_args', '')}`\n")
    out.append("Gateway and simulator in separate processes; the load generator is the gRPC "
               "async client (direct: libcurl straight to the simulator). Latencies in µs. "
               "Ratios: throughput to the direct call's; CPU to the no-upstream call's "
               "(the gRPC floor) in the same mode. Added latency: gateway pN minus direct pN.\n")
    rows = load_rows(load)
    for mode in MODES:
        scenarios = [s for (m, s) in rows if m == mode]
        if not scenarios:
            continue
        order = {"get_gateway": 0, "get_direct": 1, "get_no_upstream": 2, "list_gateway": 3,
                 "list_direct": 4}
        scenarios.sort(key=lambda s: (order.get(s, 10), s))
        body = []
        for s in scenarios:
            r = rows[(mode, s)]
            d = rows.get((mode, direct_of(s))) if direct_of(s) else None
            floor = rows.get((mode, NO_UPSTREAM)) if "gateway" in s else None
            cpu = r.get("gateway_cpu_us_per_call")
            added = (f"{fmt(r['p50_us'] - d['p50_us'])} / {fmt(r['p99_us'] - d['p99_us'])} / "
                     f"{fmt(r['p999_us'] - d['p999_us'])}") if d else ""
            body.append([
                s, r.get("concurrency") if r.get("concurrency") is not None else "",
                f"{fmt(r['throughput'], 0)}/s" + (f" ({ratio(r['throughput'], d['throughput'])})"
                                                  if d else ""),
                f"{fmt(r['p50_us'])} / {fmt(r['p99_us'])} / {fmt(r['p999_us'])}",
                added,
                fmt(cpu) + (f" ({ratio(cpu, floor.get('gateway_cpu_us_per_call'))})"
                            if floor and cpu is not None and floor is not r else ""),
                fmt(r.get("gateway_rss_kb") / 1024 if r.get("gateway_rss_kb") else None),
                f"{r['errors']}/{r['calls']}",
            ])
        out.append(f"### {MODE_TITLES.get(mode, mode)}\n")
        out.append(table(["scenario", "concurrency", "throughput (to direct)",
                          "p50 / p99 / p99.9", "added p50 / p99 / p99.9",
                          "gateway CPU µs/call (to no-upstream)", "gateway RSS MB",
                          "errors/calls"], body))
    return "\n".join(out)


def goals(load, translate):
    """[(goal, measured text, ok or None)]"""
    rows = load_rows(load)

    def get(mode, s):
        return rows.get((mode, s))

    result = []
    g, f = get("half_max", "get_gateway"), get("half_max", "get_no_upstream")
    cpu = g.get("gateway_cpu_us_per_call") if g else None
    floor = f.get("gateway_cpu_us_per_call") if f else None
    result.append(("Gateway CPU per proxied Get at 50% of max <= 50 µs",
                   f"{fmt(cpu)} µs" if cpu is not None else "n/a",
                   cpu <= 50 if cpu is not None else None))
    result.append(("... and <= 1.5x the no-upstream call's",
                   f"{ratio(cpu, floor)} ({fmt(cpu)} vs {fmt(floor)} µs)"
                   if cpu is not None and floor else "n/a",
                   cpu <= 1.5 * floor if cpu is not None and floor else None))
    for mode in ("one_at_a_time", "half_max"):
        g, d = get(mode, "get_gateway"), get(mode, "get_direct")
        for q, limit in (("p50", 100.0), ("p99", 1000.0)):
            if g and d:
                added = g[f"{q}_us"] - d[f"{q}_us"]
                if added < 0:
                    # The direct call was the slower one: its baseline broke down
                    # (a saturated simulator, a loaded machine), which says nothing
                    # of what the gateway adds.
                    result.append((f"Added latency {q} <= {limit:.0f} µs, {MODE_TITLES[mode]}",
                                   f"{fmt(added)} µs (the direct call was slower: "
                                   f"{fmt(d[f'{q}_us'])} µs)", "not comparable"))
                    continue
                result.append((f"Added latency {q} <= {limit:.0f} µs, {MODE_TITLES[mode]}",
                               f"{fmt(added)} µs", added <= limit))
            else:
                result.append((f"Added latency {q} <= {limit:.0f} µs, {MODE_TITLES[mode]}",
                               "n/a", None))
    g = get("one_at_a_time", "get_gateway")
    cpu = g.get("gateway_cpu_us_per_call") if g else None
    result.append(("Gateway CPU per call, one at a time, <= 100 µs",
                   f"{fmt(cpu)} µs" if cpu is not None else "n/a",
                   cpu <= 100 if cpu is not None else None))
    g, d = get("max", "get_gateway"), get("max", "get_direct")
    result.append(("Gateway max throughput >= direct max throughput",
                   f"{ratio(g['throughput'], d['throughput'])} ({fmt(g['throughput'], 0)}/s vs "
                   f"{fmt(d['throughput'], 0)}/s)" if g and d else "n/a",
                   g["throughput"] >= d["throughput"] if g and d else None))
    speeds = []
    for dialect in ("blaxel", "polos"):
        for size in ("realistic", "large"):
            b = translate.get(f"BM_ParseAndTranslate/{dialect}_{size}")
            if b and mbps(b) is not None:
                speeds.append((f"{dialect} {size}", mbps(b)))
    if speeds:
        slowest = min(speeds, key=lambda s: s[1])
        result.append(("Translation (parse + translate) >= 500 MB/s per core, every dialect and "
                       "size", ", ".join(f"{n} {fmt(v, 0)}" for n, v in speeds) + " MB/s",
                       slowest[1] >= 500))
    else:
        result.append(("Translation >= 500 MB/s per core", "n/a", None))
    return result


def micro_section(translate, codec):
    out = ["## Microbenchmarks\n",
           "Google Benchmark, median of the repetitions, CPU time on one core. MB/s of upstream "
           "JSON; baseline: parsing the same body (ParseJson), which every reader pays.\n"]
    rows = []
    for dialect in ("blaxel", "polos"):
        for size in ("realistic", "large"):
            p = translate.get(f"BM_ParseOnly/{dialect}_{size}")
            t = translate.get(f"BM_ParseAndTranslate/{dialect}_{size}")
            if not p or not t:
                continue
            body = t.get("body_bytes")
            rows.append([f"{dialect} {size}",
                         f"{body / 1000:.1f} KB" if body else "?",
                         f"{fmt(mbps(p), 0)} MB/s ({fmt(ns(p) / 1e3)} µs)",
                         f"{fmt(mbps(t), 0)} MB/s ({fmt(ns(t) / 1e3)} µs)",
                         ratio(ns(t), ns(p)),
                         fmt((ns(t) - ns(p)) / 1e3)])
    if rows:
        out.append("### Translation\n")
        out.append(table(["document", "body", "parse", "parse + translate",
                          "time to parse's", "translate alone µs"], rows))
    rows = []
    for name, b in sorted(codec.items()):
        if name.startswith("BM_Etag"):
            rows.append([name.replace("BM_Etag/", "etag, "),
                         f"{fmt(ns(b) / 1e3, 2)} µs",
                         f"{fmt(mbps(b), 0)} MB/s of proto" if mbps(b) else ""])
    base = codec.get("BM_PageTokenEncode/position_bytes:24")
    for name, b in sorted(codec.items()):
        if name.startswith("BM_PageToken"):
            label = name.replace("BM_PageToken", "page token ").replace("/position_bytes:",
                                                                         ", position bytes ")
            rows.append([label, f"{fmt(ns(b) / 1e3, 2)} µs",
                         f"{ratio(ns(b), ns(base))} the 24-byte encode" if base else ""])
    if rows:
        out.append("### Codecs\n")
        out.append(table(["what", "time per call", "relative"], rows))
    return "\n".join(out)


def gateway_bench_section(gateway):
    if not gateway:
        return ""
    out = ["## In-process GetExecution (gateway_bench)\n",
           "Gateway, simulators and client in one process (kept for what unary_load does not "
           "measure: shared reads). Baseline: the direct HTTP GET; wall time per iteration (ManyClients: "
           "all N clients' reads).\n"]
    base = gateway.get("BM_DirectUpstreamGet/real_time")
    rows = []
    for name, b in gateway.items():
        t = b["real_time"] * {"ns": 1.0, "us": 1e3, "ms": 1e6}[b.get("time_unit", "ns")]
        extra = ""
        if "upstream_requests_per_read" in b:
            extra = f"{b['upstream_requests_per_read']:.3f} upstream requests per client read"
        rows.append([name, f"{fmt(t / 1e3)} µs",
                     ratio(t, base["real_time"] * {"ns": 1.0, "us": 1e3, "ms": 1e6}[
                         base.get("time_unit", "ns")]) if base else "n/a", extra])
    out.append(table(["benchmark", "time per iteration", "to direct GET", ""], rows))
    return "\n".join(out)


def manual_block(name, manual):
    body = manual.get(name)
    if body is None:
        body = f"_{MANUAL_SECTIONS.get(name, 'Written by hand.')} (filled in by hand)_\n"
    return f"<!-- manual:begin {name} -->\n{body}<!-- manual:end {name} -->\n"


def render(args, translate, codec, gateway, load, manual):
    model, cpus, kernel = machine_info(load)
    date = args.date or datetime.datetime.now(datetime.timezone.utc).strftime(
        "%Y-%m-%d %H:%M UTC")
    parts = [
        "# Benchmarks\n",
        "Written by `scripts/bench_report.py` from one run of `scripts/bench.sh`; sections "
        "between `manual:begin`/`manual:end` markers are written by hand and kept when the "
        "file is rewritten.\n",
        f"- Machine: {model}, {cpus} CPUs, {kernel}",
        f"- Date: {date}",
        f"- Command: `{args.command}`",
        f"- Conditions: {args.conditions}\n" if args.conditions else "",
        "Absolute figures on a shared machine mean little; the ratios compare figures measured "
        "in the same run.\n",
        "## Goals (issue 8)\n",
        table(["goal", "measured", ""], [[g, m, verdict(ok)] for g, m, ok in
                                         goals(load, translate)]),
        manual_block("load-profile", manual),
        unary_load_section(load),
        manual_block("callback-vs-async", manual),
        micro_section(translate, codec),
        manual_block("translation-notes", manual),
        gateway_bench_section(gateway),
        manual_block("watch", manual),
        manual_block("watch-notes", manual),
        manual_block("fuzzing", manual),
        manual_block("soak", manual),
        manual_block("sanitizers", manual),
    ]
    extra = [n for n in manual if n not in MANUAL_SECTIONS]
    if extra:
        parts.append("## Other notes\n")
        parts += [manual_block(n, manual) for n in extra]
    return "\n".join(p for p in parts if p) .rstrip("\n") + "\n"


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--translate", help="translate_bench JSON")
    ap.add_argument("--codec", help="codec_bench JSON")
    ap.add_argument("--gateway", help="gateway_bench JSON")
    ap.add_argument("--load", help="unary_load JSON")
    ap.add_argument("--out", required=True, help="BENCHMARKS.md to (re)write")
    ap.add_argument("--command", default="scripts/bench.sh", help="the command that was run")
    ap.add_argument("--date", help="the run's date (default: now)")
    ap.add_argument("--conditions", help="what else ran, e.g. the load average before and after")
    args = ap.parse_args(argv)
    translate = gbench_medians(load_json(args.translate))
    codec = gbench_medians(load_json(args.codec))
    gateway = gbench_medians(load_json(args.gateway))
    load = load_json(args.load)
    manual = read_manual(args.out)
    text = render(args, translate, codec, gateway, load, manual)
    with open(args.out, "w") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
