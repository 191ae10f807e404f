"""``--format junit``: JUnit XML for CI test reporters (GitLab, Jenkins, Azure, test-report actions).

One test case per input, named by the input. A ready input passes; each blocking finding of a not
ready input is one ``<failure>``; other findings go to the case's ``<system-out>``; an unreadable input
is an ``<error>``. Cases carry ``file`` (the input) and properties (profile, kind).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from expcheck.report.locate import display_path, position
from expcheck.report.schema import Report

# Characters XML 1.0 cannot hold at all (control characters other than tab, newline, carriage return).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def render_junit(reports: Sequence[Report]) -> str:
    failures = sum(1 for r in reports if r.error is None and not r.ready)
    errors = sum(1 for r in reports if r.error is not None)
    counts = {"tests": str(len(reports)), "failures": str(failures), "errors": str(errors), "skipped": "0"}
    root = ET.Element("testsuites", name="expcheck", **counts)
    suite = ET.SubElement(root, "testsuite", name="expcheck", **counts, time="0")
    for report in reports:
        case = ET.SubElement(
            suite, "testcase", name=_clean(report.input), classname="expcheck", file=_clean(report.input), time="0"
        )
        if report.error is not None:
            ET.SubElement(case, "error", message=_clean(report.error), type="unreadable").text = _clean(report.error)
            continue
        props = ET.SubElement(case, "properties")
        for key, value in (("profile", report.profile), ("kind", report.kind)):
            if value:
                ET.SubElement(props, "property", name=key, value=value)
        notes: list[str] = []
        for f in report.findings:
            where = f"{display_path(report, f)}{position(f)}"
            if f.blocking:
                failure = ET.SubElement(case, "failure", message=_clean(f"{f.rule} {where}: {f.message}"), type=f.rule)
                body = [f"{where}: {f.rule} {f.message}"]
                if f.evidence:
                    body.append(f"    | {f.evidence}")
                if f.fix:
                    body.append(f"    fix: {f.fix}")
                failure.text = _clean("\n".join(body))
            else:
                notes.append(f"{f.severity.value} ({f.confidence.value}, not blocking) {where}: {f.rule} {f.message}")
        notes += [f"internal error in expcheck (a crashed rule or a lost worker): {p}" for p in report.internal_errors]
        if notes:
            ET.SubElement(case, "system-out").text = _clean("\n".join(notes))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
