"""JUnit XML of a regression check, the format CI dashboards read (GitHub Actions,
GitLab, Jenkins): one ``testcase`` per run, a ``failure`` with what was expected and
what came."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from mixopt.analysis.check import Outcome


def junit_xml(suite: str, outcomes: Sequence[Outcome]) -> str:
    """The JUnit document of ``outcomes`` (``suite``: the folder checked)."""
    failures = sum(not o.passed for o in outcomes)
    total_s = sum(o.time_s for o in outcomes)
    root = ET.Element("testsuites", name="mixopt check", tests=str(len(outcomes)),
                      failures=str(failures), errors="0", time=f"{total_s:.3f}")
    ts = ET.SubElement(root, "testsuite", name=suite, tests=str(len(outcomes)),
                       failures=str(failures), errors="0", skipped="0",
                       time=f"{total_s:.3f}")
    for o in outcomes:
        case = ET.SubElement(ts, "testcase", classname=f"mixopt.check.{suite}", name=o.id,
                             time=f"{o.time_s:.3f}")
        if not o.passed:
            fail = ET.SubElement(case, "failure", message=o.failures[0][:500],
                                 type="ExpectationFailed")
            fail.text = "\n".join([
                f"expected: status {o.expected_status}, objective {o.expected_objective!r}",
                f"got:      status {o.status}, objective {o.objective!r}",
                *o.failures])
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
