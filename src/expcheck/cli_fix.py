"""Command line of `expcheck fix` (and `expcheck check --fix`): repair, write, re-check.

``expcheck fix PATH...`` prints the repairs as a unified diff (stdout) and, per input, what the fix
repaired and what remains (stderr). ``--write`` writes the repaired files into a repository directory;
``--output FILE`` writes the repaired code bundle of a bundle or trace input. Exit status: 0 when
every input is ready after the fix, 1 when any is not, 2 on a usage error or unreadable input.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from expcheck.fix import FixResult

EXIT_READY, EXIT_NOT_READY, EXIT_USAGE = 0, 1, 2

_EPILOG = """\
Only repairs that are certainly right are made (dependencies written as a TOML table or only for
Poetry, an import no declared distribution provides, a project uv cannot build, YAML numbers PyYAML
reads as strings, @hydra.main without version_base, cfg.hydra read in the app, the trial/full switch
missing from config.yaml); every other finding keeps its written fix.
Edits change only the spans they repair: comments, quotes and layout stay.

examples:
  expcheck fix ./my-experiment-repo               # show the diff, write nothing
  expcheck fix ./my-experiment-repo --write       # apply it
  expcheck fix bundle.json --output fixed.json    # write the repaired bundle JSON
"""


class FixUsageError(Exception):
    pass


def add_fix_parser(sub: Any) -> None:
    """Register the `fix` subcommand on the CLI's subparsers."""
    fix = sub.add_parser(
        "fix",
        help="repair the mechanical defects deterministically, then re-check",
        description="Repair every finding whose rule has a safe, deterministic repair; print the diff.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    fix.add_argument("inputs", nargs="+", metavar="PATH", help="repository directory, bundle JSON or review trace")
    fix.add_argument("--write", "-w", action="store_true", help="write the repaired files into the directory")
    fix.add_argument("--output", "-o", metavar="FILE", help="write the repaired bundle JSON (bundle or trace input)")
    fix.add_argument(
        "--format", "-f", choices=("diff", "json"), default="diff", help="diff (default) or a JSON document"
    )
    fix.add_argument("--profile", "-p", metavar="NAME|FILE", help="contract profile (default: detected)")
    fix.add_argument("--context", metavar="FILE", help="research context (JSON or YAML) for bundles and repos")
    fix.add_argument("--select", action="append", metavar="IDS", help="only these rule ids (comma-separated)")
    fix.add_argument("--ignore", action="append", metavar="IDS", help="skip these rule ids (comma-separated)")


def _ids(values: list[str] | None) -> tuple[str, ...]:
    return tuple(p.strip() for v in values or () for p in v.split(",") if p.strip())


def _validate(args: argparse.Namespace) -> None:
    from expcheck.errors import InputError
    from expcheck.profiles import load_profile
    from expcheck.rules.base import all_rules

    rules = all_rules()
    for selector in (*_ids(args.select), *_ids(args.ignore)):
        if not any(r.matches(selector) for r in rules):
            raise FixUsageError(f"no rule matches {selector!r} (see 'expcheck rules')")
    if args.profile:
        try:
            load_profile(args.profile)
        except InputError as exc:
            raise FixUsageError(str(exc)) from None
    if args.context and not os.path.isfile(args.context):
        raise FixUsageError(f"--context {args.context}: no such file")


def _line(finding: Any) -> str:
    fix = f" Fix: {finding.fix}" if finding.fix else ""
    return f"- {finding.location()} [{finding.rule}] {finding.message}.{fix}"


def _summary(result: FixResult) -> str:
    after = result.after
    assert after is not None and result.before is not None
    fixed = len(result.before.findings) - len(after.findings)
    if result.repairs:
        head = (
            f"{len(result.repairs)} edit(s) by {', '.join(result.fixed_rules)} in {', '.join(result.changed)}; "
            f"findings {len(result.before.findings)} -> {len(after.findings)}"
            + (f" ({fixed} removed)" if fixed > 0 else "")
        )
    else:
        head = "nothing to repair"
    state = "READY" if after.ready else "NOT READY"
    blocking = [f for f in after.findings if f.blocking]
    lines = [f"expcheck: {result.source}: {head}; after fix: {state} — {len(blocking)} blocking finding(s)"]
    lines.extend(f"  {_line(f)}" for f in blocking)
    return "\n".join(lines) + "\n"


def _as_json(result: FixResult) -> dict[str, Any]:
    return {
        "input": result.source,
        "kind": result.kind,
        "profile": result.profile,
        "changed": result.changed,
        "repairs": [
            {"rule": r.rule, "path": r.path, "line": r.line, "old": r.old, "new": r.new} for r in result.repairs
        ],
        "files": {p: result.files[p] for p in result.changed},
        "findings_before": len(result.before.findings) if result.before else None,
        "after": result.after.model_dump(mode="json") if result.after else None,
    }


def _fix_all(args: argparse.Namespace, report_options: dict[str, Any] | None = None) -> list[FixResult]:
    from expcheck.batch import expand
    from expcheck.fix import fix

    return [
        fix(
            source,
            profile=args.profile,
            context=args.context,
            select=_ids(args.select),
            ignore=_ids(args.ignore),
            **(report_options or {}),
        )
        for source in expand(args.inputs)
    ]


def cmd_fix(args: argparse.Namespace) -> int:
    from expcheck.errors import InputError
    from expcheck.fix import bundle_json, repaired_bundle, write_directory

    _validate(args)
    results = _fix_all(args)
    if args.output and len(results) != 1:
        raise FixUsageError("--output takes exactly one bundle or trace input")
    failed = False
    for result in results:
        if result.error is not None:
            sys.stderr.write(f"expcheck: {result.error}\n")
            failed = True
            continue
        if args.output:
            if result.kind not in ("bundle", "trace"):
                raise FixUsageError("--output writes a bundle; for a directory use --write")
            try:
                text = bundle_json(repaired_bundle(result, result.source))
                with open(args.output, "w", encoding="utf-8") as fh:
                    fh.write(text)
            except (InputError, OSError) as exc:
                raise FixUsageError(f"--output {args.output}: {exc}") from None
            sys.stderr.write(f"expcheck: repaired bundle written to {args.output}\n")
        elif args.write:
            if result.kind != "directory":
                raise FixUsageError(f"{result.source}: --write applies to a directory; use --output FILE for a bundle")
            try:
                written = write_directory(result, result.source)
            except InputError as exc:
                raise FixUsageError(str(exc)) from None
            for path in written:
                sys.stderr.write(f"expcheck: wrote {path}\n")
    readable = [r for r in results if r.error is None]
    if args.format == "json":
        sys.stdout.write(json.dumps([_as_json(r) for r in readable], indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write("".join(r.diff() for r in readable))
        for result in readable:
            sys.stderr.write(_summary(result))
    if failed:
        return EXIT_USAGE
    return EXIT_READY if all(r.after is not None and r.after.ready for r in readable) else EXIT_NOT_READY


def check_fix(args: argparse.Namespace, report_options: dict[str, Any] | None = None) -> list[Any]:
    """`expcheck check --fix`: repair each input (directories in place) and return the reports after it.

    A bundle or trace is judged as repaired but not rewritten (`expcheck fix --output` writes it).
    """
    from expcheck.errors import InputError
    from expcheck.fix import write_directory
    from expcheck.report.schema import Report

    if getattr(args, "trial", False) or getattr(args, "trial_if_clean", False):
        raise FixUsageError("--fix and --trial exclude each other (fix first, then run the trial)")
    reports: list[Report] = []
    for result in _fix_all(args, report_options):
        if result.error is not None:
            reports.append(Report.failed(result.source, result.error))
            continue
        if result.kind == "directory":
            try:
                for path in write_directory(result, result.source):
                    sys.stderr.write(f"expcheck: fixed {path}\n")
            except InputError as exc:
                raise FixUsageError(str(exc)) from None
        elif result.changed:
            sys.stderr.write(
                f"expcheck: {result.source}: judged as repaired, not rewritten "
                "(use 'expcheck fix --output FILE' to write the repaired bundle)\n"
            )
        assert result.after is not None
        reports.append(result.after)
    return reports
