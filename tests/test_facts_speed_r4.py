"""Round 4 speed shortcuts in facts/ (issue 19), each compared with the slow way it replaces."""

from __future__ import annotations

import random
import re

from conftest import corpus_files, needs_shared
from expcheck.facts.linespans import mention_lines, word_places
from expcheck.submission import SourceFile

# ---- linespans.word_places ---------------------------------------------------------------------------------------


def _regex_places(text: str, names: list[str]) -> list[int]:
    """The slow way: the starts of the regex's matches."""
    pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, sorted(set(names)))) + r")\b", re.ASCII)
    return [match.start() for match in pattern.finditer(text)]


def _regex_lines(file: SourceFile, names: list[str], first: int = 1, last: int | None = None) -> list[int]:
    pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, sorted(set(names)))) + r")\b", re.ASCII)
    return [n for n, line in enumerate(file.lines[first - 1 : last], first) if pattern.search(line)]


_PIECES = ["a", "ab", "abc", "b", "_", "1", "x1", " ", "\n", "\r\n", ".", "(", "é", "ß", "a_b", "\t", "aa", "ba", "9"]
_NAMES = ["a", "ab", "abc", "b", "_", "x1", "a_b", "aa", "ba", "9", "A", "_a"]


def test_word_places_as_the_regex_finds_them() -> None:
    chance = random.Random(4)
    compared = 0
    for _ in range(4000):
        text = "".join(chance.choice(_PIECES) for _ in range(chance.randint(0, 30)))
        names = sorted(set(chance.sample(_NAMES, chance.randint(1, 4))))
        assert word_places(text, names) == _regex_places(text, names), (text, names)
        compared += bool(_regex_places(text, names))
    assert compared > 800


def test_mention_lines_as_the_regex_finds_them() -> None:
    for text, names in [("x(a b\nzz", ["(a"]), ("xa b\na b", ["a b"]), ("a.b\nxa.b", ["a.b", "b"]), ("q-\n-", ["-"])]:
        file = SourceFile(path="m.py", text=text)
        assert mention_lines(file, names, checked=True) == _regex_lines(file, names), (text, names)
    chance = random.Random(5)
    for _ in range(1500):
        text = "".join(chance.choice(_PIECES) for _ in range(chance.randint(0, 40)))
        names = chance.sample([*_NAMES, "a.b", "a b", "(a"], chance.randint(1, 3))  # not all words: the regex
        file = SourceFile(path="m.py", text=text)
        first = chance.randint(1, 3)
        last = chance.choice([None, first + chance.randint(0, 4)])
        assert mention_lines(file, names, first, last, checked=True) == _regex_lines(file, names, first, last), (
            text,
            names,
            first,
            last,
        )


@needs_shared
def test_corpus_word_places_as_the_regex_finds_them() -> None:
    """Every corpus Python file, for names it holds (its identifiers, short and long) and names it does not."""
    chance = random.Random(6)
    files = 0
    for _trace, _path, file in corpus_files(".py"):
        if file.unreadable is not None:
            continue
        text = file.text
        words = sorted(set(re.findall(r"\w+", text, re.ASCII)))
        for _ in range(3):
            names = chance.sample(words, min(len(words), chance.randint(1, 3))) + ["cfg", "np", "t", "zz_none"][:2]
            assert word_places(text, sorted(set(names))) == _regex_places(text, names), names
        files += 1
    assert files > 100


# ---- pep621.plain_requirement_name -------------------------------------------------------------------------------


def _packaging_name(text: str) -> str | None:
    """The slow way: packaging's reading (None when it refuses the string)."""
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        return Requirement(text).name
    except InvalidRequirement:
        return None


_REQUIREMENT_PIECES = ["torch", "a", "A-b", "x.y", "x_", "-", ".", "_", "9", ">=", "==", "<", ">", "!=", "~=", "<=",
                       "===", "1", "2.0", "0.1.2", ".*", ",", " ", "[cuda]", "; python_version<'3.12'", "@", "v", "*",
                       "01", "1.0a1", "post1", "+local", ">=1,", "~=1"]


def test_plain_requirements_named_as_packaging_names_them() -> None:
    from expcheck.facts.pep621 import plain_requirement_name, requirement_ok

    chance = random.Random(7)
    plain = 0
    for _ in range(6000):
        text = "".join(chance.choice(_REQUIREMENT_PIECES) for _ in range(chance.randint(1, 6)))
        name = plain_requirement_name(text)
        if name is not None:
            plain += 1
            assert name == _packaging_name(text), text
        assert requirement_ok(text) is (_packaging_name(text) is not None), text
    assert plain > 300


@needs_shared
def test_corpus_requirements_named_as_packaging_names_them() -> None:
    import tomllib

    from expcheck.facts.pep621 import plain_requirement_name, requirement

    texts: set[str] = set()
    for _trace, _path, file in corpus_files("pyproject.toml"):
        try:
            doc = tomllib.loads(file.text)
        except tomllib.TOMLDecodeError:
            continue
        project = doc.get("project", {})
        deps = project.get("dependencies") if isinstance(project, dict) else None
        if isinstance(deps, list):
            texts.update(d for d in deps if isinstance(d, str))
        elif isinstance(deps, dict):
            texts.update(t for n, v in deps.items() if (t := requirement(str(n), v)) is not None)
    named = [text for text in texts if plain_requirement_name(text) is not None]
    assert len(named) > 0.5 * len(texts) > 50, (len(named), len(texts))
    for text in texts:
        name = plain_requirement_name(text)
        assert name is None or name == _packaging_name(text), text
