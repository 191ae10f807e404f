"""Building the command line's parser (issue 19): argparse's texts translated once per build, and the stored
compiled code read from the start of a judging command only."""

from __future__ import annotations

import argparse
import gettext
import subprocess
import sys

import pytest

from expcheck import cli


@pytest.mark.parametrize("command", [None, "check", "rules"])
def test_the_parser_is_the_same_with_texts_translated_once(command: str | None) -> None:
    plain = cli._build_parser(command)
    with cli._translated_once():
        once = cli._build_parser(command)
    assert once.format_help() == plain.format_help()
    sub_plain = plain._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    sub_once = once._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert {k: v.format_help() for k, v in sub_once.items()} == {k: v.format_help() for k, v in sub_plain.items()}


def test_translation_is_looked_up_once_per_text_and_restored(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(argparse, "_", lambda text: calls.append(text) or gettext.gettext(text))
    original = argparse._  # type: ignore[attr-defined]
    with cli._translated_once():
        cli._build_parser("check")
    assert calls and len(calls) == len(set(calls))
    assert argparse._ is original  # type: ignore[attr-defined]


def test_only_judging_commands_read_the_stores() -> None:
    script = (
        "import sys\n"
        "from expcheck.cli import main\n"
        "sys.argv = ['expcheck', *sys.argv[1:]]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('STORES', 'expcheck.patterncode' in sys.modules, file=sys.stderr)\n"
    )

    def stores(*argv: str) -> str:
        done = subprocess.run([sys.executable, "-c", script, *argv], capture_output=True, text=True, check=False)
        return done.stderr.strip().splitlines()[-1]

    assert stores("rules") == "STORES False"
    assert stores("--help") == "STORES False"
    assert stores("check", "--help") == "STORES True"
