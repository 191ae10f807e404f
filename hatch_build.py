"""Build hook: an editable install compiles expcheck's sources to bytecode in place.

uv's ``compile-bytecode`` (pyproject.toml) compiles what it installs into the environment, but an
editable install leaves expcheck's own modules in ``src/``, and with PYTHONDONTWRITEBYTECODE set (as on
the development machines) Python would compile them again on every call. Regular wheels need nothing:
the installer compiles them.
"""

from __future__ import annotations

import compileall
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CompileEditable(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name == "wheel" and version == "editable":
            compileall.compile_dir(str(Path(self.root) / "src" / "expcheck"), quiet=1)
