"""Command line: ``expcheck check``, ``fix``, ``review``, ``audit``, ``rules``, ``explain``, ``profiles``,
``config``, ``schema``, ``serve``.

Exit status of ``check``: 0 when every input is ready, 1 when any is not, 2 on a usage error or an
input that cannot be read (one line on stderr, never a traceback), 3 on an internal error.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

if TYPE_CHECKING:
    from expcheck.api import TrialChecked
    from expcheck.batch import Options
    from expcheck.config import Resolved
    from expcheck.executors.ray import RayConfig
    from expcheck.report.schema import Report
    from expcheck.sandbox import TrialOptions

EXIT_READY, EXIT_NOT_READY, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
FORMATS = ("text", "concise", "verdict", "json", "jsonl", "sarif", "github", "junit")
SCHEMAS = ("report", "profile", "config")
_T = TypeVar("_T")

_DESCRIPTION = """\
Decide whether a machine-generated ML experiment repository is ready to run, and say precisely
what to fix when it is not. Static checks never import or run the submission's code."""

_INTEGRATIONS = """\
integrations (README, section Integration):
  formats          expcheck check --format concise|sarif|github|junit [--output-file FILE]
  configuration    [tool.expcheck] in pyproject.toml, or expcheck.toml; 'expcheck config' shows the
                   effective values (a checked repository's own configuration applies only with
                   --trust-submission-config)
  pre-commit       hook id 'expcheck' (.pre-commit-hooks.yaml of the expcheck repository)
  GitHub Actions   the composite action action.yml: annotations, SARIF upload to code scanning
  JSON Schemas     expcheck schema report|profile|config
  HTTP service     expcheck serve: POST /v1/check, /v1/verdict; GET /v1/rules, /healthz
                   (pip install 'expcheck[serve]')
"""

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
  concise   one line per finding: path:line:col: RULE message (like ruff's concise output)
  sarif     SARIF 2.1.0 for code scanning (GitHub, GitLab, IDE SARIF viewers); stable fingerprints
  github    GitHub Actions annotations (::error file=...,line=...::), at most 10 errors and 10
            warnings annotated per step, the rest in the log with a summary notice
  junit     JUnit XML: one test case per input, one failure per error finding, for CI test reporters
  --output-file FILE writes any format to FILE instead of stdout.

exit status: 0 all ready, 1 any not ready, 2 usage error, unreadable input, or a requested trial that
             could not run, 3 internal error

examples:
  expcheck check examples/ready_bundle.json
  expcheck check ./my-experiment-repo --format verdict
  expcheck check run.json --context research.yaml --profile airas-v1
  expcheck check traces/*.txt --format jsonl --ignore R206
"""

_CONFIG_EPILOG = """\
files, nearest first from the current directory upwards (or --config FILE):
  expcheck.toml / .expcheck.toml   keys at the top level
  pyproject.toml                   keys under [tool.expcheck]

  [tool.expcheck]
  profile = "airas-v1"                 # or a profile YAML file, relative to this file
  context = "research.yaml"
  ignore = ["R206"]
  per-file-ignores = { "src/evaluate.py" = ["C8"] }
  format = "concise"
  [tool.expcheck.trial]
  mode = "if-clean"                    # off | always | if-clean
  timeout = 300

Command-line flags win over files. A configuration inside a checked repository (or found from the
current directory inside one, as with 'expcheck check .') is the submission's: it is ignored unless
--trust-submission-config (or trust-submission-config = true in your own file) is given, and even
then it can only set profile, context, select, ignore and per-file-ignores.
"""


class _Parser(argparse.ArgumentParser):
    # Text appended to the epilog when help is printed, computed then (e.g. what this machine provides).
    epilog_extra: Callable[[], str] | None = None

    def format_help(self) -> str:
        if self.epilog_extra is None:
            return super().format_help()
        saved = self.epilog
        self.epilog = (saved or "") + self.epilog_extra()
        try:
            return super().format_help()
        finally:
            self.epilog = saved

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"expcheck: {message} (see '{self.prog} --help')\n")
        raise SystemExit(EXIT_USAGE)


def _split_ids(values: Sequence[str] | None) -> list[str]:
    out: list[str] = []
    for value in values or ():
        out.extend(part.strip() for part in value.split(",") if part.strip())
    return out


def _use_color(choice: str, to_file: bool = False) -> bool:
    """--color always/never win; otherwise NO_COLOR (any value) turns colour off, FORCE_COLOR (any value
    but 0/false) turns it on, and else colour is used on a terminal (never in an --output-file)."""
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    force = os.environ.get("FORCE_COLOR")
    if force is not None and force.strip().lower() not in ("0", "false", "no"):
        return True
    return not to_file and sys.stdout.isatty()


def _command_in(argv: Sequence[str]) -> str | None:
    """The subcommand ``argv`` names (its first word that is not an option), or None."""
    return next((word for word in argv if not word.startswith("-")), None)


def _build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser. With ``only`` (the subcommand a call names), the long option lists of
    the other subcommands are left out: they are never parsed in that call, and building them costs more
    than parsing (every subcommand stays listed, with its help line)."""
    from expcheck import __version__

    def wanted(command: str) -> bool:
        return only is None or only == command

    parser = _Parser(
        prog="expcheck",
        description=_DESCRIPTION,
        epilog=_INTEGRATIONS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"expcheck {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    check = sub.add_parser(
        "check",
        help="judge repositories, bundles or review traces",
        description="Judge each input and print its verdict and findings.",
        epilog=_CHECK_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    if wanted("check"):
        check.add_argument("inputs", nargs="+", metavar="PATH", help="repository directory, bundle JSON or review trace")
        _add_check_options(check)
        _add_executor_options(check)
        check.add_argument(
            "--fix", action="store_true", help="apply the safe repairs first (directories in place), then judge"
        )

    config = sub.add_parser(
        "config",
        help="print the effective configuration and where each value comes from",
        description="Print the configuration 'expcheck check' would use with the same inputs and flags: each "
        "value with its source (default, a configuration file, the command line), and the configuration "
        "of checked repositories, applied only with --trust-submission-config.",
        epilog=_CONFIG_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    if wanted("config"):
        config.add_argument(
            "inputs", nargs="*", metavar="PATH", help="the inputs 'check' would get (for their own configuration)"
        )
        _add_check_options(config)
        config.add_argument("--show", choices=("text", "json"), default="text", help="how to print it (default: text)")
    config.epilog_extra = None

    schema = sub.add_parser(
        "schema",
        help="print the JSON Schema of the report, of profiles or of the configuration",
        description="Print a JSON Schema (draft 2020-12). The same files are in the repository under schemas/.",
    )
    schema.add_argument(
        "which", nargs="?", choices=SCHEMAS, default="report", help="report (default), profile or config"
    )

    serve = sub.add_parser(
        "serve",
        help="run the HTTP service for pipelines (needs the extra: pip install 'expcheck[serve]')",
        description="Serve POST /v1/check, POST /v1/verdict, GET /v1/rules and GET /healthz (OpenAPI at "
        "/openapi.json). Static checks only: submitted code is never run. Errors are JSON; bodies over "
        "--max-body-bytes get 413, checks over --timeout get 504.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, loopback only)")
    serve.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    serve.add_argument(
        "--workers", type=int, default=None, metavar="N", help="checking processes (default: one per CPU core)"
    )
    serve.add_argument(
        "--max-body-bytes", type=int, default=None, metavar="BYTES", help="largest request body (default: 8 MiB)"
    )
    serve.add_argument("--timeout", type=float, default=None, metavar="SECONDS", help="limit per check (default: 30)")

    review = sub.add_parser(
        "review",
        help="check, then ask an LLM what rules cannot decide; keep only claims grounded in the code",
        description=(
            "Judge each input statically, then ask a model behind an OpenAI-compatible endpoint about method "
            "fidelity, experimental design and result integrity. A claim counts only when its verbatim quote is "
            "at the file and line it names and the code does not refute it; kept claims are L findings "
            "(warnings unless --llm-blocking). The static verdict is never lost: when the call fails, the "
            "report says the review did not happen."
        ),
    )
    if wanted("review"):
        review.add_argument("inputs", nargs="+", metavar="PATH", help="repository directory, bundle JSON or review trace")
        _add_check_options(review, llm_required=True)

    audit = sub.add_parser(
        "audit",
        help="audit the verdicts recorded in review traces, claim by claim",
        description=(
            "Split each recorded verdict into its claims and classify them: confirmed by an expcheck finding, "
            "refuted by the code itself (a claimed syntax error in a file that parses, a file claimed missing "
            "that is there, ...), or unverified; list the errors the recorded verdict missed."
        ),
    )
    audit.add_argument("inputs", nargs="+", metavar="TRACE", help="review traces (folders, globs, index files too)")
    audit.add_argument("--format", "-f", choices=("text", "json"), default="text")
    audit.add_argument("--profile", "-p", metavar="NAME|FILE", help="contract profile (default: detected)")
    audit.add_argument("--color", choices=("auto", "always", "never"), default="auto")

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
    from expcheck.cli_fix import add_fix_parser

    add_fix_parser(sub)
    return parser


def _add_check_options(check: _Parser, llm_required: bool = False) -> None:
    check.add_argument(
        "--format",
        "-f",
        choices=FORMATS,
        default=None,
        help="output format (default: text; see 'formats' below)",
    )
    check.add_argument(
        "--output-file", "-o", metavar="FILE", help="write the output to FILE instead of stdout (any format)"
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
    check.add_argument(
        "--jobs",
        "-j",
        type=int,
        metavar="N",
        help="judge inputs in N processes (default and most: the usable CPU cores); order is kept",
    )
    check.add_argument(
        "--input-timeout",
        type=float,
        metavar="SECONDS",
        help="time limit for judging one input; past it the input is reported as not judged "
        "(default: 120; 0 for none)",
    )
    check.add_argument("--html", metavar="OUT", help="also write one self-contained HTML report of the batch to OUT")
    conf = check.add_argument_group("configuration ([tool.expcheck] in pyproject.toml, or expcheck.toml)")
    conf.add_argument("--config", metavar="FILE", help="read this configuration file instead of searching for one")
    conf.add_argument("--isolated", action="store_true", help="read no configuration file at all")
    conf.add_argument(
        "--trust-submission-config",
        action="store_true",
        help="apply the configuration inside checked repositories (written by the code under review: off by default)",
    )
    _add_verdict_options(check)
    _add_trial_options(check)
    _add_llm_options(check, required=llm_required)


def _add_executor_options(check: _Parser) -> None:
    group = check.add_argument_group("executor (where inputs are judged)")
    group.add_argument(
        "--executor",
        choices=("local", "ray"),
        default="local",
        help="local: processes on this machine (default); ray: Ray tasks (pip install 'expcheck[ray]')",
    )
    group.add_argument(
        "--ray-address", metavar="ADDR", help="join the Ray cluster at ADDR (default: start a local one)"
    )
    group.add_argument("--trial-cpus", type=float, metavar="N", help="CPUs each Ray trial task requests (default 1)")
    group.add_argument("--trial-gpus", type=float, metavar="N", help="GPUs each Ray trial task requests (default 0)")


def _ray_config(args: argparse.Namespace) -> RayConfig | None:
    """The Ray executor's settings, None for the local executor; usage errors raised."""
    if not hasattr(args, "executor"):
        return None  # a command without executor options
    wants_trial = args.trial or args.trial_if_clean
    given = [
        flag
        for flag, value in (
            ("--ray-address", args.ray_address),
            ("--trial-cpus", args.trial_cpus),
            ("--trial-gpus", args.trial_gpus),
        )
        if value is not None
    ]
    if args.executor != "ray":
        if given:
            raise _UsageError(f"{', '.join(given)} only apply with --executor ray")
        return None
    if args.fix:
        raise _UsageError("--fix edits inputs in place and runs with --executor local only")
    if not wants_trial and (args.trial_cpus is not None or args.trial_gpus is not None):
        raise _UsageError("--trial-cpus and --trial-gpus only apply with --trial or --trial-if-clean")
    for flag, value in (("--trial-cpus", args.trial_cpus), ("--trial-gpus", args.trial_gpus)):
        if value is not None and value < 0:
            raise _UsageError(f"{flag} must be 0 or more")
    from expcheck.executors.ray import RayConfig, RayUnavailable, connect

    config = RayConfig(
        address=args.ray_address,
        num_cpus=args.jobs,
        trial_cpus=args.trial_cpus if args.trial_cpus is not None else 1.0,
        trial_gpus=args.trial_gpus or 0.0,
        trial_memory_mb=args.memory_limit or None,
    )
    try:
        connect(config)
    except RayUnavailable as exc:
        raise _UsageError(str(exc)) from None
    return config


def _add_verdict_options(check: argparse.ArgumentParser) -> None:
    check.add_argument(
        "--honor-inline-ignores",
        action="store_true",
        default=os.environ.get("EXPCHECK_HONOR_INLINE_IGNORES", "") not in ("", "0"),
        help="let `# expcheck: ignore[...]` comments in the submission's Python code silence rules "
        "(default: off, since the code under review must not open its own gate; "
        "EXPCHECK_HONOR_INLINE_IGNORES=1 sets it)",
    )
    check.add_argument(
        "--issue-budget",
        type=int,
        metavar="CHARS",
        help="longest code_issue in characters (default: 4000); what does not fit is counted, the report keeps it",
    )


def _add_llm_options(parser: _Parser, required: bool) -> None:
    llm = parser.add_argument_group("LLM review (optional; needs the expcheck[llm] extra)")
    llm.add_argument("--llm", metavar="MODEL", required=required, help="model name to ask, e.g. gpt-4o-mini")
    llm.add_argument(
        "--llm-base-url",
        metavar="URL",
        help="OpenAI-compatible endpoint (default: $EXPCHECK_LLM_BASE_URL or https://api.openai.com/v1)",
    )
    llm.add_argument(
        "--llm-api-key-env", metavar="VAR", default="OPENAI_API_KEY", help="environment variable holding the API key"
    )
    llm.add_argument("--llm-blocking", action="store_true", help="kept L errors block readiness (default: advisory)")
    llm.add_argument("--llm-timeout", type=float, default=120.0, metavar="SECONDS", help="limit per input, retries included")
    llm.add_argument("--llm-retries", type=int, default=3, metavar="N", help="retries on 429, 5xx and lost connections")
    llm.add_argument("--llm-prices", metavar="FILE", help="price table (JSON/YAML: model -> {input, output} USD per Mtok)")
    llm.add_argument("--llm-cache-dir", metavar="DIR", help="answer cache (default: $XDG_CACHE_HOME/expcheck/llm)")
    llm.add_argument("--no-llm-cache", action="store_true", help="neither read nor write the answer cache")


def _llm_options(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """The LlmOptions the command line asks for, or None without --llm; usage errors raised."""
    if not getattr(args, "llm", None):
        given = [
            flag
            for flag, value in (
                ("--llm-base-url", args.llm_base_url),
                ("--llm-prices", args.llm_prices),
                ("--llm-cache-dir", args.llm_cache_dir),
                ("--llm-blocking", args.llm_blocking),
                ("--no-llm-cache", args.no_llm_cache),
            )
            if value
        ]
        if given:
            raise _UsageError(f"{', '.join(given)} only apply with --llm MODEL")
        return None
    from pathlib import Path

    from expcheck.errors import InputError
    from expcheck.llm.accounting import load_prices
    from expcheck.llm.cache import default_cache_dir
    from expcheck.llm.review import DEFAULT_BASE_URL, LlmOptions

    if args.llm_timeout <= 0 or args.llm_retries < 0:
        raise _UsageError("--llm-timeout must be positive and --llm-retries 0 or more")
    try:
        prices = load_prices(args.llm_prices) if args.llm_prices else {}
    except InputError as exc:
        raise _UsageError(str(exc)) from None
    base_url = args.llm_base_url or os.environ.get("EXPCHECK_LLM_BASE_URL") or DEFAULT_BASE_URL
    if not base_url.startswith(("http://", "https://")):
        raise _UsageError(f"--llm-base-url {base_url}: not an http(s) URL")
    cache = None if args.no_llm_cache else Path(args.llm_cache_dir) if args.llm_cache_dir else default_cache_dir()
    return LlmOptions(
        model=args.llm,
        base_url=base_url,
        api_key_env=args.llm_api_key_env,
        timeout=args.llm_timeout,
        retries=args.llm_retries,
        blocking=args.llm_blocking,
        prices=prices,
        cache_dir=cache,
    )


def _add_trial_options(check: _Parser) -> None:
    trial = check.add_argument_group("trial run (executes the submission's code; see 'trial' below)")
    trial.add_argument(
        "--trial", action="store_true", help="after the static check, run each experiment run's trial command"
    )
    trial.add_argument(
        "--trial-if-clean", action="store_true", help="like --trial, but only when the static check finds no error"
    )
    trial.add_argument(
        "--env", choices=("uv", "python"), help="uv: build the environment with uv sync (default); python: use --python"
    )
    trial.add_argument("--python", metavar="PATH", help="run with this interpreter (dependencies installed); no uv")
    trial.add_argument(
        "--timeout", type=float, metavar="SECONDS", help="wall-clock limit per experiment run (default: 600)"
    )
    trial.add_argument(
        "--network", action="store_true", help="let the runs reach the network (default: off, in a namespace)"
    )
    trial.add_argument(
        "--memory-limit",
        type=int,
        metavar="MB",
        help="address-space limit per run in MiB; 0 for none (default: half the physical memory, none with a GPU)",
    )
    trial.add_argument(
        "--sync-online",
        action="store_true",
        help="let uv sync fetch missing packages from the index (default: offline, from uv's cache)",
    )
    trial.add_argument(
        "--weak-isolation",
        action="store_true",
        help="where bubblewrap cannot run, run the trial anyway without its sandbox (see 'trial' below)",
    )
    check.epilog_extra = _trial_help


def _trial_help() -> str:
    """The trial section of ``check --help``, stating the isolation detected on this machine now."""
    import textwrap

    from expcheck.sandbox import detect_isolation
    from expcheck.sandbox.bwrap import find_bwrap
    from expcheck.sandbox.trial import default_memory

    sandbox, missing = find_bwrap()
    isolation = detect_isolation()
    if sandbox is not None:
        box = (
            "sandbox on this machine: bubblewrap works. Every command of a trial (uv sync too) runs in it: "
            "the system read-only, the trial folder the only writable path (HOME, /tmp inside it; the "
            "original repository, /home, /root, /run are not visible), its own PID namespace (every "
            "process of a run, daemons included, ends with it), its own network namespace (no network, "
            "no host socket) unless --network."
        )
    else:
        weak = isolation.description if isolation.available else "none (then --network is needed too)"
        box = (
            f"sandbox on this machine: NOT AVAILABLE: {missing}. --trial refuses to run unless "
            "--weak-isolation is given; the trial then runs with your user's rights (it can write to "
            f"$HOME, /tmp and the repository and reach host sockets); network isolation: {weak}."
        )
    box = textwrap.fill(box, width=100, initial_indent="  ", subsequent_indent="    ")
    return f"""
trial (--trial, --trial-if-clean):
  Copies the submission into a fresh temporary folder and runs the profile's trial command once per
  experiment run, e.g. `python -u -m src.main run=<id> results_dir=<tmp>/results mode=trial`, with
  W&B disabled (WANDB_MODE=disabled), HF_HOME/TORCH_HOME/HOME/TMPDIR inside the folder, a wall-clock
  limit per run (--timeout), and every process of the run killed when it ends or times out.
  The environment is built by `uv sync` from the submission's pyproject.toml (--env uv: offline,
  from uv's shared cache, unless --sync-online), or is the interpreter given with --python. Static
  findings are reported first; trial findings have rule ids T1xx. The folder is deleted afterwards;
  the output kept of each run is its first 64 KiB and last 448 KiB.

{box}
  memory: {default_memory()[1]}.
"""


def _trial_options(args: argparse.Namespace) -> TrialOptions | None:
    """The TrialOptions the command line asks for, or None without --trial; usage errors raised."""
    wants = args.trial or args.trial_if_clean
    given = [
        flag
        for flag, value in (
            ("--env", args.env),
            ("--python", args.python),
            ("--timeout", args.timeout),
            ("--memory-limit", args.memory_limit),
        )
        if value is not None
    ]
    switches = (("--network", args.network), ("--sync-online", args.sync_online), ("--weak-isolation", args.weak_isolation))
    given += [flag for flag, on in switches if on]
    if not wants:
        if given:
            raise _UsageError(f"{', '.join(given)} only apply with --trial or --trial-if-clean")
        return None
    from expcheck.sandbox import DEFAULT_TIMEOUT, TrialOptions  # only when a trial runs

    env = args.env or ("python" if args.python else "uv")
    if env == "uv" and args.python:
        raise _UsageError("--python and --env uv exclude each other")
    if args.memory_limit is not None and args.memory_limit < 0:
        raise _UsageError("--memory-limit must be 0 (no limit) or a positive number of MiB")
    progress = (lambda message: sys.stderr.write(f"expcheck: {message}\n")) if sys.stderr.isatty() else None
    return TrialOptions(
        env=env,
        python=args.python,
        timeout=args.timeout if args.timeout is not None else DEFAULT_TIMEOUT,
        network=args.network,
        memory_mb=args.memory_limit,
        progress=progress,
        weak_isolation=args.weak_isolation,
        sync_network=args.sync_online,
    )


def _trial_problem(source: str, checked: TrialChecked) -> str | None:
    """Why a requested trial produced no evidence for ``source`` (stderr line), or None when it did."""
    result = checked.trial
    if result is None or result.ran:
        return None
    if result.env_problem is not None and result.env_problem.blame == "submission":
        return None  # reported as a finding (T101)
    return f"{source}: trial not run: {result.notes[-1] if result.notes else 'unknown reason'}"


def _cmd_check(args: argparse.Namespace) -> int:
    from expcheck.batch import DEFAULT_INPUT_TIMEOUT, Progress, expand
    from expcheck.errors import InputError
    from expcheck.profiles import load_profile

    sources = expand(args.inputs)
    resolved = _apply_config(args, sources)
    if args.format == "verdict" and len(sources) != 1:
        raise _UsageError("--format verdict takes exactly one input (use jsonl for many)")
    if args.jobs is not None and args.jobs < 1:
        raise _UsageError("--jobs must be 1 or more")
    if args.issue_budget is not None and args.issue_budget < 200:
        raise _UsageError("--issue-budget must be at least 200 characters")
    verdict_options = {"honor_inline_ignores": args.honor_inline_ignores}
    if args.issue_budget is not None:
        verdict_options["issue_budget"] = args.issue_budget
    if args.input_timeout is not None and args.input_timeout < 0:
        raise _UsageError("--input-timeout must be 0 (no limit) or a positive number of seconds")
    time_limit = DEFAULT_INPUT_TIMEOUT if args.input_timeout is None else (args.input_timeout or None)
    options_for = _per_input_options(resolved, sources, verdict_options)
    for profile, context in {(o.profile, o.context) for o in options_for.values()}:
        if profile:
            try:
                load_profile(profile)
            except InputError as exc:
                raise _UsageError(str(exc)) from None
        if context and not os.path.isfile(context):
            raise _UsageError(f"--context {context}: no such file")
    trial_options = _trial_options(args)
    llm_options = _llm_options(args)
    ray_config = _ray_config(args)
    if trial_options is not None and (ray_config is None or ray_config.address is None):
        from expcheck.sandbox import prepare  # a remote cluster's workers prepare it themselves

        try:
            prepare(trial_options)
        except InputError as exc:
            raise _UsageError(str(exc)) from None

    reports = []
    trial_failed = False
    progress = Progress(len(sources))
    if args.fix:
        batch = iter(_fixed_reports(args, verdict_options))
    elif trial_options is None:
        if ray_config is None:
            batch = _run_grouped(sources, options_for, args.jobs, lambda r: progress.step(r.input), time_limit)
        else:
            from expcheck.executors import ray

            batch = _grouped(
                sources,
                options_for,
                lambda group, options: ray.run(
                    group, options, ray_config, lambda r: progress.step(r.input), time_limit=time_limit
                ),
            )
    else:
        batch = iter(())
    for report in _closing(batch):
        report = _after_config(resolved, report, args.issue_budget)
        reports.append(report)
        if report.error is not None and args.format in ("text", "verdict"):
            sys.stderr.write(f"expcheck: {report.error}\n")
        for problem in report.internal_errors:
            sys.stderr.write(f"expcheck: internal error (please report): {problem}\n")
    trials = iter(())
    if trial_options is not None:
        from expcheck.batch import run_trials

        only_if_clean = args.trial_if_clean and not args.trial
        if ray_config is None:
            trials = _grouped(
                sources, options_for, lambda group, options: run_trials(group, options, trial_options, only_if_clean)
            )
        else:
            from expcheck.executors import ray

            trials = _grouped(
                sources,
                options_for,
                lambda group, options: ray.run_trials(group, options, trial_options, ray_config, only_if_clean),
            )
    for checked in _closing(trials):
        source = checked.report.input
        report = _after_config(resolved, checked.report, args.issue_budget)
        problem = _trial_problem(source, checked)
        if problem is not None:
            trial_failed = True
            sys.stderr.write(f"expcheck: {problem}\n")
        elif checked.skipped is not None and report.error is None:
            sys.stderr.write(f"expcheck: {source}: trial skipped: {checked.skipped}\n")
        reports.append(report)
        progress.step(source)
        if report.error is not None and args.format in ("text", "verdict"):
            sys.stderr.write(f"expcheck: {report.error}\n")
        for problem in report.internal_errors:
            sys.stderr.write(f"expcheck: internal error (please report): {problem}\n")

    if llm_options is not None:
        from expcheck.llm.review import review_report, summary_line

        budget = verdict_options.get("issue_budget")
        from concurrent.futures import ThreadPoolExecutor

        def _review(r):  # type: ignore[no-untyped-def]
            opts = options_for.get(r.input)
            profile, context = (opts.profile, opts.context) if opts else (args.profile, args.context)
            return review_report(r, llm_options, profile, context, *([budget] if budget else []))

        with ThreadPoolExecutor(max_workers=args.jobs) as pool:  # the calls wait on the network: threads suffice
            reports = list(pool.map(_review, reports))
        for r in reports:
            if r.llm_review is not None:
                sys.stderr.write(f"expcheck: {r.input}: {summary_line(r.llm_review)}\n")

    _emit(_render(args.format, reports, _use_color(args.color, args.output_file is not None)), args.output_file)

    if args.html:
        _write_html(args.html, reports)

    if any(r.internal_errors for r in reports):
        return EXIT_INTERNAL  # a rule failed: its X001 finding already made the input not ready
    if any(r.error is not None for r in reports) or trial_failed:
        return EXIT_USAGE
    return EXIT_READY if all(r.ready for r in reports) else EXIT_NOT_READY


def _fixed_reports(args: argparse.Namespace, verdict_options: dict) -> list:  # type: ignore[type-arg]
    """`check --fix`: the reports of the repaired inputs (see expcheck.cli_fix)."""
    from expcheck.cli_fix import FixUsageError, check_fix

    try:
        return check_fix(args, verdict_options)
    except FixUsageError as exc:
        raise _UsageError(str(exc)) from None


def _cmd_fix(args: argparse.Namespace) -> int:
    from expcheck.cli_fix import FixUsageError, cmd_fix

    try:
        return cmd_fix(args)
    except FixUsageError as exc:
        raise _UsageError(str(exc)) from None
def _config_flags(args: argparse.Namespace) -> dict[str, object]:
    """The configurable values the command line gives (None: not given, the configuration decides)."""
    mode = "always" if args.trial else "if-clean" if args.trial_if_clean else None
    return {
        "profile": args.profile,
        "context": args.context,
        "select": _split_ids(args.select) if args.select else None,
        "ignore": _split_ids(args.ignore) if args.ignore else None,
        "format": args.format,
        "trial.mode": mode,
        "trial.env": args.env,
        "trial.python": args.python,
        "trial.timeout": args.timeout,
        "trial.network": True if args.network else None,
        "trial.memory_limit": args.memory_limit,
    }


def _resolve_config(args: argparse.Namespace, sources: Sequence[str]) -> Resolved:
    from expcheck.config import resolve
    from expcheck.errors import InputError

    try:
        return resolve(
            sources,
            _config_flags(args),
            config_file=args.config,
            isolated=args.isolated,
            trust_submission=args.trust_submission_config,
        )
    except InputError as exc:
        raise _UsageError(str(exc)) from None


def _apply_config(args: argparse.Namespace, sources: Sequence[str]) -> Resolved:
    """Fill ``args`` from the effective configuration (flags given on the command line win)."""
    resolved = _resolve_config(args, sources)
    for note in resolved.notes:
        sys.stderr.write(f"expcheck: note: {note}\n")
    args.format = resolved.value("format")
    args.profile, args.context = resolved.value("profile"), resolved.value("context")
    args.select, args.ignore = resolved.value("select"), resolved.value("ignore")
    mode = resolved.value("trial.mode")
    args.trial, args.trial_if_clean = mode == "always", mode == "if-clean"
    if mode != "off":  # trial settings of a configuration file matter only when a trial runs
        args.env, args.python = resolved.value("trial.env"), resolved.value("trial.python")
        args.timeout, args.network = resolved.value("trial.timeout"), resolved.value("trial.network")
        args.memory_limit = resolved.value("trial.memory_limit")
    return resolved


def _per_input_options(
    resolved: Resolved, sources: Sequence[str], verdict_options: dict[str, Any] | None = None
) -> dict[str, Options]:
    """Each input's profile, context and rule selection (a trusted submission configuration may differ)."""
    from expcheck.batch import Options

    out = {}
    for source in sources:
        values = resolved.for_input(source)
        select, ignore = _split_ids(values["select"]), _split_ids(values["ignore"])
        per_file = [i for ids in (values["per_file_ignores"] or {}).values() for i in ids]
        _validate_selectors([*select, *ignore, *per_file])
        out[source] = Options(
            profile=values["profile"],
            context=values["context"],
            select=tuple(select),
            ignore=tuple(ignore),
            **(verdict_options or {}),
        )
    return out


def _run_grouped(
    sources: Sequence[str],
    options_for: dict[str, Options],
    jobs: int | None,
    on_done: Callable[[Report], None],
    time_limit: float | None,
) -> Iterator[Report]:
    """batch.run over runs of consecutive inputs that share their options, keeping the input order."""
    from expcheck.batch import run

    return _grouped(
        sources, options_for, lambda group, options: run(group, options, jobs, on_done, time_limit=time_limit)
    )


def _grouped(
    sources: Sequence[str], options_for: dict[str, Options], call: Callable[[list[str], Options], Iterator[_T]]
) -> Iterator[_T]:
    """``call`` over runs of consecutive inputs that share their options, results in input order."""
    from itertools import groupby

    for options, group in groupby(sources, key=lambda s: options_for[s]):
        yield from call(list(group), options)


def _after_config(resolved: Resolved, report: Report, issue_budget: int | None) -> Report:
    from expcheck.config import apply_per_file_ignores

    per_file = resolved.for_input(report.input)["per_file_ignores"] or {}
    return apply_per_file_ignores(report, per_file, issue_budget)


def _render(fmt: str, reports: list, color: bool) -> str:  # type: ignore[type-arg]
    """The reports in format ``fmt``; each renderer module is imported only when its format is used."""
    from expcheck import __version__

    if fmt == "verdict":
        from expcheck.profiles import load_profile
        from expcheck.report.machine import render_verdict

        report = reports[0]  # every report has a verdict, an unreadable input's too (not ready, the reason)
        keys = load_profile(report.profile).verdict_keys if report.profile else None
        return render_verdict(report, *(keys.ready, keys.issue) if keys else ()) + "\n"
    if fmt in ("json", "jsonl"):
        from expcheck.report.machine import render_json, render_jsonl

        return render_json(reports, __version__) if fmt == "json" else render_jsonl(reports)
    if fmt == "sarif":
        from expcheck.coverage import CATALOG
        from expcheck.report.sarif import render_sarif
        from expcheck.rules.base import all_rules

        return render_sarif(reports, all_rules(), __version__, CATALOG)
    if fmt == "github":
        from expcheck.report.github import render_github

        return render_github(reports)
    if fmt == "junit":
        from expcheck.report.junit import render_junit

        return render_junit(reports)
    if fmt == "concise":
        from expcheck.report.concise import render_concise

        return render_concise(reports)
    from expcheck.report.text import Style, render_text

    readable = [r for r in reports if r.error is None]
    if readable or len(reports) > 1:
        return render_text(readable if len(reports) == 1 else reports, Style(color))
    return ""


def _emit(text: str, target: str | None) -> None:
    """Write to stdout, or to ``target`` (--output-file) through a temporary file renamed into place."""
    if target is None:
        sys.stdout.write(text)
        return
    import tempfile

    folder = os.path.dirname(os.path.abspath(target))
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".expcheck-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, target)
    except OSError as exc:
        raise _UsageError(f"--output-file {target}: {exc.strerror or exc}") from None


def _closing(reports: Iterator[_T]) -> Iterator[_T]:
    """``reports``, closed however the loop over them ends (its workers stopped at once)."""
    try:
        yield from reports
    finally:
        close = getattr(reports, "close", None)
        if close is not None:
            close()


def _write_html(target: str, reports: list) -> None:  # type: ignore[type-arg]
    from expcheck.batch import excerpt_sources
    from expcheck.report.html import render_html
    from expcheck.rules.base import all_rules

    page = render_html(reports, {r.id: r.title for r in all_rules()}, excerpt_sources(reports))
    try:
        with open(target, "w", encoding="utf-8") as fh:
            fh.write(page)
    except OSError as exc:
        raise _UsageError(f"--html {target}: {exc.strerror or exc}") from None
    sys.stderr.write(f"expcheck: HTML report written to {target}\n")


def _cmd_review(args: argparse.Namespace) -> int:
    """``check --llm``: the static check, then the grounded review (repairs are ``check --fix``'s)."""
    args.fix = False
    return _cmd_check(args)


def _cmd_audit(args: argparse.Namespace) -> int:
    from expcheck.batch import Progress, expand, run_audits
    from expcheck.report.audit_text import render_audit_json, render_audit_text
    from expcheck.report.text import Style

    if args.profile:
        from expcheck.errors import InputError
        from expcheck.profiles import load_profile

        try:
            load_profile(args.profile)
        except InputError as exc:
            raise _UsageError(str(exc)) from None
    sources = expand(args.inputs)
    progress = Progress(len(sources))
    reports = list(_closing(run_audits(sources, args.profile, on_done=lambda r: progress.step(r.input))))
    for r in reports:
        if r.error is not None and args.format == "text":
            sys.stderr.write(f"expcheck: {r.error}\n")
    if args.format == "json":
        sys.stdout.write(render_audit_json(reports))
    else:
        sys.stdout.write(
            render_audit_text([r for r in reports if r.error is None] or reports, Style(_use_color(args.color)))
        )
    return EXIT_USAGE if any(r.error is not None for r in reports) else 0


def _validate_selectors(selectors: Sequence[str]) -> None:
    if not selectors:
        return  # nothing to validate: the rules are not imported for it
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


def _cmd_config(args: argparse.Namespace) -> int:
    import json

    from expcheck.batch import expand
    from expcheck.config import as_json, describe

    resolved = _resolve_config(args, expand(args.inputs))
    _per_input_options(resolved, expand(args.inputs))  # the same validation check does
    if args.show == "json":
        sys.stdout.write(json.dumps(as_json(resolved), indent=2) + "\n")
    else:
        sys.stdout.write(describe(resolved))
    return 0


def _cmd_schema(args: argparse.Namespace) -> int:
    from expcheck.report.schemas import schema_text

    sys.stdout.write(schema_text(args.which))
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    try:
        from expcheck.serve import DEFAULT_MAX_BODY, DEFAULT_TIMEOUT, Settings, serve
    except ImportError as exc:
        raise _UsageError(
            f"expcheck serve needs the serve extra ({exc.name} is missing): pip install 'expcheck[serve]'"
        ) from None
    workers = args.workers if args.workers is not None else max(1, os.cpu_count() or 1)
    limit = args.max_body_bytes if args.max_body_bytes is not None else DEFAULT_MAX_BODY
    timeout = args.timeout if args.timeout is not None else DEFAULT_TIMEOUT
    if workers < 1 or limit < 1 or timeout <= 0 or not 0 <= args.port <= 65535:
        raise _UsageError("--workers, --max-body-bytes and --timeout must be positive, --port 0-65535")
    sys.stderr.write(f"expcheck: serving on http://{args.host}:{args.port} ({workers} workers)\n")
    serve(args.host, args.port, Settings(workers=workers, max_body_bytes=limit, timeout=timeout))
    return 0


def _cmd_rules(args: argparse.Namespace) -> int:
    from expcheck.report.rules_doc import rules_json, rules_markdown, rules_table
    from expcheck.rules.base import all_rules

    render = {"text": rules_table, "markdown": rules_markdown, "json": rules_json}[args.format]
    sys.stdout.write(render(all_rules()))
    return 0


def _cmd_explain(args: argparse.Namespace) -> int:
    from expcheck.coverage import CATALOG
    from expcheck.report.rules_doc import explain

    for kind in CATALOG:  # findings about the check itself (X001-X003): documented, not rules
        if args.rule.upper() == kind.id or args.rule.lower() == kind.name:
            sys.stdout.write(
                f"{kind.id} {kind.name} ({kind.severity.value}): {kind.title}\n\n{kind.why}\n\nFix: {kind.fix}\n"
            )
            return 0
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


# Commands that judge inputs: they import the batch machinery (reports, profiles, configuration).
_CHECKING = ("check", "review", "audit", "fix", "config")


@contextlib.contextmanager
def _prepared_for(command: str | None) -> Iterator[None]:
    """For a judging command, from the start of the call: the stored compiled code (expcheck.gencode), as
    building the parser compiles argparse's and json's patterns too, and no collection while the parser is
    built and the judging machinery imported (what they build lives as long as the call; _import_checking
    freezes it). Other commands (``--help``, ``rules``, ``explain``) do not read the stores: they compile
    little, and reading the stores would cost them more."""
    if command not in _CHECKING:
        yield
        return
    from expcheck.gencode import stored_code
    from expcheck.lazy import quiet_collector

    with quiet_collector(), stored_code():
        yield


@contextlib.contextmanager
def _translated_once() -> Iterator[None]:
    """argparse passes each of its own texts through gettext (``_('usage: ')``, ``_('options')``...), which
    searches the locale folders for a catalogue again on every call, found or not (~0.15 ms a call, ~35
    calls to build the parser). While the parser is built, each text is translated once: within a process,
    gettext gives the same text the same translation."""
    translate = argparse._  # type: ignore[attr-defined]
    argparse._ = functools.cache(translate)  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._ = translate  # type: ignore[attr-defined]


def _import_checking() -> None:
    """Import what a judging command uses in this process, with the collector off and the dataclasses'
    generated methods from their cache (expcheck.gencode)."""
    import gc

    from expcheck.gencode import stored_code
    from expcheck.lazy import quiet_collector

    with quiet_collector(), stored_code():
        import expcheck.batch
        import expcheck.config  # noqa: F401

        gc.freeze()  # what the imports built lives as long as the call: no collection need walk it again


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; without ``argv``, the process's own command line (the console script, ``python -m
    expcheck``): the process is then expcheck's alone (expcheck.lazy.mark_command_line)."""
    if argv is None:
        from expcheck.lazy import mark_command_line

        mark_command_line()
    arguments = sys.argv[1:] if argv is None else list(argv)
    command = _command_in(arguments)
    with _prepared_for(command):
        with _translated_once():
            parser = _build_parser(command)
        args = parser.parse_args(arguments)
        if args.command in _CHECKING:
            _import_checking()
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    handlers = {
        "check": _cmd_check,
        "review": _cmd_review,
        "audit": _cmd_audit,
        "rules": _cmd_rules,
        "explain": _cmd_explain,
        "profiles": _cmd_profiles,
        "fix": _cmd_fix,
        "config": _cmd_config,
        "schema": _cmd_schema,
        "serve": _cmd_serve,
    }
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
