"""R407 — config numbers that PyYAML hands to numeric APIs as strings."""

from __future__ import annotations

from collections.abc import Iterator

from expcheck.facts import Facts
from expcheck.facts.yamlnumbers import numeric_sinks
from expcheck.repairs.yamlnumbers import repair_yaml_numbers
from expcheck.rules.base import Example, Hit, rule

_MAIN = """\
import yaml

from src.train import train


def main(path):
    with open(path) as f:
        cfg = yaml.safe_load(f)
    for run in cfg["runs"]:
        train(run)
"""

_TRAIN = """\
import torch


def train(run):
    model = torch.nn.Linear(4, 2)
    lr = run["training"].get("lr", 1e-3)
    {extra}optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    return optimizer
"""

_SMOKE = "runs:\n  - run_id: baseline\n    training:\n      lr: {lr}\n      epochs: 1\n"


def _repaired(lr: str) -> dict[str, str]:
    return {"config/smoke_test.yaml": _SMOKE.format(lr=lr)}


def _example(lr: str, extra: str = "", note: str = "", repaired: dict[str, str] | None = None) -> Example:
    return Example(
        files={
            "src/main.py": _MAIN,
            "src/train.py": _TRAIN.format(extra=extra),
            "config/smoke_test.yaml": _SMOKE.format(lr=lr),
        },
        profile="airas-v0-derived",
        note=note,
        repaired=repaired,
    )


@rule(
    id="R407",
    name="yaml-exponent-string",
    criterion="R",
    severity="error",
    confidence="inferred",
    known_limits="""Follows YAML values read with PyYAML into optimizer and tensor arguments; a conversion through a helper it cannot follow is reported.""",
    title="A config number PyYAML reads as a string reaches an optimizer or tensor",
    why="""PyYAML follows YAML 1.1: `1e-3`, `5e-4` or `1.0e3` (no dot, or an exponent without a sign) are
        strings, not floats. Code that loads its configs with yaml.safe_load and passes such a value
        to torch.optim.Adam(lr=...), torch.tensor or math raises TypeError ('<=' not supported between
        float and str) before the first step. Hydra/OmegaConf configs are not affected: OmegaConf
        reads these as floats.""",
    fix="Write the number with a dot and a signed exponent (1.0e-3) in the YAML, or convert it in code (float(...)).",
    bad=[
        _example("1e-3", repaired=_repaired("1.0e-3")),
        _example("5e-4", note="a run file value", repaired=_repaired("5.0e-4")),
        _example("2e3", note="an unsigned exponent", repaired=_repaired("2.0e+3")),
    ],
    good=[
        _example("1.0e-3", note="a dot and a signed exponent: a float to PyYAML"),
        _example("0.001"),
        _example("1e-3", extra="lr = float(lr)\n    ", note="converted before use"),
        Example(
            files={
                "src/main.py": _MAIN,
                "src/train.py": _TRAIN.format(extra="").replace(
                    'lr = run["training"].get("lr", 1e-3)', 'defaults = {"lr": 1e-3}\n    lr = defaults["lr"]'
                ),
                "config/smoke_test.yaml": _SMOKE.format(lr="1e-3"),
            },
            profile="airas-v0-derived",
            note="the value read comes from a dict written in Python",
        ),
    ],
    repair=repair_yaml_numbers,
)
def yaml_exponent_string(facts: Facts) -> Iterator[Hit]:
    for sink in facts.derived(numeric_sinks):
        origins = sink.origins
        shown = ", ".join(f"{s.key}: {s.text} ({s.path}:{s.line})" for s in origins[:3])
        more = f" and {len(origins) - 3} more" if len(origins) > 3 else ""
        yield Hit(
            path=sink.path,
            line=sink.call.line,
            column=sink.call.column,
            message=(
                f"`{sink.call.name}` receives {', '.join(repr(k) for k in sink.keys)} from a config PyYAML loads, "
                f"where {shown}{more} is a string, not a float: TypeError when this line runs"
            ),
        )
