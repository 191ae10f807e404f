"""The cause a finding's defect belongs to, in the order a developer meets them.

A generator fixing a submission should see first what stops everything else: the environment that
does not install, then the imports that fail, the configuration Hydra cannot compose, the crashes of
the first run, and last the clauses of the contract. Findings about the check itself come after.
"""

from __future__ import annotations

CAUSES: dict[str, str] = {
    "install": "Install (uv sync fails)",
    "import": "Import (fails before running)",
    "configuration": "Configuration (Hydra, run configs)",
    "runtime": "Runtime (first-run crashes)",
    "contract": "Contract (pipeline requirements)",
    "check": "Check (what expcheck could not judge)",
}

# Rule id prefix -> cause; the longest matching prefix wins.
_BY_PREFIX: dict[str, str] = {
    "R2": "install",
    "R5": "install",
    "T101": "install",
    "T106": "install",
    "R101": "import",
    "R103": "import",
    "R305": "import",
    "R401": "import",
    "R402": "import",
    "R404": "import",
    "R102": "configuration",
    "R407": "configuration",
    "C2": "configuration",
    "C7": "configuration",
    "R": "runtime",
    "T": "runtime",
    "C": "contract",
    "X": "check",
}
_RANK = {name: rank for rank, name in enumerate(CAUSES)}


def cause_of(rule_id: str) -> str:
    matching = [prefix for prefix in _BY_PREFIX if rule_id.startswith(prefix)]
    return _BY_PREFIX[max(matching, key=len)] if matching else "contract"


def cause_rank(rule_id: str) -> int:
    return _RANK[cause_of(rule_id)]
