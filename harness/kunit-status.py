#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Check the result of every KUnit test of a tier against expected-skips.

Usage: kunit-status.py TIER LOG [EXPECTED]

LOG is a tier's log whose raw kernel output (KTAP) follows a line that
starts with "==== raw kernel output", or is the raw output.  Every test
(suite.case; a parameterized case counts once) must pass, except those
EXPECTED (default: expected-skips beside this script) lists for TIER:
those must be skipped, with the listed words in their skip reason.  A
listed pattern that matches no test of the tier is an error too, so that a
renamed test cannot leave the list behind.  --list prints the results.
"""

import fnmatch
import os
import sys

# No __pycache__ in the repo: build output goes under build/ only.
sys.dont_write_bytecode = True
import ktap  # noqa: E402

def results(lines):
    """Map suite.case to (PASS|FAIL|SKIP, skip reason)."""
    out = {}
    for kind, what, m in ktap.walk(lines):
        if kind != "result" or what[1] != 1 or what[0].startswith("?."):
            continue
        directive = (m.group("directive") or "").upper()
        if m.group("not"):
            status = "FAIL"
        elif directive == "SKIP":
            status = "SKIP"
        else:
            status = "PASS"
        out[what[0]] = (status, (m.group("reason") or "").strip())
    return out


def expected(path, tier):
    want = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            words = line.split("#", 1)[0].split(None, 2)
            if not words:
                continue
            if len(words) != 3:
                sys.exit("%s:%d: not '<tier glob> <suite.case glob> "
                         "<words of the skip reason>'" % (path, n))
            if fnmatch.fnmatchcase(tier, words[0]):
                want.append((words[1], words[2].strip(), n))
    return want


def main():
    args = sys.argv[1:]
    show = "--list" in args
    args = [a for a in args if a != "--list"]
    if len(args) not in (2, 3):
        sys.exit(__doc__)
    tier, log = args[0], args[1]
    exp = args[2] if len(args) == 3 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "expected-skips")
    with open(log, errors="replace") as f:
        lines = ktap.raw_output(f.readlines())
    got = results(lines)
    if show:
        for name, (status, reason) in sorted(got.items()):
            print("%s %s %s" % (status, name, reason))
        return
    if not got:
        sys.exit("%s: no KUnit results in %s" % (tier, log))
    want = expected(exp, tier)
    bad = []
    used = set()
    for name, (status, reason) in sorted(got.items()):
        rule = next((w for w in want if fnmatch.fnmatchcase(name, w[0])), None)
        if rule:
            used.add(rule)
            if status != "SKIP" or rule[1] not in reason:
                bad.append("%s: %s%s, expected a skip because \"%s\" "
                           "(%s:%d)" % (name, status,
                                        " (" + reason + ")" if reason else "",
                                        rule[1], os.path.basename(exp),
                                        rule[2]))
        elif status != "PASS":
            bad.append("%s: %s%s, expected to pass (not in %s)" %
                       (name, status, " (" + reason + ")" if reason else "",
                        os.path.basename(exp)))
    for w in want:
        if w not in used:
            bad.append("%s:%d: %s matches no test of %s" %
                       (os.path.basename(exp), w[2], w[0], tier))
    for b in bad:
        print("%s: %s" % (tier, b))
    if bad:
        sys.exit(1)


if __name__ == "__main__":
    main()
