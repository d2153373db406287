#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
#
# kernel-reports.py TIER LOG [EXPECTED]: find the kernel's reports in the
# raw kernel output LOG (after a "==== raw kernel output" line when there
# is one) -- warnings, BUGs, Oopses, refcount and list corruption, general
# protection faults, KASAN, UBSAN, lockdep, kmemleak leaks, hung tasks,
# panics -- and give each to the KUnit test that was running: the test
# case whose result line comes next ("suite.case"; a parameterised case's
# parameters count for the case), the suite ("suite") for one printed in
# its init or exit, "boot" before the first suite, "end" after the last
# result.
#
# EXPECTED (default: harness/expected-reports) lists the reports tests
# provoke on purpose: "<tier glob> <test> <count>" a line.  The run passes
# when every test of LOG has exactly the count the lines matching TIER
# give it (0 when none does).  Otherwise the reports are printed with
# their test and the run fails (exit 1).
import fnmatch
import os
import re
import sys

# No __pycache__ in the repo: build output goes under build/ only.
sys.dont_write_bytecode = True
import ktap  # noqa: E402

REPORT = re.compile(
    r"^(?:"
    r"WARNING: CPU: \d+ PID: \d+ at "
    r"|WARNING: at "
    r"|WARNING: (?:possible|inconsistent|suspicious|bad unlock|held lock|"
    r"lock held|nested lock|Nested lock)"
    r"|DEBUG_LOCKS_WARN_ON"
    r"|.*turning off the locking correctness validator"
    r"|BUG: "
    r"|kernel BUG at "
    r"|Oops"
    r"|Internal error: Oops"
    r"|general protection fault"
    r"|refcount_t: "
    r"|list_(?:add|del) corruption"
    r"|list corruption"
    r"|UBSAN: "
    r"|kmemleak: \d+ new suspected memory leaks"
    r"|kmemleak: .*(?:[Dd]isabl|Memory pool empty|Cannot allocate)"
    r"|Kernel memory leak detector disabled"
    r"|INFO: task .* blocked for more than"
    r"|Kernel panic"
    r")")
def reports(lines):
    """Yield (test, report line) for every report of the kernel output."""
    pending = []
    started = False
    for kind, what, m in ktap.walk(lines):
        if kind == "subtest":
            if not started:
                for r in pending:
                    yield "boot", r
                pending = []
                started = True
        elif kind == "result":
            if started:
                for r in pending:
                    yield what[0], r
                pending = []
        elif REPORT.match(what):
            pending.append(what)
    for r in pending:
        yield ("end" if started else "boot"), r


def expected(path, tier):
    want = {}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.split("#", 1)[0].split()
            if not line:
                continue
            if len(line) != 3 or not line[2].isdigit():
                sys.exit("%s:%d: not '<tier glob> <test> <count>'" % (path, n))
            if fnmatch.fnmatchcase(tier, line[0]):
                want[line[1]] = int(line[2])
    return want


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit("usage: kernel-reports.py TIER LOG [EXPECTED]")
    tier, log = sys.argv[1], sys.argv[2]
    exp = sys.argv[3] if len(sys.argv) == 4 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "expected-reports")
    with open(log, errors="replace") as f:
        lines = ktap.raw_output(f.readlines())
    got = {}
    for test, r in reports(lines):
        got.setdefault(test, []).append(r)
    want = expected(exp, tier)
    bad = 0
    for test in sorted(set(got) | set(want)):
        n, w = len(got.get(test, [])), want.get(test, 0)
        if n == w:
            continue
        bad += 1
        print("%s: %s: %d kernel report(s), %d expected (%s)" %
              (tier, test, n, w, os.path.basename(exp)))
        for r in got.get(test, []):
            print("    " + r)
    allowed = sum(want.values())
    if bad:
        sys.exit(1)
    print("%s: no kernel report but the %d expected" % (tier, allowed))


if __name__ == "__main__":
    main()
