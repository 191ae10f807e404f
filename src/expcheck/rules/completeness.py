"""C1 — complete implementation: no unfinished markers, no stub bodies, no empty required files."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from expcheck.facts import Facts
from expcheck.facts.interfaces import in_interface_stub, is_interface, overridden_methods
from expcheck.facts.literalpoints import in_comment_or_string
from expcheck.facts.markertext import LoweredText, lowered_texts
from expcheck.rules.base import Example, Hit, rule

_CHECKED_SUFFIXES = (".py", ".yaml", ".yml", ".toml")


@dataclass(frozen=True)
class _Marker:
    pattern: re.Pattern[str]
    label: str
    # True: only inside comments and string literals of Python files (prose, not identifiers).
    prose_only: bool
    # Lower-case substrings one of which any match contains: the regex runs only on texts holding one.
    hints: tuple[str, ...]
    # Narrower such substrings, for text where lower-casing agrees with the regex's case-insensitive
    # matching (see facts/markertext.py: CASE_ODDITIES); empty to use ``hints`` everywhere.
    narrow_hints: tuple[str, ...] = ()


def _phrases(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"(?i)\b(?:" + "|".join(alternatives) + r")\b")


_UNFINISHED: tuple[_Marker, ...] = (
    _Marker(re.compile(r"\b(?:TODO|FIXME)\b"), "unfinished-work marker", False, ("todo", "fixme")),
    _Marker(re.compile(r"\b(?:XXX|HACK)\b"), "unfinished-work marker", True, ("xxx", "hack")),
    _Marker(re.compile(r"\[UNCHANGED\]|<UNCHANGED>"), "unchanged-code marker", False, ("unchanged",)),
    _Marker(
        _phrases("(?:for|for the sake of) brevity", r"simplified (?:version|implementation)"),
        "unfinished-implementation phrase",
        True,
        ("brevity", "simplified"),
    ),
    _Marker(
        _phrases(
            "in a real implementation",
            "in a real (?:scenario|setting|experiment),? (?:you|we|one)",
            "(?:code|implementation|details?) (?:omitted|elided)",
            "rest of (?:the )?(?:code|implementation|file) (?:is |remains )?"
            "(?:unchanged|omitted|the same|as before|goes here)",
            "remaining (?:code|implementation) (?:goes|is) here",
            "implement (?:this|me|here|later)",
            "to be implemented",
            "(?:unchanged|same) (?:as|from) (?:the )?base(?: code)?",
        ),
        "unfinished-implementation phrase",
        True,
        ("in a real", "omitted", "elided", "rest of", "remaining", "implement", "unchanged", "same"),
        (
            "in a real",
            "omitted",
            "elided",
            "rest of",
            "remaining code",
            "remaining implementation",
            "implement this",
            "implement me",
            "implement here",
            "implement later",
            "to be implemented",
            "as base",
            "as the base",
            "from base",
            "from the base",
        ),
    ),
    _Marker(
        re.compile(
            r"^[ \t]*#[ \t]*(?:\.\.\.|…)[ \t]*\(?[ \t]*(?:rest|remaining|more code|same as|other code|existing code)\b.*$",
            re.M,
        ),
        "elided-code comment",
        True,
        ("...", "…"),
    ),
)

_PLACEHOLDERS: tuple[_Marker, ...] = (
    _Marker(re.compile(r"\b[A-Z0-9_]*PLACEHOLDER[A-Z0-9_]*\b"), "placeholder", False, ("placeholder",)),
    _Marker(
        _phrases(r"placeholder (?:implementation|logic|code|model|dataset|data|for (?:the )?(?:real|actual))"),
        "placeholder",
        True,
        ("placeholder",),
    ),
)


def _marker_hits(facts: Facts, markers: tuple[_Marker, ...], skip_interfaces: bool = False) -> Iterator[Hit]:
    prepared_texts = facts.derived(lowered_texts)
    for path, file in sorted(facts.code_files.items()):
        if not path.endswith(_CHECKED_SUFFIXES) or file.unreadable is not None:
            continue
        module = facts.python.get(path)
        prepared = prepared_texts[path]
        reported: set[tuple[int, str]] = set()
        holds: dict[tuple[str, ...], bool] = {}  # markers sharing their hints (C105's two) search them once
        for marker in markers:
            hints = marker.narrow_hints if prepared.plain_case and marker.narrow_hints else marker.hints
            if hints not in holds:
                holds[hints] = prepared.holds_any(hints)
            if not holds[hints]:
                continue
            for match in _matches(marker.pattern, prepared, hints):
                start = match.start() + (len(match.group(0)) - len(match.group(0).lstrip()))
                number = file.text.count("\n", 0, start) + 1
                column0 = start - (file.text.rfind("\n", 0, start) + 1)
                if (number, marker.label) in reported:
                    continue  # one finding per marker kind and line
                if skip_interfaces and in_interface_stub(facts, path, number):
                    continue  # "to be implemented by subclasses" on a hook they do implement
                # A prose marker's last character lies inside the comment or string it belongs to.
                if marker.prose_only and module is not None and not in_comment_or_string(module, match.end() - 1):
                    continue
                reported.add((number, marker.label))
                yield Hit(
                    path=path,
                    line=number,
                    column=column0 + 1,
                    message=f"{marker.label} {match.group(0).strip()!r} left in the code",
                )


def _matches(pattern: re.Pattern[str], prepared: LoweredText, hints: tuple[str, ...]) -> Iterator[re.Match[str]]:
    """The pattern's matches in the text, in order. No marker pattern matches across a newline and every
    match holds one of ``hints``, so only the lines holding a hint are searched (the whole text when
    lower-casing moved offsets)."""
    spans = prepared.line_spans(hints)
    if spans is None:
        yield from pattern.finditer(prepared.text)
        return
    for start, end in spans:
        yield from pattern.finditer(prepared.text, start, end)


@rule(
    id="C101",
    name="unfinished-marker",
    criterion="C1",
    severity="error",
    confidence="inferred",
    known_limits="""Matches the contract's own marker words (TODO, FIXME, 'for brevity', 'simplified version'); a design note that uses such a word in another sense is reported too.""",
    title="TODO, FIXME or 'omitted for brevity' left in the code",
    why="""Generated code that still says TODO, 'simplified version' or 'rest of the code' tells you by
        its own words that a part was never written; the run either crashes there or produces results
        from a stand-in.""",
    fix="Write the missing part in full and delete the marker.",
    bad=[
        Example(
            files={"src/train.py": "def train(cfg):\n    # TODO: implement the training loop\n    return None\n"},
            expect=(("src/train.py", 2),),
        ),
        Example(
            files={"src/preprocess.py": "def load(cfg):\n    # ... rest of the loading code\n    return []\n"},
            expect=(("src/preprocess.py", 2),),
        ),
        Example(
            files={
                "src/model.py": "def build(cfg):\n    net = make(cfg)  # details omitted for brevity\n    return net\n"
            },
            expect=(("src/model.py", 2),),
        ),
        Example(
            files={"src/train.py": 'def fit(m):\n    """Simplified version of the real loop."""\n    return m\n'},
            expect=(("src/train.py", 2),),
        ),
    ],
    good=[
        Example(files={"src/train.py": "def train(cfg):\n    # run every epoch\n    return cfg.epochs\n"}),
        Example(files={"src/evaluate.py": "def todo_list():\n    return ['a']\n"}),
        Example(files={"src/evaluate.py": "# ...\nx = 1\n"}, note="a lone '# ...' is a divider, not elision"),
        Example(
            files={"src/train.py": '"""Flatten the config so the rest of the code need not know its layout."""\n'},
            note="'rest of the code' without an elision cue is ordinary prose",
        ),
    ],
)
def unfinished_marker(facts: Facts) -> Iterator[Hit]:
    yield from _marker_hits(facts, _UNFINISHED, skip_interfaces=True)


@rule(
    id="C105",
    name="placeholder-left",
    criterion="C1",
    severity="error",
    confidence="inferred",
    known_limits="""Recognises placeholders by their names (DATASET_PLACEHOLDER, 'placeholder dataset'); an identifier that merely contains such a word may be reported.""",
    title="Placeholder left where real code or values belong",
    why="""A DATASET_PLACEHOLDER, MODEL_PLACEHOLDER or 'placeholder dataset' in code meant to run means
        the dataset, model or setting it stands for was never filled in. (The base-code contract,
        which asks for such placeholders, turns this rule off.)""",
    fix="Replace the placeholder with the real dataset, model or value the run config names.",
    bad=[
        Example(files={"src/model.py": "MODEL_NAME = 'MODEL_PLACEHOLDER'\n"}, expect=(("src/model.py", 1),)),
        Example(
            files={"config/config.yaml": "dataset:\n  name: DATASET_PLACEHOLDER\n"}, expect=(("config/config.yaml", 2),)
        ),
        Example(
            files={
                "src/preprocess.py": "def load():\n    # placeholder data until the real loader exists\n    return []\n"
            },
            expect=(("src/preprocess.py", 2),),
        ),
    ],
    good=[
        Example(files={"src/model.py": "MODEL_NAME = 'resnet18'\n"}),
        Example(
            files={"src/model.py": "MODEL = 'MODEL_PLACEHOLDER'  # filled per experiment\n"},
            profile="airas-v0-base",
            note="the base-code contract asks for named placeholders",
        ),
        Example(files={"src/train.py": "pad = tokenizer.pad_token  # used as a placeholder token id\n"}),
    ],
)
def placeholder_left(facts: Facts) -> Iterator[Hit]:
    yield from _marker_hits(facts, _PLACEHOLDERS)


_STUB_FIX = {
    "pass": "the body is only `pass`",
    "...": "the body is only `...`",
    "docstring": "the body is only a docstring",
    "raise NotImplementedError": "the body only raises NotImplementedError",
}


@rule(
    id="C102",
    name="stub-function",
    criterion="C1",
    severity="error",
    confidence="inferred",
    known_limits="""Treats a body of only pass/.../docstring/raise NotImplementedError as unfinished; an intentional no-op hook not marked @abstractmethod is reported.""",
    title="Function or method with an empty body",
    why="""A function whose body is only `pass`, `...`, a docstring or `raise NotImplementedError` does
        nothing when called: the experiment silently skips that step or crashes when it reaches it.
        Abstract methods, overloads and Protocol members are declarations and are not reported.""",
    fix="Implement the function, or delete it and its callers; mark true interfaces with @abstractmethod.",
    bad=[
        Example(
            files={"src/model.py": "class Net:\n    def forward(self, x):\n        pass\n"},
            expect=(("src/model.py", 2),),
        ),
        Example(
            files={"src/train.py": "def evaluate(model):\n    raise NotImplementedError\n"},
            expect=(("src/train.py", 1),),
        ),
        Example(
            files={"src/preprocess.py": 'def tokenize(batch):\n    """Tokenise a batch."""\n'},
            expect=(("src/preprocess.py", 1),),
        ),
    ],
    good=[
        Example(files={"src/model.py": "class Net:\n    def forward(self, x):\n        return x * 2\n"}),
        Example(
            files={
                "src/model.py": "from abc import ABC, abstractmethod\n\n"
                "class Base(ABC):\n    @abstractmethod\n    def forward(self, x):\n        ...\n"
            }
        ),
        Example(files={"src/train.py": "class StopTraining(Exception):\n    pass\n"}),
        Example(
            files={
                "src/model.py": "class Base:\n    def step(self, x):\n        raise NotImplementedError\n\n"
                "class Mine(Base):\n    def step(self, x):\n        return x\n"
            },
            note="an interface method that a subclass implements",
        ),
    ],
)
def stub_function(facts: Facts) -> Iterator[Hit]:
    overridden = facts.derived(overridden_methods)
    for path, module in facts.python.items():
        if facts.files[path].origin != "code":
            continue
        for fn in module.functions:
            if fn.stub is None or is_interface(fn.qualname, fn.intentional_stub, overridden):
                continue  # a declaration: abstract, or an interface method a project subclass implements
            yield Hit(
                path=path,
                line=fn.line,
                column=fn.column,
                message=f"`{fn.qualname}` is not implemented: {_STUB_FIX[fn.stub]}",
            )


@rule(
    id="C103",
    name="empty-required-file",
    criterion="C1",
    severity="error",
    confidence="certain",
    known_limits="None known: the file the profile requires is empty or whitespace only.",
    title="Required file is empty",
    why="""The contract names this file and the pipeline runs it; an empty or whitespace-only file
        means that whole part of the experiment (training, model, configuration, dependencies) is
        missing.""",
    fix="Write the file's full content.",
    bad=[
        Example(
            files={"src/train.py": "", "src/main.py": "print('run')\n"},
            note="the finding is on the file: line 1, the only line of an empty file",
            expect=(("src/train.py", 1),),
        )
    ],
    good=[Example(files={"src/train.py": "def train():\n    return 1\n"})],
)
def empty_required_file(facts: Facts) -> Iterator[Hit]:
    for path in facts.profile.required_files:
        file = facts.files.get(path)
        if file is not None and file.unreadable is None and file.is_blank:
            yield Hit(path=path, line=1, column=1, message=f"required file {path} is empty", evidence="(empty file)")


@rule(
    id="C104",
    name="elided-code",
    criterion="C1",
    severity="error",
    confidence="inferred",
    known_limits="""A bare `...` among real statements is read as elided code; an intentional Ellipsis expression statement is reported too.""",
    title="Bare `...` standing in for omitted code",
    why="""A lone `...` among real statements is how generated code marks a part it left out; Python
        accepts it and runs on without the missing step.""",
    fix="Replace the `...` with the code it stands for.",
    bad=[
        Example(
            files={"src/train.py": "def run(cfg):\n    model = build(cfg)\n    ...\n    return model\n"},
            expect=(("src/train.py", 3),),
        )
    ],
    good=[Example(files={"src/train.py": "def run(cfg):\n    model = build(cfg)\n    return model\n"})],
)
def elided_code(facts: Facts) -> Iterator[Hit]:
    for path, module in facts.python.items():
        if facts.files[path].origin != "code":
            continue
        for line, column in module.elided_statements:
            yield Hit(path=path, line=line, column=column, message="bare `...` stands where code was left out")
