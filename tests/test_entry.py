"""facts/entry.py: the line a finding about something a whole module lacks points at."""

from __future__ import annotations

import pytest

from expcheck.facts import Facts
from expcheck.facts.entry import entry_line
from expcheck.inputs import load_files

PATH = "src/evaluate.py"


def _line(text: str) -> int | None:
    loaded = load_files({PATH: text}, "airas-v2")
    return entry_line(Facts(loaded.submission, loaded.profile), PATH)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("import json\n\n\ndef helper():\n    pass\n\n\ndef main():\n    helper()\n", 8),  # the one main
        ("class A:\n    def main(self):\n        pass\n", 2),  # a method named main counts
        ("def run():\n    pass\n\n\nif __name__ == '__main__':\n    run()\n", 1),  # the function the guard calls
        ("import sys\n\n\ndef run():\n    return 0\n\n\nif __name__ == '__main__':\n    sys.exit(run())\n", 4),
        ("def a():\n    pass\n\n\ndef b():\n    pass\n\n\nb()\n", 5),  # ... or a top-level call statement
        # The guard does the work itself; a call whose result it assigns is one step of it.
        ("def parse():\n    return 1\n\n\ndef go(a):\n    pass\n\n\nif __name__ == '__main__':\n    go(parse())\n", 5),
        (
            "def parse():\n    return 1\n\n\ndef go(a):\n    pass\n\n\nif __name__ == '__main__':\n    a = parse()\n    go(a)\n",
            9,
        ),
        ("import os\n\n\nclass Job:\n    pass\n", 4),  # the first function or class
        ('"""Doc."""\n\nimport os\nprint(os.name)\n', 3),  # the first statement after the docstring
        ("# only a comment\n", 1),
    ],
)
def test_entry_line(text: str, line: int) -> None:
    assert _line(text) == line


def test_two_mains_are_no_entry_by_name() -> None:
    text = "class A:\n    def main(self):\n        pass\n\n\nclass B:\n    def main(self):\n        pass\n"
    assert _line(text) == 1  # the first class


def test_unparsed_module_has_no_entry() -> None:
    assert _line("def broken(:\n") is None
