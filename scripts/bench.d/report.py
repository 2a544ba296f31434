"""The report: a table on stdout (also results.txt), results.json and ratios.png (gnuplot)."""

import json
import math
import os
import shutil
import subprocess

SHIMS = ("shim-packet", "shim-tap")
TAP_OFF = "shim-tap-off"  # shim-tap with USTACK_OFFLOADS=off


def fmt(v):
    if v is None:
        return "-"
    a = abs(v)
    if a >= 1000:
        return f"{v:,.0f}"
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def verdict(m, ratio):
    if m["target"] is None or ratio is None:
        return ""
    if m["better"] == "higher":
        return f">={m['target']:g} " + ("met" if ratio >= m["target"] else "MISSED")
    return f"<={m['target']:g} " + ("met" if ratio <= m["target"] else "MISSED")


def table(doc):
    rows = []
    notes = []
    head = ["workload", "metric", "unit", "kernel", "shim-packet", "ratio", "shim-tap", "ratio",
            "tap-offloads-off", "on/off", "target (packet)"]
    for r in doc["results"]:
        for i, m in enumerate(r["metrics"]):
            cells = [r["workload"] if i == 0 else "", m["label"], m["unit"]]
            for side in ("kernel",) + SHIMS + (TAP_OFF,):
                s = m["sides"].get(side, {"median": None})
                if s.get("fail") and s["median"] is None:
                    note = f"{r['workload']} [{side}]: {s['fail']}"
                    if note not in notes:
                        notes.append(note)
                    cells.append(f"FAIL[{notes.index(note) + 1}]")
                else:
                    cells.append(fmt(s["median"]))
                if side == TAP_OFF:
                    # What the TAP offloads gain: shim-tap over the same run with them off.
                    on, off = m["sides"].get("shim-tap", {}).get("median"), s["median"]
                    cells.append(f"{on / off:.2f}" if on is not None and off else "-")
                elif side != "kernel":
                    ratio = m["ratio"].get(side)
                    cells.append(f"{ratio:.2f}" if ratio is not None else "-")
            cells.append(verdict(m, m["ratio"].get("shim-packet")))
            rows.append(cells)
    widths = [max(len(str(c)) for c in col) for col in zip(head, *rows)]
    right = {3, 4, 5, 6, 7, 8, 9}
    def line(cells):
        return "  ".join(str(c).rjust(w) if i in right else str(c).ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
    out = [line(head), line(["-" * w for w in widths])] + [line(r) for r in rows]
    out.append("(-: not run on that side in this mode; shim-tap-off runs iperf3 only, --quick"
               " only host->peer x1)")
    if notes:
        out.append("")
        out += [f"[{i + 1}] FAIL: {n}" for i, n in enumerate(notes)]
    return "\n".join(out)


def header(doc):
    m = doc["machine"]
    lines = [f"ustack bench: {doc['command']}  ({'quick, ' if doc['quick'] else ''}{doc['repeat']} run(s) per side, "
             f"medians; ratio = shim / kernel)",
             f"machine: {m['nproc']} CPUs, {m['cpu']}, Linux {m['kernel']}; commit {m['commit']}; {m['date']}",
             "topology (one lab from scripts/lab.sh, Linux peer in L-peer):"]
    lines += [f"  {s}" for s in doc["sides"]]
    lines.append("  primary ratio: shim-packet / kernel (same veth pkt0); shim-tap adds the bridge br0;"
                 " on/off = shim-tap / shim-tap-off (TAP offloads)")
    return "\n".join(lines)


def plot(doc, out_dir):
    if not shutil.which("gnuplot"):
        return "gnuplot not installed; no plot"
    dat = os.path.join(out_dir, "ratios.dat")
    n = 0
    with open(dat, "w") as f:
        for r in doc["results"]:
            for m in r["metrics"]:
                if not m["ratio"] and all(not m["sides"][s].get("fail") for s in SHIMS):
                    continue
                if m["label"].startswith("  "):
                    continue  # the breakdown rows of a metric
                label = f"{r['workload']}: {m['label']} ({'hi' if m['better'] == 'higher' else 'lo'})"
                vals = [m["ratio"].get(s) for s in SHIMS]
                f.write('"%s" %s\n' % (label.replace('"', "'"),
                                       " ".join(f"{v:.4g}" if v else "NaN" for v in vals)))
                n += 1
    png = os.path.join(out_dir, "ratios.png")
    # Horizontal bars from 1 (parity) to the ratio on a log axis, one row per metric, the
    # packet and TAP runs side by side; the first row at the top.
    bar = "($%d):(%d - $0 %s 0.2):($%d < 1 ? $%d : 1):($%d < 1 ? 1 : $%d):(%d - $0 %s 0.38):(%d - $0 %s 0.02)"
    packet = bar % (2, n - 1, "+", 2, 2, 2, 2, n - 1, "+", n - 1, "+")
    tap = bar % (3, n - 1, "-", 3, 3, 3, 3, n - 1, "-", n - 1, "-")
    script = f"""
set terminal pngcairo size 1300,{200 + 30 * n} font ",9"
set output "{png}"
set title "ustack shim / Linux kernel, medians (hi: higher is better, lo: lower is better; no bar: FAIL)"
set logscale x 10
set xrange [0.01:100]
set yrange [-0.6:{n - 0.4}]
set grid x
set key top right
set xlabel "ratio shim / kernel (log scale; 1 = parity)"
set arrow from 1, graph 0 to 1, graph 1 nohead lw 2 lc rgb "black"
set style fill solid 0.75
set ytics nomirror
plot "{dat}" using {packet} with boxxyerror lc rgb "#2a6fdb" title "shim-packet", \\
     "{dat}" using {tap} with boxxyerror lc rgb "#e08a1e" title "shim-tap", \\
     "{dat}" using (1):({n - 1} - $0):ytic(1) with points pt -1 notitle
"""
    r = subprocess.run(["gnuplot"], input=script, capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        return "gnuplot failed: " + r.stderr.strip().splitlines()[-1] if r.stderr.strip() else "gnuplot failed"
    return f"plot: {png}"


def write_all(doc, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "results.json"), "w") as f:
        json.dump(doc, f, indent=1)
    text = header(doc) + "\n\n" + table(doc) + "\n"
    with open(os.path.join(out_dir, "results.txt"), "w") as f:
        f.write(text)
    print(text)
    print(f"json: {os.path.join(out_dir, 'results.json')}")
    print(plot(doc, out_dir))
    print(f"elapsed: {doc['elapsed_s']} s")
