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

The soak (soak/gmem_ndm_soak.c) asks for sysrq dumps of a VMM that does not
finish and brackets them with kernel log lines "soak: diagnostic dump
begin ID" and "soak: diagnostic dump end ID" (same ID).  Inside a bracket,
and only there, a "Call Trace:" line is not a splat when it follows a
sysrq-style block header ("NMI backtrace for cpu N", "task:COMM state:S")
that has not had its Call Trace yet, at most DUMP_WINDOW kernel
(timestamped) console lines before it; the oldest such header is used.  Everything else that is a splat outside is one inside too
(WARNING:, BUG:, KASAN:, lockdep, Oops, general protection fault, Kernel
panic, ...), and so, inside only, are the lines that mark a report whose
only splat line could be its Call Trace (RCU stalls, hard lockups, "cut
here", "end trace", "Modules linked in:", lockdep's DEADLOCK), except the
duration report of the backtrace's own NMI handler
(nmi_cpu_backtrace_handler).  A begin
marker without its end marker (one with the same ID, before the next
begin marker or the end of the log) exempts nothing and fails the run; an end marker without a
begin marker is ignored.  A passing test's output lines "soak: emulator
fault excluded: ..." are added to its result line.
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

# The soak's sysrq dumps (soak/soak_classify.h: SOAK_DUMP_MARK).
CALLER = re.compile(r'^\[\s*[TC]\d+\]\s?')          # CONFIG_PRINTK_CALLER
DUMP_MARK = re.compile(r'^soak: diagnostic dump (begin|end) (\S+)\s*$')
DUMP_HEADER = re.compile(r'^(NMI backtrace for cpu \d+\s*$|task:.{1,15} state:\S)')
DUMP_WINDOW = 40
DUMP_FAIL = re.compile(r'(\bINFO: |detected stalls? on|self-detected stall|'
                       r'hard LOCKUP|cut here|---\[ end trace|'
                       r'Modules linked in:|\*\*\* DEADLOCK \*\*\*|'
                       r'[Pp]ossible .*(deadlock|locking scenario))')
# The sysrq 'l' backtrace is printed from an NMI handler; over a slow
# console the handler reports its own duration.  Only that handler's, and
# only inside the markers, is part of the dump.
DUMP_OWN = re.compile(r'^INFO: NMI handler \(nmi_cpu_backtrace_handler\) took '
                      r'too long to run: [\d.]+ msecs\s*$')
EXCLUDED = 'soak: emulator fault excluded: '


def skip_reason(out):
    for l in reversed(out):
        m = re.search(r'SKIP\W*(.*)', l)
        if m:
            return m.group(1).strip() or 'skipped'
    return 'skipped (exit 4)'


def dump_brackets(lines):
    """The soak's diagnostic dump brackets: {begin index: end index}, and
    the (index, ID) of begin markers without an end marker."""
    brackets, unterminated, opened = {}, [], None
    for i, l in enumerate(lines):
        if not TS.match(l):
            continue
        m = DUMP_MARK.match(CALLER.sub('', TS.sub('', l)))
        if not m:
            continue
        if m.group(1) == 'begin':
            if opened:
                unterminated.append(opened)
            opened = (i, m.group(2))
        elif opened and m.group(2) == opened[1]:
            brackets[opened[0]] = i
            opened = None
    if opened:
        unterminated.append(opened)
    return brackets, unterminated


def parse(log, label, results, splats, firsts=None):
    try:
        raw = open(log, errors='replace').read().splitlines()
    except OSError as e:
        results.append(('not ok', label + 'console', 'no console log: %s' % e))
        return
    lines = [l.replace('\r', '') for l in raw]
    cur, out, done = None, [], False
    suites = []                  # stack of (indent, suite name)
    splat_ctx = 0
    brackets, unterminated = dump_brackets(lines)
    for i, tok in unterminated:
        results.append(('not ok', label + 'console',
                        'soak diagnostic dump %s: begin marker without an end '
                        'marker (line %d of %s); its backtraces count as splats'
                        % (tok, i + 1, log)))
    dump_end = -1                # index of the open bracket's end marker
    headers = []                 # its block headers without a Call Trace yet
    nkernel = 0                  # console lines from the kernel so far
    first = []                   # this log's first splat and its first RIP:
    for idx, l in enumerate(lines):
        kernel = bool(TS.match(l))
        body = TS.sub('', l)
        if kernel:
            nkernel += 1
            kbody = CALLER.sub('', body)
            if idx in brackets:
                dump_end, headers = brackets[idx], []
            in_dump = idx < dump_end
            exempt = False
            if in_dump and not SPLAT.search(body) and DUMP_HEADER.match(kbody):
                headers.append(nkernel)
            elif in_dump and kbody.strip() == 'Call Trace:':
                # The Call Trace of the oldest open block in the window.
                headers = [h for h in headers if nkernel - h <= DUMP_WINDOW]
                exempt = bool(headers)
                headers = headers[1:]
            if not exempt and (SPLAT.search(body) or
                               (in_dump and DUMP_FAIL.search(body) and
                                not DUMP_OWN.match(kbody))):
                splats.append('%s%s%s' % (label, body, ' (during the soak\'s '
                                          'diagnostic dump)' if in_dump else ''))
                splat_ctx = 25
                if not first:
                    first.append(body.strip())
                continue
        if kernel and splat_ctx:
            splats.append('%s    %s' % (label, body))
            splat_ctx -= 1
            if len(first) == 1 and re.search(r'\bRIP: ', body):
                first.append(body.strip())
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
                excl = [x for x in out if x.startswith(EXCLUDED)]
                results.append(('ok', name, '; '.join(['%ss' % secs] + excl)))
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
    if first and firsts is not None:
        firsts.append(label + ' | '.join(first))
    if cur is not None:
        results.append(('not ok', label + cur, 'VM stopped while the test ran'))
    if not done:
        results.append(('not ok', label + 'vm', 'VM did not finish the test list '
                        '(crash, panic or overall timeout); see ' + log))


def main(argv):
    results, splats, firsts = [], [], []
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
        parse(a, label, results, splats, firsts)
    for status, name, detail in results:
        print('%-6s %s%s' % (status, name, (' # ' + detail) if detail else ''))
    failed = sum(1 for r in results if r[0] == 'not ok')
    if splats:
        print('not ok kernel console: splat detected:')
        for s in splats:
            print('    ' + s)
        # The first splat of each log again, where a truncated view of
        # this output (its last lines) still shows it: later splats are
        # often consequences of the first.
        for f in firsts:
            print('    first splat: ' + f)
        failed += 1
    passed = sum(1 for r in results if r[0] == 'ok')
    skipped = sum(1 for r in results if r[0] == 'skip')
    print('%d passed, %d failed, %d skipped' % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
