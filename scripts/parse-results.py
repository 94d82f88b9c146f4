#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn test-VM console logs into one result line per test.

usage: parse-results.py [--extra FILE] [--label L] CONSOLE.log [...]

--extra FILE adds result lines computed elsewhere ("ok NAME # detail",
"not ok NAME # detail", "skip NAME # reason"), e.g. checkpatch.

For each log: every command bracketed by the init script's markers
("@@@ START cmd" ... "@@@ END rc=N secs=S cmd") gives ok (rc 0), skip
(rc 4, with the test's SKIP reason) or not ok; the KUnit suites that ran at
boot are read from the KTAP output; any kernel splat (WARNING, BUG, KASAN,
lockdep, Oops, Call Trace, ...) fails the run and is printed.  A VM that
never reached "@@@ DONE" fails.  The last line is exactly
"N passed, N failed, N skipped"; the exit status is 1 when anything failed.
"""
import re
import sys

TS = re.compile(r'^\[\s*\d+\.\d+\]\s?')
SPLAT = re.compile(r'(WARNING:|BUG:|KASAN:|UBSAN:|Oops|Call Trace:|'
                   r'general protection fault|kernel BUG at|Kernel panic|'
                   r'possible circular locking dependency|'
                   r'inconsistent lock state|possible recursive locking|'
                   r'suspicious RCU usage|unreferenced object 0x|'
                   r'INFO: task .* blocked for more than|'
                   r'kmemleak: \d+ new suspected memory leaks)')
KTAP_RESULT = re.compile(r'^(not ok|ok) (\d+) ([^#]*?)\s*(?:#\s*(.*))?$')


def skip_reason(out):
    for l in reversed(out):
        m = re.search(r'SKIP\W*(.*)', l)
        if m:
            return m.group(1).strip() or 'skipped'
    return 'skipped (exit 4)'


def parse(log, label, results, splats):
    try:
        raw = open(log, errors='replace').read().splitlines()
    except OSError as e:
        results.append(('not ok', label + 'console', 'no console log: %s' % e))
        return
    lines = [l.replace('\r', '') for l in raw]
    cur, out, done = None, [], False
    suites = []                  # stack of (indent, suite name)
    splat_ctx = 0
    for l in lines:
        kernel = bool(TS.match(l))
        body = TS.sub('', l)
        if kernel and SPLAT.search(body):
            splats.append('%s%s' % (label, body))
            splat_ctx = 25
            continue
        if kernel and splat_ctx:
            splats.append('%s    %s' % (label, body))
            splat_ctx -= 1
        if body.startswith('@@@ START '):
            cur, out = body[len('@@@ START '):].strip(), []
            continue
        if body.startswith('@@@ END '):
            m = re.match(r'@@@ END rc=(\d+) secs=(\d+) (.*)', body)
            if not m:
                continue
            rc, secs, cmd = int(m.group(1)), m.group(2), m.group(3).strip()
            name = label + cmd
            if rc == 0:
                results.append(('ok', name, '%ss' % secs))
            elif rc == 4:
                results.append(('skip', name, skip_reason(out)))
            else:
                why = 'timeout (killed)' if rc == 137 else 'exit %d' % rc
                tail = [x for x in out if x.strip()][-3:]
                results.append(('not ok', name,
                                why + ('; ' + ' | '.join(tail) if tail else '')))
            cur = None
            continue
        if body.startswith('@@@ DONE'):
            done = True
            continue
        if cur is not None:
            out.append(body)
            continue
        # KUnit KTAP (printed by the kernel before init runs).  "# Subtest:"
        # at indent i opens a suite whose cases are printed at indent i;
        # the suite's own result follows at a shallower indent.
        stripped = body.lstrip(' ')
        indent = len(body) - len(stripped)
        m = re.match(r'# Subtest: (\S+)', stripped)
        if kernel and m:
            while suites and suites[-1][0] >= indent:
                suites.pop()
            suites.append([indent, m.group(1), False])
            continue
        m = KTAP_RESULT.match(stripped)
        if kernel and m and suites:
            status, _, tname, directive = m.groups()
            closed = None
            while suites and suites[-1][0] > indent:
                closed = suites.pop()
            if suites and suites[-1][0] == indent:
                path = '.'.join(s[1] for s in suites)
                name = '%skunit:%s.%s' % (label, path, tname.strip())
                if directive and directive.upper().startswith('SKIP'):
                    results.append(('skip', name, directive[4:].strip() or 'skipped'))
                else:
                    results.append(('ok' if status == 'ok' else 'not ok', name, 'kunit'))
                    if status != 'ok':
                        for s in suites:
                            s[2] = True
            elif closed and status != 'ok' and not closed[2]:
                # A suite that failed without a failing case (e.g. its init).
                results.append(('not ok', '%skunit:%s' % (label, closed[1]),
                                'suite failed'))
    if cur is not None:
        results.append(('not ok', label + cur, 'VM stopped while the test ran'))
    if not done:
        results.append(('not ok', label + 'vm', 'VM did not finish the test list '
                        '(crash, panic or overall timeout); see ' + log))


def main(argv):
    results, splats = [], []
    label = ''
    args = list(argv)
    if not args:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    while args:
        a = args.pop(0)
        if a == '--extra':
            for l in open(args.pop(0)):
                m = re.match(r'^(ok|not ok|skip)\s+(.*?)(?:\s+#\s*(.*))?$', l.strip())
                if m:
                    results.append((m.group(1), m.group(2), m.group(3) or ''))
            continue
        if a == '--label':
            label = args.pop(0)
            label = '[%s] ' % label if label else ''
            continue
        parse(a, label, results, splats)
    for status, name, detail in results:
        print('%-6s %s%s' % (status, name, (' # ' + detail) if detail else ''))
    failed = sum(1 for r in results if r[0] == 'not ok')
    if splats:
        print('not ok kernel console: splat detected:')
        for s in splats:
            print('    ' + s)
        failed += 1
    passed = sum(1 for r in results if r[0] == 'ok')
    skipped = sum(1 for r in results if r[0] == 'skip')
    print('%d passed, %d failed, %d skipped' % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
