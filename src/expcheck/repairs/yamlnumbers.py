"""Repair of R407: write the config numbers PyYAML reads as strings so that it reads floats.

``lr: 1e-3`` becomes ``lr: 1.0e-3`` — the same number, with the dot and the signed exponent YAML 1.1
requires of a float. Only the scalar's characters change; the new text is accepted only when PyYAML
loads it as a float equal to the number written.
"""

from __future__ import annotations

import re

from expcheck.facts import Facts
from expcheck.facts.yamlnumbers import NumericString, numeric_sinks
from expcheck.findings import Finding
from expcheck.repairs import Edit, line_offsets

_PARTS = re.compile(r"(?P<sign>[-+]?)(?P<int>\d[\d_]*)?(?:\.(?P<frac>\d*))?[eE](?P<esign>[-+]?)(?P<exp>\d+)")


def yaml11_float(text: str) -> str | None:
    """``text`` (an exponent number PyYAML reads as a string) written so PyYAML reads it as that float."""
    import yaml

    match = _PARTS.fullmatch(text)
    if match is None:
        return None
    new = f"{match['sign']}{match['int'] or '0'}.{match['frac'] or '0'}e{match['esign'] or '+'}{match['exp']}"
    try:
        value = yaml.load(new, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # safe_load, with libyaml
        wanted = float(text.replace("_", ""))
    except (yaml.YAMLError, ValueError):
        return None
    return new if isinstance(value, float) and value == wanted else None


def _value_span(line: str, origin: NumericString) -> int | None:
    """Column of the scalar on its line: after ``key:`` in block style, else its only occurrence as a token."""
    block = re.match(rf"^\s*-?\s*{re.escape(origin.key)}\s*:\s*(?P<value>{re.escape(origin.text)})\s*(?:#.*)?$", line)
    if block is not None:
        return block.start("value")
    tokens = list(re.finditer(rf"(?<![\w.+-]){re.escape(origin.text)}(?![\w.])", line.split("#", 1)[0]))
    return tokens[0].start() if len(tokens) == 1 else None


def repair_yaml_numbers(facts: Facts, finding: Finding) -> list[Edit]:
    """Rewrite the YAML scalars the finding's call can receive (those its message cites)."""
    sinks = [
        s
        for s in facts.derived(numeric_sinks)
        if s.path == finding.path and s.call.line == finding.line and s.call.column == finding.column
    ]
    edits: list[Edit] = []
    for origin in dict.fromkeys(o for s in sinks for o in s.origins):
        if re.search(rf"\({re.escape(origin.path)}:{origin.line}\)", finding.message) is None:
            continue
        file = facts.files[origin.path]
        column = _value_span(file.line(origin.line), origin)
        new = yaml11_float(origin.text)
        if column is None or new is None:
            continue
        start = line_offsets(file)[origin.line - 1] + column
        edits.append(Edit(origin.path, start, start + len(origin.text), new))
    return edits
