"""A script launched by a path built from ``__file__`` has its own folder on sys.path.

main.py starting ``[sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "train.py"), ...]``
(or ``str(Path(__file__).with_name("train.py"))``, ``Path(__file__).resolve().parent / "train.py"``) runs
src/train.py as a script: Python puts src/ first on sys.path, so ``from model import build_model`` there
imports src/model.py (checked: a script importing its sibling this way runs). R404 must not say the
sibling is importable only as ``src.model``. Launched with ``-m src.train``, the same import is still
reported.
"""

from __future__ import annotations

import pytest

from precision_r4_repo import MAIN, TRAIN, errors, repo

LAUNCH = '[sys.executable, "-u", "-m", "src.train",'


def _launched(launch: str, imports: str) -> dict[str, str]:
    assert LAUNCH in MAIN
    main = imports + MAIN.replace(LAUNCH, f'[sys.executable, "-u", {launch},') if launch else MAIN
    train = TRAIN.replace("{extra}", "")
    train = train.replace("from src.model import build_model", "from model import build_model")
    train = train.replace("from src.preprocess import make_data", "from preprocess import make_data")
    return repo({"src/main.py": main, "src/train.py": train})


@pytest.mark.parametrize(
    ("launch", "imports"),
    [
        ('os.path.join(os.path.dirname(os.path.abspath(__file__)), "train.py")', "import os\n"),
        ('str(Path(__file__).with_name("train.py"))', "from pathlib import Path\n"),
        ('str(Path(__file__).resolve().parent / "train.py")', "from pathlib import Path\n"),
        ('str(Path(__file__).parents[1] / "src" / "train.py")', "from pathlib import Path\n"),
    ],
)
def test_script_run_by_its_file_path_imports_its_siblings(launch: str, imports: str) -> None:
    assert errors(_launched(launch, imports), select=["R404"]) == []


def test_module_run_with_dash_m_still_cannot_import_a_bare_sibling() -> None:
    found = errors(_launched("", ""), select=["R404"])
    assert len(found) == 2 and all("importable only as" in f for f in found), found


def test_module_also_run_with_dash_m_still_cannot_import_a_bare_sibling() -> None:
    # main.py runs `-m src.train` (the run that fails) and, besides, train.py by its path.
    files = _launched("", "")
    files["src/main.py"] = "import os\n" + files["src/main.py"].replace(
        "    cmd = " + LAUNCH,
        "    subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), 'train.py'), '--help'])\n"
        "    cmd = " + LAUNCH,
        1,
    )
    assert "'train.py'" in files["src/main.py"]
    compile(files["src/main.py"], "src/main.py", "exec")
    found = errors(files, select=["R404"])
    assert len(found) == 2 and all("importable only as" in f for f in found), found
