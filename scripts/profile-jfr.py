#!/usr/bin/env python3
"""Summarises a JFR recording of a Backfill run (docs/profile.md, issue #10).

    jfr print --json --stack-depth 40 --events jdk.ExecutionSample,jdk.NativeMethodSample,\
jdk.CPULoad,jdk.SocketRead,jdk.ThreadPark,jdk.JVMInformation,jdk.GarbageCollection run.jfr > ev.json
    scripts/profile-jfr.py ev.json [FROM TO]   # optional window, UTC times of day HH:MM:SS.mmm

Prints: the JVM's start time and CPU (jdk.CPULoad: JVM user+system vs machine, per second);
Java execution samples (10 ms each under settings=profile) and native samples (20 ms each: e.g. a
thread blocked in a socket read, waiting for PostgreSQL) per thread group, each attributed to the
innermost frame of our code (dev.backfill), pgjdbc (org.postgresql) or Flink; socket-read time by
our calling method (reads over the recording's threshold, 10 ms under settings=profile); parked
time (over 10 ms) of Backfill's threads (source, fetcher, sink, finalizer).
"""
import json
import os
import re
import sys
from collections import Counter, defaultdict


def group(thread):
    name = (thread or {}).get("javaName") or (thread or {}).get("osName") or "?"
    name = re.sub(r"\s*\(\d+/\d+\)#\d+", " (i/n)", name)
    name = re.sub(r"-\d+$", "-N", name)
    name = re.sub(r"\d+", "N", name) if name.startswith(("flink-", "pool-", "Thread-")) else name
    return name


def frames(e):
    st = e["values"].get("stackTrace") or {}
    return [f["method"]["type"]["name"].replace("/", ".") + "." + f["method"]["name"] for f in st.get("frames", [])]


def first(fs, prefix):
    return next((f for f in fs if f.startswith(prefix)), None)


def attribute(fs):
    ours = first(fs, "dev.backfill.")
    pg = first(fs, "org.postgresql.")
    if ours and pg:
        return "pgjdbc under " + ours
    if ours:
        return ours
    if pg:
        return pg
    fl = first(fs, "org.apache.flink.")
    return fl or (fs[0] if fs else "?")


def main(path, start=None, end=None):
    evs = json.load(open(path))["recording"]["events"]
    if start:
        # keep events that start within [start, end] (times of day, UTC, HH:MM:SS.mmm)
        evs = [e for e in evs if e["type"] == "jdk.JVMInformation"
               or start <= e["values"]["startTime"][11:23] <= (end or "99")]
        print(f"window {start} .. {end}")
    by = defaultdict(list)
    for e in evs:
        by[e["type"]].append(e)
    for e in by["jdk.JVMInformation"]:
        print("JVM start", e["values"]["jvmStartTime"])
    cl = by["jdk.CPULoad"]
    if cl:
        jvm = sum(e["values"]["jvmUser"] + e["values"]["jvmSystem"] for e in cl)
        mach = sum(e["values"]["machineTotal"] for e in cl)
        n = os.cpu_count()
        print(f"CPU over {len(cl)} s: JVM {jvm * n:.1f} core-seconds (mean {jvm / len(cl):.2f} of the "
              f"machine's {n} cores), machine mean {mach / len(cl):.2f} (1.0 = all cores busy)")
    for typ, ms in (("jdk.ExecutionSample", 10), ("jdk.NativeMethodSample", 20)):
        threads = Counter(group(e["values"]["sampledThread"]) for e in by[typ])
        print(f"\n{typ}: {len(by[typ])} samples ({ms} ms each); by thread:")
        for k, v in threads.most_common(10):
            print(f"  {v:6d} {v * ms / 1000:7.2f} s  {k}")
        where = Counter(attribute(frames(e)) for e in by[typ])
        print(f"  by innermost frame of ours / pgjdbc / Flink:")
        for k, v in where.most_common(25):
            print(f"  {v:6d} {v * ms / 1000:7.2f} s  {k}")
        top = Counter((frames(e) or ["?"])[0] for e in by[typ])
        print(f"  by top frame:")
        for k, v in top.most_common(15):
            print(f"  {v:6d} {v * ms / 1000:7.2f} s  {k}")
    sr = defaultdict(float)
    for e in by["jdk.SocketRead"]:
        d = e["values"]["duration"]
        secs = float(d[2:-1]) if d.startswith("PT") and d.endswith("S") else 0.0
        sr[(group(e["values"]["eventThread"]), first(frames(e), "dev.backfill.") or "?")] += secs
    print("\nSocket reads over 10 ms (waiting for the server), seconds, by thread and our caller:")
    for (t, c), v in sorted(sr.items(), key=lambda x: -x[1])[:15]:
        print(f"  {v:7.2f} s  {t}  {c}")
    pk = defaultdict(float)
    for e in by["jdk.ThreadPark"]:
        d = e["values"]["duration"]
        secs = float(d[2:-1]) if d.startswith("PT") and d.endswith("S") and "M" not in d else 0.0
        pk[group(e["values"]["eventThread"])] += secs
    print("\nParked over 10 ms (waiting for another thread, e.g. the task thread for records), seconds, by thread:")
    for t, v in sorted(pk.items(), key=lambda x: -x[1]):
        if not re.search(r"backfill|Source", t):
            continue
        print(f"  {v:7.2f} s  {t}")
    gc = by["jdk.GarbageCollection"]
    if gc:
        tot = sum(float(e["values"]["sumOfPauses"][2:-1]) for e in gc if e["values"]["sumOfPauses"].endswith("S") and "M" not in e["values"]["sumOfPauses"])
        print(f"\nGC: {len(gc)} collections, pauses {tot:.2f} s")


if __name__ == "__main__":
    main(*sys.argv[1:4])
