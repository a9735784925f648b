#!/usr/bin/env python3
"""Joins a harness's per-request figures with serve's schedule and prints
how far they are apart, and what serve and the harness cost.

  compare.py BENCH.json SCHEDULE.ndjson [--serve-cpu BEFORE AFTER]
             [--serve-rss-kib BEFORE PEAK] [--streams N] [--ttft MS --itl MS]

BENCH.json is `streamfold bench --json` (rows joined on request_id), or,
with --distributions, any harness's TTFT/ITL lists (JSON {"ttft_ms": [...],
"itl_ms": [...]}), compared by quantiles only.
"""
import argparse
import collections
import json


def pct(values, p):
    v = sorted(values)
    if not v:
        return float("nan")
    rank = max(1, min(len(v), -(-len(v) * p // 100)))
    return v[int(rank) - 1]


def summary(values):
    return "p50 %.3f  p99 %.3f  max %.3f ms (n=%d)" % (
        pct(values, 50), pct(values, 99), pct(values, 100), len(values))


def schedule_of(path):
    s = collections.defaultdict(list)
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            s[r["request_id"]].append((r["t"], r["kind"]))
    for rows in s.values():
        rows.sort()
    return s


def serve_figures(s, ttft, itl):
    """serve's own TTFT and ITL (from its schedule), and its lateness."""
    ttfts, itls, late = [], [], []
    for rows in s.values():
        req = [t for t, k in rows if k == "request"]
        content = [t for t, k in rows if k == "content"]
        if not req or not content:
            continue
        ttfts.append((content[0] - req[0]) * 1e3)
        itls += [(b - a) * 1e3 for a, b in zip(content, content[1:])]
        if ttft is not None:
            late += [((t - req[0]) * 1e3 - (ttft + i * itl)) for i, t in enumerate(content)]
    return ttfts, itls, late


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bench")
    ap.add_argument("schedule")
    ap.add_argument("--serve-cpu", nargs=2, type=float)
    ap.add_argument("--serve-rss-kib", nargs=2, type=float)
    ap.add_argument("--streams", type=int)
    ap.add_argument("--ttft", type=float)
    ap.add_argument("--itl", type=float)
    ap.add_argument("--distributions", action="store_true")
    a = ap.parse_args()
    s = schedule_of(a.schedule)
    b = json.load(open(a.bench))
    s_ttft, s_itl, late = serve_figures(s, a.ttft, a.itl)
    events = sum(1 for rows in s.values() for _, k in rows if k in ("content", "event"))
    print("serve: %d requests, %d writes" % (len(s), events))
    if late:
        print("serve pacing, lateness of each text write:", summary(late))
    if a.distributions:
        h_ttft, h_itl = b["ttft_ms"], b["itl_ms"]
        print("harness TTFT:", summary(h_ttft), " serve TTFT:", summary(s_ttft))
        print("harness ITL: ", summary(h_itl), " serve ITL: ", summary(s_itl))
        for p in (50, 99, 100):
            print("  p%d difference: TTFT %+.3f ms, ITL %+.3f ms" % (
                p, pct(h_ttft, p) - pct(s_ttft, p), pct(h_itl, p) - pct(s_itl, p)))
    else:
        ttft_err, itl_err, missing = [], [], 0
        rows = b["requests"]
        for r in rows:
            happened = s.get(r.get("request_id"))
            if r["error"] is not None or not happened:
                missing += 1
                continue
            req = [t for t, k in happened if k == "request"][0]
            content = [t for t, k in happened if k == "content"]
            ttft_err.append(abs(r["ttft_ms"] - (content[0] - req) * 1e3))
            for g, (x, y) in zip(r["itl_ms"], zip(content, content[1:])):
                itl_err.append(abs(g - (y - x) * 1e3))
        print("bench: %d rows (%d failed or unjoined), completed %s, failed %s" % (
            len(rows), missing, b["completed"], b["failed"]))
        print("|bench TTFT - serve TTFT|:", summary(ttft_err))
        print("|bench ITL - serve ITL|:  ", summary(itl_err))
        h = b["harness"][0]
        ev = h["sse_events"]
        print("bench CPU: %.2f s for %d SSE events = %.4f CPU-s per 1,000 events" % (
            h["cpu_seconds"], ev, h["cpu_seconds"] / ev * 1000 if ev else float("nan")))
        if h["peak_in_flight"]:
            print("bench memory: %.1f MiB before, %.1f MiB at %d in flight = %.1f KiB per stream" % (
                h["rss_before_bytes"] / 2**20, h["rss_peak_bytes"] / 2**20, h["peak_in_flight"],
                (h["rss_peak_bytes"] - h["rss_before_bytes"]) / 1024 / h["peak_in_flight"]))
    if a.serve_cpu:
        cpu = a.serve_cpu[1] - a.serve_cpu[0]
        print("serve CPU: %.2f s for %d writes = %.4f CPU-s per 1,000 writes" % (
            cpu, events, cpu / events * 1000 if events else float("nan")))
    if a.serve_rss_kib and a.streams:
        before, peak = a.serve_rss_kib
        print("serve memory: %.1f MiB before, %.1f MiB peak = %.1f KiB per stream (%d streams)" % (
            before / 1024, peak / 1024, (peak - before) / a.streams, a.streams))


if __name__ == "__main__":
    main()
