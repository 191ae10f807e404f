"""Which clauses of a profile are in force for one input: stated by its contract text, or by default."""

from __future__ import annotations

import re
from functools import lru_cache

from pydantic import BaseModel, Field

from expcheck.profiles.schema import Clause, Profile


class ClauseState(BaseModel):
    """One clause of the profile and whether it is in force for this input; part of every report."""

    id: str
    text: str
    in_force: bool
    why: str = Field(description="what decided: the phrase the contract text states, its absence, or the default")


@lru_cache(maxsize=256)
def _pattern(expression: str) -> re.Pattern[str]:
    return re.compile(expression, re.IGNORECASE)


def _state(clause: Clause, contract_text: str | None) -> ClauseState:
    if contract_text is None:
        why = "no contract text: the profile's default" + ("" if clause.default else " (off)")
        return ClauseState(id=clause.id, text=clause.text, in_force=clause.default, why=why)
    for expression in clause.stated_by:
        match = _pattern(expression).search(contract_text)
        if match is not None:
            phrase = " ".join(match.group(0).split())
            return ClauseState(
                id=clause.id, text=clause.text, in_force=True, why=f"the contract text states {phrase!r}"
            )
    return ClauseState(id=clause.id, text=clause.text, in_force=False, why="the contract text does not state it")


def clause_states(profile: Profile, contract_text: str | None) -> list[ClauseState]:
    """Every clause of ``profile`` with whether ``contract_text`` (None: the input has none) puts it in force."""
    text = contract_text if contract_text and contract_text.strip() else None
    return [_state(clause, text) for clause in profile.clauses]


def clauses_off(states: list[ClauseState]) -> frozenset[str]:
    return frozenset(s.id for s in states if not s.in_force)
