#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""compare-costs.py SERIES_LOG STOCK_LOG: plain guest_memfd costs the same.

Reads the COST lines that bench/gmem_costs_bench printed in two console
logs, one of a kernel with the series and one of unpatched 7.3.4 (there
run with -p), and compares the plain guest_memfd column: every counter
that both kernels have must be equal, operation by operation.  Function
call IPIs (irq_function_calls) are printed but not compared: timers and
the workqueue send them at any time.  Exits 1 on a difference, 2 if a log
has no COST lines.
"""
import sys

NOT_COMPARED = {"irq_function_calls"}


def costs(path):
    out = {}
    with open(path, errors="replace") as f:
        for line in f:
            i = line.find("COST ")
            if i < 0:
                continue
            w = line[i:].split()
            if len(w) < 5 or w[1] == "operation":
                continue
            out[(w[1], w[2])] = w[4]
    return out


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 2
    series, stock = costs(sys.argv[1]), costs(sys.argv[2])
    if not series or not stock:
        print("compare-costs: no COST lines in", sys.argv[1] if not series else sys.argv[2])
        return 2
    bad = 0
    compared = 0
    print("%-16s %-29s %10s %10s" % ("operation", "counter (plain)", "series", "7.3.4"))
    for key in sorted(k for k in series if k in stock):
        a, b = series[key], stock[key]
        if a == "-" or b == "-":
            continue
        note = ""
        if key[1] in NOT_COMPARED:
            note = "  (not compared)"
        else:
            compared += 1
            if a != b:
                note = "  DIFFERENT"
                bad += 1
        print("%-16s %-29s %10s %10s%s" % (key[0], key[1], a, b, note))
    print("compare-costs: %d counters compared, %d different" % (compared, bad))
    return 1 if bad or not compared else 0


if __name__ == "__main__":
    sys.exit(main())
