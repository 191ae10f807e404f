"""What the T rules share: the example repositories their bad/good examples run in the sandbox
(small, CPU, stdlib or Hydra only, seconds) and the wording of their messages. No rules here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from expcheck.facts import Facts
from expcheck.facts.trial import Place

if TYPE_CHECKING:  # the sandbox itself is imported only when a trial runs
    from expcheck.sandbox.outcome import RunOutcome


MAX_MESSAGE = 200

# --- example repositories (small, CPU, stdlib or Hydra only, seconds) -----------------------------

ARGS = 'import sys\n\nARGS = dict(arg.split("=", 1) for arg in sys.argv[1:])\n'
RUN_A = (("run-a", "run_id: run-a\nmethod: proposed\ntraining:\n  epochs: 2\n"),)


def stdlib(body: str) -> dict[str, str]:
    """A src/main.py that reads the key=value overrides and runs ``body`` (already indented)."""
    return {"src/main.py": f"{ARGS}\n\ndef main() -> None:\n{body}\n\nif __name__ == '__main__':\n    main()\n"}


# --- message wording ---------------------------------------------------------------------------------


def who(runs: list[RunOutcome]) -> str:
    labels = [f"`{run.label}`" for run in runs]
    if len(labels) == 1:
        return f"trial run {labels[0]}"
    return f"trial runs {', '.join(labels)}"


def short(text: str, limit: int = MAX_MESSAGE) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def fallback(facts: Facts) -> Place | None:
    """The place of a finding whose run points at no line of the code: the first Python file."""
    py = sorted(path for path in facts.files if path.endswith(".py"))
    return Place(path=py[0], line=1) if py else None
