"""expcheck composes configs through hydra-core internals (no `hydra` node unless a defaults list names
one of Hydra's groups, one cached repository, the config folder held in memory); these tests hold that
path to Hydra's public compose API over the same files on disk: same config, same error."""

from __future__ import annotations

from pathlib import Path

import pytest

from expcheck.facts.compose import _Composer

CASES = {
    "v1-group": (
        {
            "config.yaml": "defaults:\n  - run: ???\n  - _self_\nresults_dir: r\ntrial_mode: false\n",
            "run/a.yaml": "run_id: a\ntraining:\n  lr: 0.1\n",
        },
        [["run=a", "results_dir=/x", "trial_mode=true"], ["run=a", "mode=trial"], ["run=b"], ["run=a b"]],
    ),
    "v2-plain-key": (
        {
            "config.yaml": "run: ???\nresults_dir: r\nmode: full\nwandb:\n  mode: online\n",
            "runs/a.yaml": "run_id: a\n",
        },
        [["run=a", "results_dir=/x", "mode=trial"], ["run=a", "trial_mode=true"], ["run=a", "+extra=1"]],
    ),
    "v2-package-default": (
        {
            "config.yaml": "defaults:\n  - runs@run: a\n  - _self_\nresults_dir: r\n",
            "runs/a.yaml": "run_id: a\nx: 1\n",
            "runs/b.yaml": "run_id: b\nx: 2\n",
        },
        [["run=b"], ["runs@run=b"], []],
    ),
    "v2-package-missing": (
        {"config.yaml": "defaults:\n  - runs@run: ???\n  - _self_\n", "runs/a.yaml": "run_id: a\n"},
        [["run=a"], ["runs@run=a"]],
    ),
    "interpolation": (
        {"config.yaml": "a: 1\nb: ${a}\nc: ${oc.env:HOME_DOES_NOT_MATTER,x}\n"},
        [["a=2"], []],
    ),
    # YAML scalars as OmegaConf's loader reads them (its float rule, no timestamps, YAML 1.1 booleans),
    # and value overrides that replace, add, delete or nest.
    "scalars-and-values": (
        {
            "config.yaml": (
                "lr: 1e-3\nwd: 1.0e-4\nsteps: 1_000\nday: 2001-12-14\nflag: yes\nhexa: 0x1f\nbig: .inf\n"
                "none: null\nneeded: ???\nref: ${lr}\nquoted: '1e-3'\nnested:\n  depth: 2\nitems: [1, 2]\n"
            )
        },
        [
            [],
            ["lr=0.1", "steps=5", "flag=false", "none=3", "needed=x", "ref=1", "day=null", "big=1e-3"],
            ["quoted=${lr}", "lr=${oc.env:X,1}"],
            ["lr=[1,2]", "items=3", "nested=4"],
            ["nested.depth=3", "nested.new=1"],
            ["missing=1"],
            ["+lr=1"],
            ["+extra=1", "++lr=2", "~wd"],
            ["lr='quoted'", 'steps="7"'],
        ],
    ),
    "duplicate-key": ({"config.yaml": "a: 1\nb: 2\na: 3\n"}, [[], ["a=2"]]),
    # A config's own hydra settings: Hydra takes them into its own node, which the task never sees.
    "own-hydra-key": (
        {
            "config.yaml": "defaults:\n  - run: a\n  - _self_\nx: 1\nhydra:\n  run:\n    dir: out/${x}\n",
            "run/a.yaml": "run_id: a\n",
            "run/b.yaml": "run_id: b\nhydra:\n  job:\n    chdir: true\n",
        },
        [[], ["x=2"], ["run=b"]],
    ),
    "broken-run-file": (
        {"config.yaml": "defaults:\n  - run: a\n  - _self_\n", "run/a.yaml": "x: [1, 2\ny: 3\n"},
        [[], ["run=a"]],
    ),
    "header-package": (
        {"config.yaml": "defaults:\n  - run: a\n  - _self_\n", "run/a.yaml": "# @package _global_\nx: 1\n"},
        [[], ["x=2"]],
    ),
}


def _public(config_dir: Path, overrides: list[str]) -> tuple[str, object]:
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from omegaconf import OmegaConf

    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(config_dir), version_base="1.3"):
            cfg = compose("config", overrides=overrides)
            data = OmegaConf.to_container(cfg, resolve=False, throw_on_missing=False)
            assert isinstance(data, dict)
            data.pop("hydra", None)
            return "ok", data
    except Exception as exc:
        return type(exc).__name__, str(exc).splitlines()[0]
    finally:
        GlobalHydra.instance().clear()


def _folder(config_dir: Path) -> dict[str, str | None]:
    return {
        p.relative_to(config_dir).as_posix(): p.read_text() if p.suffix in (".yaml", ".yml") else None
        for p in config_dir.rglob("*")
        if p.is_file()
    }


def _ours(config_dir: Path, overrides: list[str], hydra_groups: bool = False) -> tuple[str, object]:
    try:
        return "ok", _Composer(_folder(config_dir), str(config_dir), hydra_groups).compose("config", overrides)
    except Exception as exc:
        return type(exc).__name__, str(exc).splitlines()[0]


# Defaults lists that name Hydra's own groups: composed with them on the search path, `hydra` node dropped.
HYDRA_GROUP_CASES = {
    "override-job-logging": (
        {
            "config.yaml": "defaults:\n  - _self_\n  - override hydra/job_logging: disabled\nrun: ???\nmode: full\n",
            "runs/a.yaml": "run_id: a\n",
        },
        [["run=a", "mode=trial"], ["run=a", "trial_mode=true"]],
    ),
    "override-several-with-run-group": (
        {
            "config.yaml": (
                "defaults:\n  - run: ???\n  - override hydra/hydra_logging: disabled\n"
                "  - override hydra/job_logging: disabled\n  - _self_\nresults_dir: r\nhydra:\n  output_subdir: null\n"
            ),
            "run/a.yaml": "run_id: a\n",
        },
        [["run=a", "results_dir=/x"], ["run=b"]],
    ),
    "unknown-hydra-option": (
        {"config.yaml": "defaults:\n  - override hydra/job_logging: no_such_option\n  - _self_\nx: 1\n"},
        [[]],
    ),
    "hydra-group-without-override": (
        {"config.yaml": "defaults:\n  - hydra/job_logging: disabled\n  - _self_\nx: 1\n"},
        [[]],
    ),
}


def _write(files: dict[str, str], root: Path) -> None:
    for rel, text in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_result_as_hydra_compose(name: str, tmp_path: Path) -> None:
    files, override_sets = CASES[name]
    _write(files, tmp_path)
    for overrides in override_sets:
        assert _ours(tmp_path, overrides) == _public(tmp_path, overrides), (name, overrides)


@pytest.mark.parametrize("name", sorted(HYDRA_GROUP_CASES))
def test_hydra_groups_same_result_as_hydra_compose(name: str, tmp_path: Path) -> None:
    files, override_sets = HYDRA_GROUP_CASES[name]
    _write(files, tmp_path)
    for overrides in override_sets:
        assert _ours(tmp_path, overrides, hydra_groups=True) == _public(tmp_path, overrides), (name, overrides)


YAML_TEXTS = {
    "scalars": "lr: 1e-3\nwd: 1.0e-4\nn: 1_000\nday: 2001-12-14\nok: yes\nh: 0x1f\nbig: -.inf\nnone: ~\nq: '1e-3'\n",
    "nested": "a:\n  b: [1, {c: 2}]\n  d: |\n    text\n    more\n",
    "header": "# @package _global_\n# comment\nx: 1\n",
    "duplicate-key": "a: 1\nb:\n  c: 1\n  c: 2\n",
    "broken": "a: [1, 2\nb: 3\n",
    "tab": "a:\n\tb: 1\n",
    "empty": "",
    "scalar": "just text\n",
    "list": "- 1\n- two\n",
    "bad-header": "# @package\nx: 1\n",
}


@pytest.mark.parametrize("name", sorted(YAML_TEXTS))
def test_config_file_loads_as_hydra_loads_it(name: str, tmp_path: Path) -> None:
    """The in-memory config source gives Hydra's config, header and error text for every file."""
    from hydra._internal.core_plugins.file_config_source import FileConfigSource
    from omegaconf import OmegaConf

    from expcheck.facts.compose import _memory_source

    (tmp_path / "c.yaml").write_text(YAML_TEXTS[name])

    def outcome(source: object) -> tuple[str, object]:
        try:
            result = source.load_config("c")  # type: ignore[attr-defined]
            return "ok", (OmegaConf.to_container(result.config), result.header, result.path, result.provider)
        except Exception as exc:
            return type(exc).__name__, str(exc)

    memory = _memory_source()("main", f"file://{tmp_path}", _folder(tmp_path))
    assert outcome(memory) == outcome(FileConfigSource("main", f"file://{tmp_path}"))


def test_folder_answers_as_on_disk(tmp_path: Path) -> None:
    """Groups, configs and group listings of the in-memory folder are the file source's, stray files included."""
    from hydra._internal.core_plugins.file_config_source import FileConfigSource
    from hydra.core.object_type import ObjectType

    from expcheck.facts.compose import _memory_source

    _write(
        {
            "config.yaml": "a: 1\n",
            "run/x.yaml": "b: 2\n",
            "run/notes.txt": "not yaml\n",
            "run/deep/y.yaml": "c: 3\n",
            "data/readme.md": "only a stray file\n",
            ".gitkeep": "",
        },
        tmp_path,
    )
    disk = FileConfigSource("main", f"file://{tmp_path}")
    memory = _memory_source()("main", f"file://{tmp_path}", _folder(tmp_path))
    for path in ("", "run", "run/deep", "data", "missing", "config", "run/x", "run/notes.txt", "run/deep/y"):
        assert memory.is_group(path) == disk.is_group(path), path
        assert memory.is_config(path) == disk.is_config(path), path
    for path in ("", "run", "run/deep", "data"):
        for kind in (None, ObjectType.GROUP, ObjectType.CONFIG):
            assert memory.list(path, kind) == disk.list(path, kind), (path, kind)


# Values a run id can take that Hydra's grammar reads as something other than a plain string, and plain ones.
PREPARSE_VALUES = [
    "proposed-mlp-mnist-1", "comparative-2_resnet.18", "1e-3", "1.5", "007", "1_000", "0x1f", "true", "False",
    "null", "NULL", "inf", "nan", "a.b.c", "run_", "_x", "9lives", "1-2", "1.2.3", "e5", "1e", "abc-",
    "true-false", "null_x", "a..b", "x-1.0", "1__0", "0", "00", "12-", "ab.-cd",
]


def test_joint_parse_gives_each_override_hydra_gives() -> None:
    """Overrides parsed together as one choice (``run=a,b,...``) equal Hydra's parse of each one alone."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    from expcheck.facts import compose

    strings = [f"run={v}" for v in PREPARSE_VALUES]
    compose._PARSED.clear()
    compose._preparse(strings)
    assert all(s in compose._PARSED for s in strings)  # taken by the joint parse, not left to single ones
    single = OverridesParser.create().parse_overrides(overrides=strings)
    for text, alone in zip(strings, single, strict=True):
        joint = compose._PARSED[text]
        assert repr(joint) == repr(alone), text  # repr: a NaN value equals nothing, its text does
        assert type(joint.value()) is type(alone.value()), text
    compose._PARSED.clear()


def test_string_only_run_ids_take_the_shape_of_one_parse() -> None:
    """Run ids that only Hydra's string reading fits are made from one parse; each equals Hydra's own parse."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    from expcheck.facts import compose
    from expcheck.facts.hydra_overrides import SCALAR_TOKEN_CHARS

    values = [v for v in PREPARSE_VALUES if not set(v) <= SCALAR_TOKEN_CHARS]
    values += [f"proposed-mlp-mnist-{i}-{i % 3}" for i in range(5)] + ["comparative-1_x", "Z", "_", "a-", "q.1e5"]
    strings = [f"run={v}" for v in values]
    compose._PARSED.clear()
    compose._preparse(strings)
    assert all(s in compose._PARSED for s in strings)
    single = OverridesParser.create().parse_overrides(overrides=strings)
    for text, alone in zip(strings, single, strict=True):
        made = compose._PARSED[text]
        assert repr(made) == repr(alone), text
        assert type(made.value()) is type(alone.value()) is str, text
    compose._PARSED.clear()
