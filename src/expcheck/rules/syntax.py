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
        Example(files={"src/train.py": "def train(cfg)\n    return cfg\n"}, expect=(("src/train.py", 1),)),
        Example(files={"src/model.py": "class Net:\n    def f(self):\n    return 1\n"}, expect=(("src/model.py", 3),)),
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


# What a YAML problem's kind (facts.YamlProblem) says of the file, in R102's message.
_YAML_FAILURES = {"syntax": "YAML does not parse", "value": "YAML does not load"}


@rule(
    id="R102",
    name="yaml-syntax-error",
    criterion="R",
    severity="error",
    confidence="certain",
    known_limits="""Every YAML file is read with PyYAML's safe loader, the base of OmegaConf's: a value the two
        build differently is taken as OmegaConf takes it only for timestamps (an impossible date is text).""",
    title="YAML config does not parse or load",
    why="""Hydra loads config.yaml and the run configs before main() starts; a YAML error there ends
        the run with a parser traceback. So does a value YAML reads but cannot build: an unknown tag,
        ``!!float abc``, an integer longer than Python converts (4,300 digits).""",
    fix="""Correct the YAML at the reported line (indentation, an unclosed quote or bracket, a tab), or the
        value it cannot build (drop the tag, quote the text).""",
    bad=[
        Example(
            files={"config/config.yaml": "wandb:\n  project: x\n   entity: y\n"}, expect=(("config/config.yaml", 3),)
        ),
        Example(files={"config/config.yaml": "seed: 1\nlr: !!float fast\n"}, expect=(("config/config.yaml", 2),)),
    ],
    good=[
        Example(files={"config/config.yaml": "wandb:\n  project: x\n  entity: y\n"}),
        Example(files={"config/config.yaml": "seed: 1\nstart: 2001-13-01\n"}),
    ],
)
def yaml_syntax_error(facts: Facts) -> Iterator[Hit]:
    for path, doc in facts.yaml.items():
        if doc.problem is not None and doc.problem.kind in _YAML_FAILURES:
            yield Hit(
                path=path,
                line=doc.problem.line,
                column=doc.problem.column,
                message=f"{_YAML_FAILURES[doc.problem.kind]}: {doc.problem.message}",
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
    bad=[Example(files={"src/train.py": "\x00\x01binary"}, expect=(("src/train.py", 1),))],
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


@rule(
    id="R104",
    name="beyond-limits",
    criterion="R",
    severity="error",
    title="File nested too deeply (or expanding too far) for expcheck to judge",
    confidence="certain",
    known_limits="A file between Python's or Hydra's own limits and expcheck's (nesting 100 deep) is refused "
    "although it might run; generated code never nests that deep.",
    why="""A file whose nesting or alias expansion passes expcheck's limits cannot be judged, and a
        file that cannot be judged is not ready: Python expressions or YAML collections nested more than
        100 deep, or YAML aliases that expand a document by more than 100,000 nodes (an alias bomb).
        Such nesting is also where tools that read the file recursively give up (PyYAML, Hydra,
        linters); generated code never needs it.""",
    fix="Flatten the structure: split the expression into named steps, write the list or mapping out flat, "
    "and use YAML anchors only for small repeated blocks.",
    bad=[
        Example(files={"src/train.py": "X = " + "-" * 150 + "1\n"}, expect=(("src/train.py", 1),)),
        Example(
            files={"config/config.yaml": "deep: " + "[" * 150 + "]" * 150 + "\n"}, expect=(("config/config.yaml", 1),)
        ),
        Example(
            files={
                "config/config.yaml": "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
                + "".join(
                    f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 10) + "]\n" for i in range(5)
                )
            },
            expect=(("config/config.yaml", 5),),
        ),
    ],
    good=[
        Example(files={"src/train.py": "X = " + " + ".join(["1"] * 60) + "\n"}),
        Example(files={"config/config.yaml": "base: &b {lr: 0.1}\nrun: {<<: *b, epochs: 2}\nother: *b\n"}),
    ],
)
def beyond_limits(facts: Facts) -> Iterator[Hit]:
    for path, module in facts.python.items():
        if module.limit is not None:
            yield Hit(
                path=path,
                line=module.limit.line,
                column=module.limit.column,
                message=f"{path} cannot be judged: {module.limit.message}",
            )
    for path, doc in facts.yaml.items():
        if doc.problem is not None and doc.problem.kind == "limit":
            yield Hit(
                path=path,
                line=doc.problem.line,
                column=doc.problem.column,
                message=f"{path} cannot be judged: {doc.problem.message}",
            )
