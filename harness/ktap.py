# SPDX-License-Identifier: GPL-2.0-only
"""The KTAP walk shared by kernel-reports.py and kunit-status.py."""

import re

SUBTEST = re.compile(r"^(?P<indent> *)# Subtest: (?P<name>\S+)")
RESULT = re.compile(r"^(?P<indent> *)(?P<not>not )?ok \d+ (?P<name>[^#]*?)\s*"
                    r"(?:#\s*(?P<directive>\S*)\s*(?P<reason>.*))?$")


def raw_output(lines):
    """The raw kernel output of a tier's log: after its marker line, if any."""
    for i, line in enumerate(lines):
        if line.startswith("==== raw kernel output"):
            return lines[i + 1:]
    return lines


def walk(lines):
    """Yield ("subtest", None, None), ("result", test, match) or
    ("line", line, None) for each line of KTAP output.  test is the
    "suite.case" a result belongs to: a result nested deeper (a parameter
    of a case) counts for its case, a top-level one is the suite itself.
    match is the RESULT match, with its level in match.level."""
    stack = {}
    for line in lines:
        line = line.rstrip("\r\n")
        m = SUBTEST.match(line)
        if m:
            level = len(m.group("indent")) // 4
            stack = {k: v for k, v in stack.items() if k < level}
            stack[level] = m.group("name")
            yield "subtest", None, None
            continue
        m = RESULT.match(line)
        if m:
            level = len(m.group("indent")) // 4
            if level == 0:
                test = m.group("name")
            elif level == 1:
                test = "%s.%s" % (stack.get(1, "?"), m.group("name"))
            else:
                test = "%s.%s" % (stack.get(1, "?"), stack.get(2, "?"))
            yield "result", (test, level), m
            continue
        yield "line", line, None
