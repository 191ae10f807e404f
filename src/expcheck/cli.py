"""Command line: ``expcheck check``, ``rules``, ``explain``, ``profiles``.

Exit status of ``check``: 0 when every input is ready, 1 when any is not, 2 on a usage error or an
input that cannot be read (one line on stderr, never a traceback), 3 on an internal error.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

EXIT_READY, EXIT_NOT_READY, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3

_DESCRIPTION = """\
Decide whether a machine-generated ML experiment repository is ready to run, and say precisely
what to fix when it is not. Static checks never import or run the submission's code."""

_CHECK_EPILOG = """\
inputs:
  an experiment repository directory   (src/*.py, pyproject.toml, config/...)
  a code-bundle JSON file              ({"train_py": "...", "main_py": "...", "config_yaml": "...", ...})
  a saved review trace                 (LLM Name: / Input: prompt with the bundle / Output: verdict)

formats:
  text      for people: findings grouped by criterion with path:line:col, evidence and fix (default)
  verdict   exactly {"is_code_ready": bool, "code_issue": str}, for one input, as the pipeline parses it
  json      one document with every report
  jsonl     one report per line, in input order; an unreadable input gets a line with "error"

exit status: 0 all ready, 1 any not ready, 2 usage error or unreadable input, 3 internal error

examples:
  expcheck check examples/ready_bundle.json
  expcheck check ./my-experiment-repo --format verdict
  expcheck check run.json --context research.yaml --profile airas-v1
  expcheck check traces/*.txt --format jsonl --ignore R206
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"expcheck: {message} (see '{self.prog} --help')\n")
        raise SystemExit(EXIT_USAGE)


def _split_ids(values: Sequence[str] | None) -> list[str]:
    out: list[str] = []
    for value in values or ():
        out.extend(part.strip() for part in value.split(",") if part.strip())
    return out


def _use_color(choice: str) -> bool:
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


def _build_parser() -> argparse.ArgumentParser:
    from expcheck import __version__

    parser = _Parser(prog="expcheck", description=_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"expcheck {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    check = sub.add_parser(
        "check",
        help="judge repositories, bundles or review traces",
        description="Judge each input and print its verdict and findings.",
        epilog=_CHECK_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument("inputs", nargs="+", metavar="PATH", help="repository directory, bundle JSON or review trace")
    check.add_argument(
        "--format",
        "-f",
        choices=("text", "verdict", "json", "jsonl"),
        default="text",
        help="output format (default: text)",
    )
    check.add_argument(
        "--profile",
        "-p",
        metavar="NAME|FILE",
        help="contract profile: a built-in name (see 'expcheck profiles') or a YAML file; default: detected",
    )
    check.add_argument(
        "--context",
        metavar="FILE",
        help="research context (JSON or YAML: hypothesis, primary_metric, experiment_runs) for bundles and repos",
    )
    check.add_argument(
        "--select", action="append", metavar="IDS", help="only these rule ids, prefixes or names (comma-separated)"
    )
    check.add_argument(
        "--ignore", action="append", metavar="IDS", help="skip these rule ids, prefixes or names (comma-separated)"
    )
    check.add_argument("--color", choices=("auto", "always", "never"), default="auto", help="colour in text output")

    rules = sub.add_parser(
        "rules", help="list every rule", description="List every rule: id, name, criterion, severity, title."
    )
    rules.add_argument("--format", "-f", choices=("text", "markdown", "json"), default="text")

    explain = sub.add_parser(
        "explain", help="document one rule with its examples", description="Print a rule's documentation."
    )
    explain.add_argument("rule", metavar="RULE", help="rule id (e.g. R203) or name (e.g. dependencies-not-a-list)")

    profiles = sub.add_parser(
        "profiles",
        help="list the built-in contract profiles, or print one",
        description="List the built-in profiles, or print one as YAML to start a profile of your own.",
    )
    profiles.add_argument("name", nargs="?", metavar="NAME", help="print this profile's YAML")
    return parser


def _cmd_check(args: argparse.Namespace) -> int:
    from expcheck import __version__
    from expcheck.api import check
    from expcheck.errors import InputError
    from expcheck.profiles import load_profile
    from expcheck.report.machine import render_json, render_jsonl, render_verdict
    from expcheck.report.text import Style, render_text

    if args.format == "verdict" and len(args.inputs) != 1:
        raise _UsageError("--format verdict takes exactly one input (use jsonl for many)")
    select, ignore = _split_ids(args.select), _split_ids(args.ignore)
    _validate_selectors([*select, *ignore])
    if args.profile:
        try:
            load_profile(args.profile)
        except InputError as exc:
            raise _UsageError(str(exc)) from None
    if args.context and not os.path.isfile(args.context):
        raise _UsageError(f"--context {args.context}: no such file")

    reports = []
    for source in args.inputs:
        report = check(source, profile=args.profile, context=args.context, select=select, ignore=ignore)
        reports.append(report)
        if report.error is not None and args.format in ("text", "verdict"):
            sys.stderr.write(f"expcheck: {report.error}\n")
        for problem in report.internal_errors:
            sys.stderr.write(f"expcheck: internal error in a rule (please report): {problem}\n")

    if args.format == "verdict":
        report = reports[0]
        if report.verdict is not None:
            keys = load_profile(report.profile).verdict_keys if report.profile else None
            sys.stdout.write(render_verdict(report, *(keys.ready, keys.issue) if keys else ()) + "\n")
    elif args.format == "json":
        sys.stdout.write(render_json(reports, __version__))
    elif args.format == "jsonl":
        sys.stdout.write(render_jsonl(reports))
    else:
        readable = [r for r in reports if r.error is None]
        if readable or len(reports) > 1:
            sys.stdout.write(render_text(readable if len(reports) == 1 else reports, Style(_use_color(args.color))))

    if any(r.error is not None for r in reports):
        return EXIT_USAGE
    return EXIT_READY if all(r.ready for r in reports) else EXIT_NOT_READY


def _validate_selectors(selectors: Sequence[str]) -> None:
    from expcheck.rules.base import all_rules

    rules = all_rules()
    for selector in selectors:
        if not any(r.matches(selector) for r in rules):
            raise _UsageError(f"no rule matches {selector!r} (see 'expcheck rules')")


def _find_rule(key: str):  # type: ignore[no-untyped-def]
    from expcheck.rules.base import all_rules

    for r in all_rules():
        if r.id == key.upper() or r.name == key.lower():
            return r
    raise _UsageError(f"unknown rule {key!r} (see 'expcheck rules')")


def _cmd_rules(args: argparse.Namespace) -> int:
    from expcheck.report.rules_doc import rules_json, rules_markdown, rules_table
    from expcheck.rules.base import all_rules

    render = {"text": rules_table, "markdown": rules_markdown, "json": rules_json}[args.format]
    sys.stdout.write(render(all_rules()))
    return 0


def _cmd_explain(args: argparse.Namespace) -> int:
    from expcheck.report.rules_doc import explain

    sys.stdout.write(explain(_find_rule(args.rule)))
    return 0


def _cmd_profiles(args: argparse.Namespace) -> int:
    from importlib import resources

    from expcheck.profiles import builtin_profile_names, builtin_profiles

    if args.name:
        if args.name not in builtin_profile_names():
            raise _UsageError(f"unknown profile {args.name!r}; built-in: {', '.join(builtin_profile_names())}")
        text = resources.files("expcheck.profiles").joinpath(f"{args.name}.yaml").read_text(encoding="utf-8")
        sys.stdout.write(text)
        return 0
    for profile in builtin_profiles():
        sys.stdout.write(f"{profile.name:<17} {profile.title}\n")
    return 0


class _UsageError(Exception):
    pass


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    handlers = {"check": _cmd_check, "rules": _cmd_rules, "explain": _cmd_explain, "profiles": _cmd_profiles}
    try:
        return handlers[args.command](args)
    except _UsageError as exc:
        sys.stderr.write(f"expcheck: {exc}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        sys.stderr.write("expcheck: interrupted\n")
        return 130
    except BrokenPipeError:
        return EXIT_READY
    except Exception as exc:  # never a traceback for the user
        sys.stderr.write(f"expcheck: internal error: {type(exc).__name__}: {exc} (please report)\n")
        return EXIT_INTERNAL


if __name__ == "__main__":
    raise SystemExit(main())
