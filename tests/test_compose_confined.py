"""Hydra composition reads the submission's config folder from memory and nothing else: a defaults entry
that leaves the folder (../, an absolute path) opens no file outside it and is reported (C204); Hydra's own
`hydra` groups are there for `override hydra/...` entries."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from expcheck import check
from expcheck.facts.compose import _Composer

ROOT = Path(__file__).resolve().parent.parent
_WATCHED: list[Path] = []
_OPENED: list[str] = []


def _audit(event: str, args: tuple[object, ...]) -> None:
    """Record every file or folder the process opens or lists below a watched folder."""
    if _WATCHED and event in ("open", "os.listdir", "os.scandir") and args and isinstance(args[0], str | Path):
        target = str(args[0])
        if any(target.startswith(str(w)) for w in _WATCHED):
            _OPENED.append(target)


sys.addaudithook(_audit)


@pytest.fixture
def watched(tmp_path: Path) -> Iterator[Path]:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.yaml").write_text("stolen: 1\n")
    _WATCHED.append(outside)
    _OPENED.clear()
    yield outside
    _WATCHED.remove(outside)


def _ready_repo(root: Path, defaults: str) -> Path:
    """The shipped ready example as a repository, with ``defaults`` put at the top of config/config.yaml."""
    bundle = json.loads((ROOT / "examples" / "ready_bundle.json").read_text())
    for key, text in bundle.items():
        name, kind = key.rsplit("_", 1)
        path = root / {"py": f"src/{name}.py", "yaml": f"config/{name}.yaml", "toml": f"{name}.toml"}[kind]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    context = yaml.safe_load((ROOT / "examples" / "ready_context.yaml").read_text())
    for run in context["experiment_runs"]:
        (root / "config" / "runs").mkdir(parents=True, exist_ok=True)
        (root / "config" / "runs" / f"{run['run_id']}.yaml").write_text(run["config_yaml"])
    config = root / "config" / "config.yaml"
    config.write_text(defaults + config.read_text())
    return root


@pytest.mark.parametrize(
    "entry",
    [
        "../../outside/secret",  # relative, through the repository's parent
        "//{outside}/secret",  # absolute: Hydra strips one leading slash and would open /.../outside/secret.yaml
        "optional ../../outside@x: secret",  # an optional group entry composes without it, and is still reported
    ],
)
def test_defaults_entry_outside_the_folder_is_not_read(entry: str, tmp_path: Path, watched: Path) -> None:
    line = entry.format(outside=watched)
    repo = _ready_repo(tmp_path / "repo", f"defaults:\n  - {line}\n  - _self_\n")
    report = check(str(repo))
    assert _OPENED == []
    found = [f for f in report.findings if f.rule == "C204"]
    assert len(found) == 1, [f.message for f in report.findings]
    assert (found[0].path, found[0].line) == ("config/config.yaml", 2)
    assert "leaves the config folder config/" in found[0].message
    assert not report.ready


def test_hydra_itself_would_read_it(tmp_path: Path, watched: Path) -> None:
    """The planted file is within Hydra's reach: its own compose opens it (so the test above can fail)."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from omegaconf import OmegaConf

    repo = _ready_repo(tmp_path / "repo", "defaults:\n  - ../../outside/secret\n  - _self_\n")
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(repo / "config"), version_base="1.3"):
            cfg = compose("config", overrides=["run=x", "mode=trial"])
    finally:
        GlobalHydra.instance().clear()
    assert "stolen: 1" in OmegaConf.to_yaml(cfg)
    assert any(path.endswith("secret.yaml") for path in _OPENED)


def test_no_file_is_written_or_read_while_composing(tmp_path: Path) -> None:
    """Composition works on the files in memory: the folder need not exist on disk at all."""
    files = {"config.yaml": "defaults:\n  - run: a\n  - _self_\nx: 1\n", "run/a.yaml": "y: 2\n"}
    composer = _Composer(files, str(tmp_path / "does-not-exist"))
    assert composer.compose("config", ["x=3"]) == {"run": {"y": 2}, "x": 3}
    assert composer.outside == ()


_SNIPPET = """
from expcheck.facts.compose import _Composer
files = {"config.yaml": "defaults:\\n  - _self_\\n  - override hydra/job_logging: disabled\\nrun: ???\\nmode: full\\n"}
print(_Composer(files, "config", hydra_groups=True).compose("config", ["run=a", "mode=trial"]))
"""


def test_override_of_hydra_group_composes_in_a_fresh_process() -> None:
    """Hydra's own groups (and the launcher/sweeper configs its hydra/config selects) are registered by
    expcheck itself, not by whatever a test imported before."""
    done = subprocess.run([sys.executable, "-c", _SNIPPET], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "{'run': 'a', 'mode': 'trial'}"


@pytest.mark.skipif(
    not (ROOT.parent / "shared" / "precision" / "hydra_override_in_defaults").is_dir(), reason="../shared absent"
)
def test_precision_example_with_hydra_override_is_ready() -> None:
    report = check(str(ROOT.parent / "shared" / "precision" / "hydra_override_in_defaults"))
    assert [f for f in report.findings if f.severity.value == "error"] == []
