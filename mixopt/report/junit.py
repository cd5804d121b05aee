"""JUnit XML of a regression check, the format CI dashboards read (GitHub Actions,
GitLab, Jenkins): one ``testcase`` per run, a ``failure`` with what was expected and
what came, a ``skipped`` for a run an interrupted check did not reach.

Any text is welcome in a run's id or message: characters XML 1.0 cannot hold (control
characters other than tab and line breaks, lone surrogates, U+FFFE and U+FFFF) are
written as visible escapes (``\\x07``), so the file is well-formed whatever the manifest
says."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from mixopt.analysis.check import Outcome

#: What XML 1.0 cannot hold, even escaped.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    """``text`` with every character XML 1.0 cannot hold shown as its escape.

    >>> xml_text("run\\x07one")
    'run\\\\x07one'
    """
    return NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256
                       else f"\\u{ord(m.group()):04x}", text)


def junit_xml(suite: str, outcomes: Sequence[Outcome]) -> str:
    """The JUnit document of ``outcomes`` (``suite``: the folder checked)."""
    suite = xml_text(suite)
    skipped = [o for o in outcomes if o.status == "interrupted"]
    failures = sum(not o.passed for o in outcomes) - len(skipped)
    total_s = sum(o.time_s for o in outcomes)
    root = ET.Element("testsuites", name="mixopt check", tests=str(len(outcomes)),
                      failures=str(failures), errors="0", time=f"{total_s:.3f}")
    ts = ET.SubElement(root, "testsuite", name=suite, tests=str(len(outcomes)),
                       failures=str(failures), errors="0", skipped=str(len(skipped)),
                       time=f"{total_s:.3f}")
    for o in outcomes:
        case = ET.SubElement(ts, "testcase", classname=f"mixopt.check.{suite}",
                             name=xml_text(o.id), time=f"{o.time_s:.3f}")
        if o.status == "interrupted":
            ET.SubElement(case, "skipped", message=xml_text(o.failures[0]))
        elif not o.passed:
            fail = ET.SubElement(case, "failure", message=xml_text(o.failures[0][:500]),
                                 type="ExpectationFailed")
            fail.text = xml_text("\n".join([
                f"expected: status {o.expected_status}, objective {o.expected_objective!r}",
                f"got:      status {o.status}, objective {o.objective!r}",
                *o.failures]))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
