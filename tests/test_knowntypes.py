"""The narrow type inference over the semantic model: which ``x.attr`` have a receiver of certain type."""

from __future__ import annotations

import io
import pathlib
import textwrap

from expcheck.facts import Facts
from expcheck.facts.knowntypes import typed_attributes
from expcheck.inputs import load_files


def _typed(source: str) -> set[tuple[int, str, type]]:
    loaded = load_files({"src/train.py": textwrap.dedent(source)}, None, [])
    facts = Facts(loaded.submission, loaded.profile)
    return {(a.line, a.attr, a.type_) for a in facts.derived(typed_attributes)}


def test_literal_and_constructor_receivers() -> None:
    found = _typed(
        """
        def run(m):
            words = []
            words.push(m)
            return float(m).atanh()
        """
    )
    assert found == {(4, "push", list), (5, "atanh", float)}


def test_a_name_bound_to_two_types_is_not_typed() -> None:
    assert not _typed(
        """
        def run(m, flag):
            value = 0.5
            if flag:
                value = m
            return value.atanh()
        """
    )


def test_opened_file_in_with_is_a_text_file() -> None:
    found = _typed(
        """
        def save(path):
            with open(path, "wb") as out:
                out.write_text("x")
        """
    )
    assert found == {(4, "write_text", io.BufferedWriter)}


def test_path_imported_inside_the_function_makes_a_path() -> None:
    # The old private model knew only module-level ``from pathlib import Path``.
    found = _typed(
        """
        def run(p):
            from pathlib import Path
            Path(p).mkdirs()
        """
    )
    assert found == {(4, "mkdirs", pathlib.Path)}


def test_pathlib_dot_path_and_a_guarded_import_make_a_path() -> None:
    found = _typed(
        """
        import pathlib
        try:
            from pathlib import Path as P
        except ImportError:
            P = None

        def run(p):
            pathlib.Path(p).mkdirs()
            P(p).mkdirs()
        """
    )
    assert found == {(9, "mkdirs", pathlib.Path), (10, "mkdirs", pathlib.Path)}


def test_a_name_rebound_in_an_enclosing_function_is_not_the_import() -> None:
    # The old model looked only at the call's own scope before trusting the module-level import.
    assert not _typed(
        """
        from pathlib import Path

        def outer(make):
            Path = make

            def inner(p):
                return Path(p).mkdirs()

            return inner
        """
    )


def test_shadowed_builtin_is_not_trusted() -> None:
    assert not _typed(
        """
        def float(x):
            return x

        def run(m):
            return float(m).atanh()
        """
    )


def test_global_declaration_makes_the_module_value_unknown() -> None:
    assert not _typed(
        """
        history = []

        def reset(value):
            global history
            history = value

        def add(x):
            history.push(x)
        """
    )


def test_closure_reads_the_enclosing_binding() -> None:
    found = _typed(
        """
        def outer(m):
            name = "run"

            def inner():
                return name.decode()

            return inner
        """
    )
    assert found == {(6, "decode", str)}


def test_private_function_parameter_typed_by_every_caller() -> None:
    found = _typed(
        """
        import threading

        def _work(log):
            log.push(1)

        def main():
            queue = []
            threading.Thread(target=_work, args=(queue,)).start()
        """
    )
    assert found == {(5, "push", list)}


def test_r406_sees_paths_however_pathlib_is_imported_and_respects_rebinding() -> None:
    """R406 missed ``Path(p).mkdirs()`` when Path was imported in the function or guarded by a try, and
    ``pathlib.Path(p)``; it reported a name an enclosing function rebinds (the old private model)."""
    from expcheck.engine import run_rules
    from expcheck.rules import all_rules

    source = """
        import pathlib
        try:
            from pathlib import Path as P
        except ImportError:
            P = None

        def run(p):
            from pathlib import Path
            Path(p).mkdirs()
            pathlib.Path(p).mkdirs()
            P(p).mkdirs()

        def outer(make):
            P = make

            def inner(p):
                return P(p).mkdirs()

            return inner
        """
    loaded = load_files({"src/train.py": textwrap.dedent(source)}, None, [])
    outcome = run_rules(Facts(loaded.submission, loaded.profile), [r for r in all_rules() if r.id == "R406"])
    assert not outcome.rule_errors, outcome.rule_errors
    assert [(f.rule, f.line) for f in outcome.findings] == [("R406", 10), ("R406", 11), ("R406", 12)]
