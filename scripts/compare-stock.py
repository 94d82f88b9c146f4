#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The regression guard of `make check-full`: the series against stock 7.3.4.

usage: compare-stock.py candidates SERIES STOCK
       compare-stock.py final SERIES STOCK [RERUN-SERIES RERUN-STOCK]

SERIES and STOCK are result files of scripts/parse-results.py for the same
sweep run on the patched and on the unpatched kernel ("ok|not ok|skip NAME
# detail" lines, NAME prefixed with the run's "[label] ").

"candidates" prints, one per line as "LABEL<TAB>COMMAND", the tests that
failed with the series but passed (or skipped) on stock: the tests to run
once more on both kernels before anything is called a regression.

"final" prints the verdict, one line per test of the series' sweep:
  - a test that passed keeps its line, and so does one that skipped,
    unless it passed on stock (then it fails);
  - a test that failed on stock too is not the series' doing: "skip",
    with both failures;
  - a candidate is a regression ("not ok ... REGRESSION") only when the
    rerun fails it again with the series while stock passes (or skips) it
    again; when the rerun passes it with the series, or fails it on stock
    too, it is reported as flaky ("ok" or "skip", saying so); a skip with
    the series on rerun fails;
  - failures with no stock counterpart (the series' own tests, KUnit,
    kernel splats, a VM that did not finish, in the sweep or the rerun)
    stay failures.
The last line is "N passed, N failed, N skipped"; exit status 1 when
anything failed.
"""
import re
import sys

LINE = re.compile(r'^(ok|not ok|skip)\s+(.*?)(?:\s+#\s*(.*))?$')
LABEL = re.compile(r'^\[([^]]*)\] (.*)$')


def read(path):
    """Ordered list of (status, name, detail) and a dict by name."""
    rows = []
    try:
        lines = open(path).read().splitlines()
    except OSError:
        lines = []
    for l in lines:
        if re.match(r'^\d+ passed, \d+ failed, \d+ skipped$', l):
            continue
        m = LINE.match(l)
        if m:
            rows.append((m.group(1), m.group(2), m.group(3) or ''))
        elif l.startswith('    ') and rows and rows[-1][1].startswith('kernel console'):
            st, name, detail = rows[-1]
            rows[-1] = (st, name, (detail + '\n' if detail else '\n') + l)
    return rows, {r[1]: r for r in rows}


def is_test(name):
    """A selftest command of a sweep (not KUnit, splat or VM lines)."""
    m = LABEL.match(name)
    body = m.group(2) if m else name
    return not (body.startswith('kunit:') or body in ('vm', 'console') or
                body.startswith('kernel console'))


def candidates(series, stock):
    out = []
    for st, name, _ in series[0]:
        if st != 'not ok' or not is_test(name):
            continue
        s = stock[1].get(name)
        if s and s[0] in ('ok', 'skip'):
            m = LABEL.match(name)
            out.append((m.group(1) if m else '', m.group(2) if m else name))
    return out


def final(series, stock, rerun_series, rerun_stock):
    cand = {('[%s] %s' % c) if c[0] else c[1] for c in candidates(series, stock)}
    res = []
    for st, name, detail in series[0]:
        s = stock[1].get(name) if is_test(name) else None
        if st == 'skip' and s and s[0] == 'ok':
            res.append(('not ok', name, 'REGRESSION: skips with the series (%s), '
                        'passes on stock 7.3.4' % detail))
            continue
        if st != 'not ok' or not is_test(name):
            res.append((st, name, detail))
            continue
        if s is None:
            res.append((st, name, detail))
        elif s[0] == 'not ok':
            res.append(('skip', name, 'fails on stock 7.3.4 too, not a '
                        'regression (series: %s; stock: %s)' % (detail, s[2])))
        elif name in cand:
            rs = rerun_series[1].get(name)
            rk = rerun_stock[1].get(name)
            if rs is None or rk is None:
                res.append(('not ok', name, 'REGRESSION? passes on stock '
                            '7.3.4, fails with the series (%s); no rerun '
                            'result' % detail))
            elif rs[0] == 'ok':
                res.append(('ok', name, 'flaky: failed once with the series '
                            '(%s), passed on rerun; stock: %s'
                            % (detail, s[0])))
            elif rs[0] == 'skip':
                res.append(('not ok', name, 'failed with the series (%s), '
                            'skipped on rerun (%s); stock: %s, rerun %s'
                            % (detail, rs[2], s[0], rk[0])))
            elif rk[0] == 'not ok':
                res.append(('skip', name, 'flaky on both kernels: failed with '
                            'the series (%s; rerun: %s), stock 7.3.4 passed '
                            'once and failed on rerun (%s)'
                            % (detail, rs[2], rk[2])))
            else:
                res.append(('not ok', name, 'REGRESSION: fails with the series '
                            'twice (%s; rerun: %s), stock 7.3.4: %s, rerun %s'
                            % (detail, rs[2], s[0], rk[0])))
        else:
            res.append((st, name, detail))
    # A splat or a VM that did not finish during the rerun still counts.
    for st, name, detail in rerun_series[0]:
        if st == 'not ok' and not is_test(name):
            res.append((st, 'rerun: ' + name, detail))
    for st, name, detail in stock[0]:
        if is_test(name) and st == 'ok' and name not in series[1]:
            res.append(('not ok', name, 'passes on stock 7.3.4 but did not '
                        'run with the series'))
    return res


def main(argv):
    if len(argv) < 3 or argv[0] not in ('candidates', 'final'):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    series, stock = read(argv[1]), read(argv[2])
    if argv[0] == 'candidates':
        for label, cmd in candidates(series, stock):
            print('%s\t%s' % (label, cmd))
        return 0
    empty = ([], {})
    rerun_series = read(argv[3]) if len(argv) > 3 else empty
    rerun_stock = read(argv[4]) if len(argv) > 4 else empty
    res = final(series, stock, rerun_series, rerun_stock)
    for st, name, detail in res:
        print('%-6s %s%s' % (st, name, (' # ' + detail) if detail else ''))
    splat = [r for r in stock[0] if r[1].startswith('kernel console')]
    for r in splat:
        print('# stock 7.3.4: %s %s' % (r[1], r[2]))
    n = {k: sum(1 for r in res if r[0] == k) for k in ('ok', 'not ok', 'skip')}
    print('%d passed, %d failed, %d skipped' % (n['ok'], n['not ok'], n['skip']))
    return 1 if n['not ok'] else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
