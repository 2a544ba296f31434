"""Runs every workload on the kernel and on the shim, alternating sides, and writes the report.
Called by scripts/bench, which owns the lab (creates it and always removes it)."""

import argparse
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import time

import report
from procs import Failed, stop_all
from topology import TOPOLOGY_TEXT, Lab, make_sides
from workloads import all_workloads


class Ctx:
    pass


def make_ctx(args):
    ctx = Ctx()
    ctx.here = os.path.dirname(os.path.abspath(__file__))
    ctx.build = os.path.abspath(args.build)
    ctx.quick = args.quick
    ctx.workdir = os.path.join(os.path.abspath(args.out), "work")
    os.makedirs(ctx.workdir, exist_ok=True)
    # sockperf adds a fixed 2 s sleep before each test, iperf3 and wrk about 0.5 s. Budgets
    # (issue 5): --quick under 2 minutes, the full run (3 repeats) under 15 on a 2-CPU machine.
    if args.quick:
        ctx.dur = {"iperf": 1, "sockperf": 1, "wrk": 1}
        ctx.redis_n, ctx.redis_pipelined_n, ctx.idle_n, ctx.idle_timeout = 10000, 80000, 10000, 20
    else:
        ctx.dur = {"iperf": 3, "sockperf": 2, "wrk": 3}
        ctx.redis_n, ctx.redis_pipelined_n, ctx.idle_n, ctx.idle_timeout = 50000, 300000, 10000, 60
    ctx.wrk_conns = 16
    ctx.load_mps = 10000
    make_nginx(ctx)
    return ctx


def make_nginx(ctx):
    d = os.path.join(ctx.workdir, "nginx")
    os.makedirs(os.path.join(d, "www"), exist_ok=True)
    for kib in (1, 64):
        with open(os.path.join(d, "www", f"{kib}k.bin"), "wb") as f:
            f.write(os.urandom(kib * 1024))
    # One process (no master: a forked worker cannot use its parent's stack), no sendfile
    # (not interposed), no logging; the same file for every side.
    conf = f"""daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log stderr warn;
worker_rlimit_nofile 8192;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    sendfile off;
    keepalive_requests 1000000;
    keepalive_timeout 60s;
    client_body_temp_path {d}/tmp-body;
    proxy_temp_path {d}/tmp-proxy;
    fastcgi_temp_path {d}/tmp-fastcgi;
    uwsgi_temp_path {d}/tmp-uwsgi;
    scgi_temp_path {d}/tmp-scgi;
    default_type application/octet-stream;
    server {{
        listen 8080 backlog=4096;
        root {d}/www;
    }}
}}
"""
    ctx.nginx_dir = d
    ctx.nginx_conf = os.path.join(d, "nginx.conf")
    with open(ctx.nginx_conf, "w") as f:
        f.write(conf)


def machine():
    model = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    try:
        rev = subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True, text=True,
                             cwd=os.path.dirname(__file__)).stdout.strip()
    except OSError:
        rev = "unknown"
    return {"nproc": os.cpu_count(), "cpu": model, "kernel": platform.release(), "commit": rev,
            "date": time.strftime("%Y-%m-%d %H:%M:%S %Z")}


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def on_sigterm(signum, frame):
    # scripts/bench's trap sends SIGTERM: the same clean exit as Ctrl-C.
    raise KeyboardInterrupt()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lab", required=True)
    ap.add_argument("--build", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeat", type=int)
    ap.add_argument("--only", help="regex on workload names")
    ap.add_argument("--command", default="scripts/bench")
    args = ap.parse_args()

    signal.signal(signal.SIGTERM, on_sigterm)

    ctx = make_ctx(args)
    repeat = args.repeat or (1 if args.quick else 3)
    sides = make_sides(args.lab, ctx.build)
    lab = Lab(args.lab)
    workloads = [w for w in all_workloads(ctx) if not args.only or re.search(args.only, w.name)]
    started = time.monotonic()
    results = []
    log(TOPOLOGY_TEXT.strip())
    try:
        for w in workloads:
            samples = {s.name: [] for s in sides}
            fails = {}
            t0 = time.monotonic()
            run_sides = [s for s in sides if w.runs_on(s)]
            for rep in range(repeat):
                # Alternate sides, and reverse the order every other round so drift cancels.
                order = run_sides if rep % 2 == 0 else list(reversed(run_sides))
                for side in order:
                    if side.name in fails:
                        continue
                    lab.enter(side)
                    t1 = time.monotonic()
                    try:
                        samples[side.name].append(w.run_once(side))
                        log(f"  {w.name} [{side.name}]: {time.monotonic() - t1:.1f} s")
                    except Failed as e:
                        fails[side.name] = str(e)
                        log(f"  {w.name} [{side.name}]: FAIL: {e}")
            w.finalize(samples)
            entry = {"workload": w.name, "metrics": []}
            for m in w.metrics:
                per_side = {}
                for s in sides:
                    vals = [x.get(m.key) for x in samples[s.name]]
                    per_side[s.name] = {"samples": vals, "median": median(vals)}
                    if s.name in fails:
                        per_side[s.name]["fail"] = fails[s.name]
                k = per_side["kernel"]["median"]
                ratios = {}
                for s in sides:
                    v = per_side[s.name]["median"]
                    if s.shim and k and v is not None and not per_side[s.name].get("fail"):
                        ratios[s.name] = v / k
                entry["metrics"].append({"key": m.key, "label": m.label, "unit": m.unit, "better": m.better,
                                         "target": m.target, "sides": per_side, "ratio": ratios})
            results.append(entry)
            log(f"{w.name}: {time.monotonic() - t0:.1f} s")
    except KeyboardInterrupt:
        log("bench: interrupted; stopping servers")
        stop_all()
        lab.release()
        return 130
    finally:
        stop_all()
        lab.release()
    doc = {"command": args.command, "quick": args.quick, "repeat": repeat, "durations_s": ctx.dur,
           "machine": machine(), "topology": TOPOLOGY_TEXT.strip(),
           "sides": [s.describe() for s in sides], "elapsed_s": round(time.monotonic() - started, 1),
           "results": results}
    report.write_all(doc, os.path.abspath(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
