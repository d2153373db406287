#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Print per-suite pass/fail/skip counts from a kunit.py --json file."""

import json
import sys


def walk(group, out, prefix=""):
    name = group.get("name", "?")
    cases = group.get("test_cases", [])
    if cases:
        counts = {"PASS": 0, "FAIL": 0, "SKIP": 0, "ERROR": 0}
        failed = []
        for case in cases:
            status = case.get("status", "FAIL")
            counts[status] = counts.get(status, 0) + 1
            if status not in ("PASS", "SKIP"):
                failed.append(case.get("name", "?"))
        out.append((prefix + name, counts, failed))
    for sub in group.get("sub_groups", []):
        walk(sub, out, "" if name == "KUnit Test Group" else prefix + name + ".")


def main():
    with open(sys.argv[1]) as f:
        root = json.load(f)
    suites = []
    walk(root, suites)
    width = max([len(s[0]) for s in suites] + [5])
    print(f"{'suite':<{width}}  pass  fail  skip")
    for name, counts, failed in suites:
        bad = counts["FAIL"] + counts["ERROR"]
        print(f"{name:<{width}}  {counts['PASS']:>4}  {bad:>4}  {counts['SKIP']:>4}")
        for case in failed:
            print(f"{'':<{width}}  FAILED: {case}")


if __name__ == "__main__":
    main()
