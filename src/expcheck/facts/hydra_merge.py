"""Hydra's merge of a composed defaults list, over plain data, when plain data is all it merges.

Once Hydra has built the defaults list (which configs, at which package, in which order), its config
loader (``ConfigLoaderImpl._compose_config_from_defaults_list``) loads each config, embeds it at its
package and merges it into the result with OmegaConf's ``merge_with``. On the untyped trees a YAML file
gives, that merge is a recursive update: a mapping merged into a mapping is merged key by key, anything
else replaces what was there, and a ``???`` leaves the value it meets. Each OmegaConf merge validates every
assignment, re-parents the tree and resets flag caches all over it: ~2 ms of a composition of two small
files, the largest single cost of composing (issue 19). :func:`merged_defaults` computes the same result
as plain data, and only where it is exact:

- every config is read with :func:`merge_data` (untyped nodes, no flag set, plain leaves), from Hydra's own
  repository, so what is merged is what Hydra loaded (its defaults list already taken out);
- no config comes from, or matches a schema in, Hydra's ConfigStore (Hydra would merge it with the schema);
- no config appears twice (Hydra would merge its nodes twice), and each package is a plain dotted key of at
  most ``DEEPEST`` parts (deeper, OmegaConf's merge may reach Python's recursion limit, and Hydra's error is
  the answer);
- nothing OmegaConf resolves while merging is met: an interpolation in the destination that a later config
  writes over (Hydra dereferences it), an interpolation merged over a mapping (OmegaConf resolves it to see
  whether it is None), a ``hydra`` key in a config that is not the primary one (Hydra looks up
  ``hydra.searchpath`` in it);
- no mapping meets a list (OmegaConf refuses that merge with its own error).

Anything else answers None, and the caller composes through Hydra's loader, with its results and errors.
tests/test_compose_plain_merge.py compares both over the corpus and with Hydra's public ``compose``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from expcheck.facts.omegaconf_nodes import DEEPEST, merge_data

_MISSING = "???"
# A package OmegaConf.update reads as keys separated by dots (no brackets, no leading or doubled dot).
_PACKAGE = re.compile(r"[A-Za-z0-9_\-]+(?:\.[A-Za-z0-9_\-]+)*")


class _NotPlainMerge(Exception):
    """A merge only OmegaConf may do."""


def merged_defaults(defaults: Sequence[Any], repo: Any) -> dict[str, Any] | None:
    """``OmegaConf.to_container(loader._compose_config_from_defaults_list(defaults, repo), resolve=False)``
    for Hydra's defaults list ``defaults`` (its ResultDefaults) over the caching repository ``repo`` that
    built it; None when only Hydra's loader may compose it (see the module's docstring)."""
    try:
        return _merged(defaults, repo)
    except _NotPlainMerge:
        return None


def _merged(defaults: Sequence[Any], repo: Any) -> dict[str, Any]:
    result: dict[str, Any] = {}
    seen: set[str] = set()
    for default in defaults:
        path = default.config_path
        if path is None or path in seen:
            raise _NotPlainMerge
        seen.add(path)
        data, header_package = _loaded(repo, path)
        data = _embedded(data, header_package if default.package is None else default.package)
        if not default.primary and path != "hydra/config" and "hydra" in data:
            raise _NotPlainMerge
        _merge(result, data)
    return result


def _loaded(repo: Any, path: str) -> tuple[Any, str | None]:
    """The config Hydra's loader would merge for ``path``, as plain data, and the package its header names."""
    from hydra.plugins.config_source import ConfigLoadError, ConfigSource

    loaded = repo.load_config(config_path=path)  # cached: loaded when the defaults list was built
    if loaded is None or loaded.is_schema_source or "package" not in loaded.header:
        raise _NotPlainMerge
    try:
        repo.get_schema_source().load_config(ConfigSource._normalize_file_name(filename=path))
    except ConfigLoadError:
        pass  # no schema of that name, as for every config of a submission
    else:
        raise _NotPlainMerge
    data = merge_data(loaded.config)
    if data is None:
        raise _NotPlainMerge
    return data, loaded.header["package"]


def _embedded(data: Any, package: str | None) -> dict[str, Any]:
    """``data`` set at ``package`` in a new mapping, as Hydra's ``_embed_result_config`` sets a loaded config."""
    if package is None or package == "":
        if type(data) is not dict:
            raise _NotPlainMerge  # a list merged into a mapping: OmegaConf's own error
        return data
    keys = package.split(".")
    if len(keys) > DEEPEST or not _PACKAGE.fullmatch(package):
        # Past DEEPEST levels, OmegaConf's merge (several frames per level) may exceed Python's recursion
        # limit where this one (one frame per level) would not: Hydra's answer is its error, so ask Hydra.
        raise _NotPlainMerge
    for key in reversed(keys):
        data = {key: data}
    return data


def _interpolation(value: Any) -> bool:
    return type(value) is str and "${" in value


def _merge(dest: dict[str, Any], src: dict[str, Any]) -> None:
    """OmegaConf's ``_map_merge(dest, src)`` on untyped plain data (``src``'s objects are taken, not copied:
    each comes from a fresh read of a loaded config)."""
    for key, value in src.items():
        if key not in dest:
            dest[key] = value
            continue
        current = dest[key]
        if _interpolation(current):
            raise _NotPlainMerge  # OmegaConf dereferences it first
        missing = type(value) is str and value == _MISSING
        if type(current) is dict:
            if type(value) is dict:
                _merge(current, value)
            elif type(value) is list or _interpolation(value):
                raise _NotPlainMerge
            elif not missing:
                dest[key] = value
        elif type(current) is list:
            if type(value) is dict:
                raise _NotPlainMerge
            if not missing:
                dest[key] = value
        elif not missing:
            dest[key] = value
