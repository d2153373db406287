#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
#
# make bench: turn the DATA lines of the runs (path input size stage sg_ns
# rlist_ns ratio noise sg_B/page rl_B/page) into one wide data file per path
# and a gnuplot script drawing the ratios rlist/sg per stage (log scale,
# below 1: rlist is faster; 0.001 stands for 0.001 or less), one panel per
# path; no bar: an error, or under 1 us on both sides.
# Usage: bench-chart.py DATA_FILE OUT_DIR   (writes OUT_DIR/bench-<path>.dat,
# OUT_DIR/bench.gp; gnuplot OUT_DIR/bench.gp makes OUT_DIR/bench.png)
import collections
import sys

STAGES = ["build", "map", "blocks", "sync", "unmap", "free", "pipeline"]
# one fixed colour per column, the same in every panel
COLORS = ["#9400d3", "#009e73", "#56b4e9", "#e69f00", "#f0e442", "#0072b2",
          "#e51e10", "#404040"]

data, out = sys.argv[1], sys.argv[2]
rows = collections.OrderedDict()
for line in open(data):
    f = line.split()
    if len(f) < 10:
        continue
    path, inp, size, stage, ratio = f[0], f[1], f[2], f[3], float(f[6])
    key = (path, f"{inp}-{size}")
    # ratio -1: an error, or both sides under 1 us (nothing to compare);
    # 0 (rlist untimeably fast) and anything smaller is drawn at 0.001
    val = max(ratio, 0.001) if ratio >= 0 else float("nan")
    rows.setdefault(key, {})[stage] = val
    if stage == "map":
        # list memory ratio, from the map stage's figures
        sgb, rlb = float(f[8]), float(f[9])
        rows[key]["memory"] = rlb / sgb if sgb > 0 else float("nan")

cols = STAGES + ["memory"]
paths = list(collections.OrderedDict.fromkeys(k[0] for k in rows))
for p in paths:
    with open(f"{out}/bench-{p}.dat", "w") as w:
        for (path, case), v in rows.items():
            if path == p:
                w.write(case + " " + " ".join(
                    "%.4f" % v[c] if c in v and v[c] == v[c] else "NaN"
                    for c in cols) + "\n")

n = max(len(paths), 1)
with open(f"{out}/bench.gp", "w") as g:
    g.write(f"""set terminal pngcairo size 1600,{420 * n} font ",10" noenhanced
set output "{out}/bench.png"
set multiplot layout {n},1 title "rlist / scatterlist, time per page and list memory (below 1: rlist better; log scale; QEMU: guest instructions (-icount), UML: native time)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set yrange [0.0005:100]
set ytics ("<=0.001" 0.001, 0.01, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 100)
set grid ytics
set xtics rotate by -30
set key outside right
""")
    for p in paths:
        # gnuplot refuses a histogram column without a valid point
        mine = [v for (path, _), v in rows.items() if path == p]
        plots = ", ".join(
            f'"{out}/bench-{p}.dat" using {i + 2}:xtic(1) title "{c}" '
            f'lc rgb "{COLORS[i]}"'
            for i, c in enumerate(cols)
            if any(c in v and v[c] == v[c] for v in mine))
        g.write(f'set title "path: {p}"\nplot {plots}, 1 notitle lc rgb "black"\n')
    g.write("unset multiplot\n")
