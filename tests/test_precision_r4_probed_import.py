"""An import that runs only after the code has checked the module is installed is not a missing dependency.

``HAS_XFORMERS = importlib.util.find_spec("xformers") is not None`` then ``if HAS_XFORMERS: import
xformers.ops`` (or ``if find_spec(...)``, ``if is_flash_attn_available():``) never imports an absent
module: the same guarantee as ``try: import x / except ImportError``, which R501 already accepts
(checked: the snippet runs in a Python without xformers). An unguarded import of the same module,
or one under an unrelated condition, is still reported.
"""

from __future__ import annotations

import pytest

from precision_r4_repo import MODEL, errors, repo


@pytest.mark.parametrize(
    "code",
    [
        "import importlib.util\n\nHAS_XFORMERS = importlib.util.find_spec('xformers') is not None\n"
        "if HAS_XFORMERS:\n    import xformers.ops as xops\nelse:\n    xops = None\n",
        "from importlib.util import find_spec\n\nif find_spec('xformers'):\n    import xformers.ops as xops\n",
        "def is_xformers_available() -> bool:\n    return False\n\n\n"
        "if is_xformers_available():\n    import xformers.ops as xops\n",
        "from importlib.util import find_spec\n\nif find_spec('xformers') is None:\n    xops = None\nelse:\n"
        "    import xformers.ops as xops\n",
        "from importlib.util import find_spec\n\nif find_spec('apex') and find_spec('xformers'):\n    import xformers\n",
    ],
)
def test_import_behind_an_installed_check_is_not_missing(code: str) -> None:
    assert errors(repo({"src/model.py": MODEL + "\n\n" + code}), select=["R501"]) == []


@pytest.mark.parametrize(
    "code",
    [
        "import xformers.ops as xops\n",
        "import os\n\nif os.environ.get('FAST'):\n    import xformers.ops as xops\n",
        # A device check is not a module probe.
        "import torch\n\nif torch.cuda.is_available():\n    import xformers.ops as xops\n",
        # The probe names another module.
        "from importlib.util import find_spec\n\nif find_spec('torch') is not None:\n    import xformers\n",
        "def is_apex_available() -> bool:\n    return False\n\n\nif is_apex_available():\n    import xformers\n",
        # The import is in the branch where the module was NOT found.
        "from importlib.util import find_spec\n\nif not find_spec('xformers'):\n    import xformers\n",
        "from importlib.util import find_spec\n\nif find_spec('xformers') is None:\n    import xformers\n",
        "import importlib.util\n\nHAS_X = importlib.util.find_spec('xformers') is not None\n"
        "if HAS_X:\n    pass\nelse:\n    import xformers\n",
        "from importlib.util import find_spec\n\nif find_spec('apex') is not None:\n    import apex\nelse:\n"
        "    import xformers\n",
        # ``or``: either module may be the one found.
        "from importlib.util import find_spec\n\nif find_spec('apex') or find_spec('xformers'):\n    import xformers\n",
    ],
)
def test_unguarded_import_is_still_missing(code: str) -> None:
    found = errors(repo({"src/model.py": MODEL + "\n\n" + code}), select=["R501"])
    assert len(found) == 1 and "xformers" in found[0], found
