"""R1xx — files that cannot even be read by Python or YAML: the run stops at import or config load."""

from __future__ import annotations

from collections.abc import Iterator

from expcheck.facts import Facts
from expcheck.rules.base import Example, Hit, rule


@rule(
    id="R101",
    name="python-syntax-error",
    criterion="R",
    severity="error",
    confidence="certain",
    known_limits="None known: Python's own parser rejects the file.",
    title="Python file does not parse",
    why="""A syntax error stops the run at import, before any experiment work. The position is the
        parser's own, so there is no guessing (and no false report: a file that parses is never
        called broken).""",
    fix="Correct the code at the reported line and column.",
    bad=[
        Example(files={"src/train.py": "def train(cfg)\n    return cfg\n"}),
        Example(files={"src/model.py": "class Net:\n    def f(self):\n    return 1\n"}),
    ],
    good=[Example(files={"src/evaluate.py": "def parse() -> dict:\n    return {'a': 1 > 0}\n"})],
)
def python_syntax_error(facts: Facts) -> Iterator[Hit]:
    for path, module in facts.python.items():
        if module.syntax is not None:
            yield Hit(
                path=path,
                line=module.syntax.line,
                column=module.syntax.column,
                message=f"syntax error: {module.syntax.message}",
            )


@rule(
    id="R102",
    name="yaml-syntax-error",
    criterion="R",
    severity="error",
    confidence="certain",
    known_limits="None known: the YAML parser rejects the file.",
    title="YAML config does not parse",
    why="""Hydra loads config.yaml and the run configs before main() starts; a YAML error there ends
        the run with a parser traceback.""",
    fix="Correct the YAML at the reported line (indentation, an unclosed quote or bracket, a tab).",
    bad=[Example(files={"config/config.yaml": "wandb:\n  project: x\n   entity: y\n"})],
    good=[Example(files={"config/config.yaml": "wandb:\n  project: x\n  entity: y\n"})],
)
def yaml_syntax_error(facts: Facts) -> Iterator[Hit]:
    for path, doc in facts.yaml.items():
        if doc.problem is not None:
            yield Hit(
                path=path,
                line=doc.problem.line,
                column=doc.problem.column,
                message=f"YAML does not parse: {doc.problem.message}",
            )


@rule(
    id="R103",
    name="unreadable-file",
    criterion="R",
    severity="error",
    confidence="certain",
    known_limits="None known: the file is binary, not UTF-8 or over the size limit.",
    title="Code or config file is not readable text",
    why="""A source or config file that is binary, not UTF-8 or absurdly large cannot be imported or
        loaded by the run.""",
    fix="Save the file as UTF-8 text.",
    bad=[Example(files={"src/train.py": "\x00\x01binary"})],
    good=[Example(files={"src/train.py": "print('ok')\n"})],
)
def unreadable_file(facts: Facts) -> Iterator[Hit]:
    for path, file in sorted(facts.code_files.items()):
        if file.unreadable is not None and path.endswith((".py", ".yaml", ".yml", ".toml")):
            yield Hit(
                path=path,
                line=1,
                column=1,
                message=f"{path} is not readable text: {file.unreadable}",
                evidence=f"({file.unreadable})",
            )
