#!/usr/bin/env python3
"""Writes the watch section of BENCHMARKS.md from watch_load's JSON.

    scripts/watch_report.py --events E.json --polling P.json --command CMD \
        --conditions TEXT --out BENCHMARKS.md

E.json is a run with Polos' event stream followed, P.json one with Polos
polled like Blaxel. The section lives between `<!-- manual:begin watch -->`
and `<!-- manual:end watch -->`, which scripts/bench_report.py keeps when it
rewrites the rest of the file; this script replaces only that block (and
appends it when the file has none).
"""
import argparse
import datetime
import json
import pathlib
import re
import sys


def verdict(ok):
    return "met" if ok else "**not met**"


def section(events, polling, command, conditions):
    interval = events["interval_ms"]
    streams = events["streams"]
    executions = events["executions"]
    per_interval = events["upstream_gets_per_interval"]
    direct = events["direct_requests_per_second"]
    through = events["gateway_requests_per_second"]
    kb = max(events["kb_per_stream"], polling["kb_per_stream"])
    blaxel_p99 = max(events["blaxel_latency_ms"]["p99"], polling["blaxel_latency_ms"]["p99"])
    polos_poll_p99 = polling["polos_latency_ms"]["p99"]
    polos_events_p99 = events["polos_latency_ms"]["p99"]
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    rows = [
        ("upstream requests per interval = distinct executions watched",
         f"{per_interval:.1f} per {interval:.0f} ms interval for {executions} executions "
         f"(polling run: {polling['upstream_gets_per_interval']:.1f})",
         abs(per_interval - executions) <= 0.02 * executions),
        ("at most 16 KB of gateway memory per open stream",
         f"{events['kb_per_stream']:.1f} KB (polling run: {polling['kb_per_stream']:.1f} KB)",
         kb <= 16),
        (f"change-to-client p99 within the interval + 10 ms ({interval + 10:.0f} ms), polling",
         f"Blaxel p99 {blaxel_p99:.0f} ms, Polos polled p99 {polos_poll_p99:.0f} ms",
         max(blaxel_p99, polos_poll_p99) <= interval + 10),
        ("change-to-client p99 within 50 ms on Polos' event path",
         f"p99 {polos_events_p99:.0f} ms (p50 {events['polos_latency_ms']['p50']:.0f} ms)",
         polos_events_p99 <= 50),
    ]
    out = [
        "## Watch (issue 9)\n",
        f"Written by `scripts/watch_report.py` from `{command}` on {date}; {conditions}.",
        f"`build/tests/bench/watch_load` opens {streams:,} watch streams ({executions} "
        f"executions, half Blaxel, half Polos, {events['watchers_per_execution']} watchers "
        "each) on 20 channels against the simulators (in its own process) and execgw (a "
        f"child process) polling every {interval:.0f} ms, counts the upstream GETs in a "
        "steady window, reads execgw's VmRSS before and with the streams open, then lets every "
        "execution run to its end and times each change from the upstream's own time of it "
        "(start_time for RUNNING, end_time for the end) to its arrival. Run twice: with "
        "Polos' event stream followed, and with Polos polled.\n",
        "| goal | measured | |",
        "| --- | --- | --- |",
    ]
    out += [f"| {g} | {m} | {verdict(ok)} |" for g, m, ok in rows]
    out += [
        "",
        "| figure | events run | polling run |",
        "| --- | --- | --- |",
        f"| streams opened / ended OK / ended with an error | {events['streams']} / "
        f"{events['ended_ok']} / {events['ended_error']} | {polling['streams']} / "
        f"{polling['ended_ok']} / {polling['ended_error']} |",
        f"| time to open every stream (first message on each) | {events['open_seconds']:.1f} s "
        f"| {polling['open_seconds']:.1f} s |",
        f"| upstream GETs per interval, Blaxel / Polos | "
        f"{events['blaxel_gets_per_interval']:.1f} / {events['polos_gets_per_interval']:.1f} | "
        f"{polling['blaxel_gets_per_interval']:.1f} / {polling['polos_gets_per_interval']:.1f} |",
        f"| execgw VmRSS idle / with the streams open | {events['rss_idle_kb']:,} / "
        f"{events['rss_open_kb']:,} kB | {polling['rss_idle_kb']:,} / "
        f"{polling['rss_open_kb']:,} kB |",
        f"| change-to-client, Blaxel (polling) p50 / p99 | "
        f"{events['blaxel_latency_ms']['p50']:.0f} / {events['blaxel_latency_ms']['p99']:.0f} ms "
        f"| {polling['blaxel_latency_ms']['p50']:.0f} / "
        f"{polling['blaxel_latency_ms']['p99']:.0f} ms |",
        f"| change-to-client, Polos p50 / p99 | {events['polos_latency_ms']['p50']:.0f} / "
        f"{events['polos_latency_ms']['p99']:.0f} ms (events) | "
        f"{polling['polos_latency_ms']['p50']:.0f} / {polling['polos_latency_ms']['p99']:.0f} ms "
        "(polling) |",
        f"| upstream requests per second: through execgw / the same waiters polling directly "
        f"as the SDKs do (Polos every 1 s, Blaxel every 3 s) | {through:.0f} / {direct:,.0f} "
        f"(x{direct / max(through, 1e-9):.0f} fewer) | "
        f"{polling['gateway_requests_per_second']:.0f} / "
        f"{polling['direct_requests_per_second']:,.0f} |",
        "",
    ]
    return "\n".join(out) + "\n"


def main(argv):
    p = argparse.ArgumentParser()
    p.add_argument("--events", required=True)
    p.add_argument("--polling", required=True)
    p.add_argument("--command", required=True)
    p.add_argument("--conditions", default="")
    p.add_argument("--out", required=True)
    args = p.parse_args(argv)
    events = json.loads(pathlib.Path(args.events).read_text())
    polling = json.loads(pathlib.Path(args.polling).read_text())
    body = section(events, polling, args.command, args.conditions)
    block = f"<!-- manual:begin watch -->\n{body}<!-- manual:end watch -->\n"
    out = pathlib.Path(args.out)
    text = out.read_text() if out.exists() else ""
    pattern = re.compile(r"<!-- manual:begin watch -->\n.*?<!-- manual:end watch -->\n?", re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        text = text.rstrip("\n") + "\n\n" + block
    out.write_text(text)


if __name__ == "__main__":
    main(sys.argv[1:])
