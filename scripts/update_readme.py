"""Regenerate the rule table in README.md from the rules themselves."""

from __future__ import annotations

import sys
from pathlib import Path

from expcheck.report.rules_doc import rules_markdown
from expcheck.rules import all_rules

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- rules:start -->", "<!-- rules:end -->"


def rendered(text: str) -> str:
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{rules_markdown(all_rules())}{END}{tail}"


def main() -> int:
    text = README.read_text(encoding="utf-8")
    new = rendered(text)
    if "--check" in sys.argv[1:]:
        return 0 if new == text else 1
    README.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
