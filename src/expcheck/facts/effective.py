"""The config each run really sees: Hydra's composition plus the run file the code loads itself.

A v2-style repository keeps ``run`` as a plain key and its code loads ``config/runs/{run}.yaml``
into the config (``cfg.run = OmegaConf.load(...)`` or ``OmegaConf.merge``). The composition alone
would show ``run`` as a string; this fact applies those code-side loads so key checks see what the
running code sees.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from expcheck.facts import Facts
from expcheck.facts.cfgflow import Access, Condition, cfg_flow
from expcheck.facts.compose import compose_setup

MISSING = "???"
_ABSENT = object()


@dataclass(frozen=True)
class Effective:
    run_id: str
    mode: str
    config: dict[str, Any]  # the app config after the code's own run-file loads
    runfile: dict[str, Any] | None  # the run's own config file, parsed


def lookup(data: Any, keys: tuple[str, ...]) -> Any:
    """The value at ``keys``, or ``_ABSENT`` when a key on the way is missing."""
    cur = data
    for key in keys:
        if isinstance(cur, dict) and key in cur:
            cur = cur[key]
        elif isinstance(cur, list) and key.isdigit() and int(key) < len(cur):
            cur = cur[int(key)]
        else:
            return _ABSENT
    return cur


def is_absent(value: Any) -> bool:
    return value is _ABSENT


_ATOMS = frozenset({str, int, float, bool, type(None)})


def copied(value: Any, memo: dict[int, Any] | None = None) -> Any:
    """``copy.deepcopy(value)`` for config data: dicts, lists and plain scalars copied here, as deepcopy
    copies them (a new dict or list per original, shared and recursive parts shared and recursive in the
    copy through the same memo), anything else by deepcopy itself with that memo. About five times
    quicker on the run files every run copies (a check copies each run's file once per mode)."""
    if memo is None:
        memo = {}
    kind = type(value)
    if kind in _ATOMS:
        return value
    made = memo.get(id(value))
    if made is not None:
        return made
    if kind is dict:
        out: dict[Any, Any] = {}
        memo[id(value)] = out
        for key, item in value.items():
            out[key if type(key) in _ATOMS else copied(key, memo)] = item if type(item) in _ATOMS else copied(item, memo)
        return out
    if kind is list:
        items: list[Any] = []
        memo[id(value)] = items
        items.extend(item if type(item) in _ATOMS else copied(item, memo) for item in value)
        return items
    return copy.deepcopy(value, memo)


def _merge(base: Any, extra: Any) -> Any:
    if isinstance(base, dict) and isinstance(extra, dict):
        out = dict(base)
        for key, value in extra.items():
            out[key] = _merge(base.get(key), value) if key in base else copied(value)
        return out
    return copied(extra)


def _set(data: dict[str, Any], keys: tuple[str, ...], value: Any) -> dict[str, Any]:
    if not keys:
        return value if isinstance(value, dict) else data
    out = dict(data)
    cur = out
    for key in keys[:-1]:
        nxt = cur.get(key)
        nxt = dict(nxt) if isinstance(nxt, dict) else {}
        cur[key] = nxt
        cur = nxt
    cur[keys[-1]] = value
    return out


def condition_holds(cond: Condition, eff: Effective) -> bool | None:
    """Whether ``cond`` holds in this run's config; None when it cannot be told."""
    source = eff.config if cond.binding.root == "cfg" else eff.runfile
    value = lookup(source, cond.binding.keys)
    if is_absent(value) or value == MISSING:
        return None
    if cond.op == "in":
        return value in cond.constants
    if cond.op == "not in":
        return value not in cond.constants
    if cond.op == "truthy":
        return bool(value)
    return not bool(value)


def conditions_hold(access: Access, eff: Effective) -> bool | None:
    """False if some condition is false; None if any cannot be told; True otherwise."""
    verdict: bool | None = True
    for cond in access.conditions:
        held = condition_holds(cond, eff)
        if held is False:
            return False
        if held is None:
            verdict = None
    return verdict


def run_file(facts: Facts, run_id: str) -> dict[str, Any] | None:
    """The run's own config file (config/run(s)/<run_id>.yaml), parsed; None when absent or not a mapping."""
    path = facts.profile.run_config_path(run_id)
    doc = facts.yaml.get(path) if path else None
    return doc.data if doc is not None and isinstance(doc.data, dict) else None


def effective_configs(facts: Facts) -> list[Effective]:
    setup = facts.derived(compose_setup)
    flow = facts.derived(cfg_flow)
    loads = [a for a in flow.accesses if a.kind == "write" and a.value in ("runfile", "runfile-merge")]
    out: list[Effective] = []
    for comp in setup.compositions:
        if comp.config is None:
            continue
        runfile = run_file(facts, comp.run_id)
        config = comp.config
        for load in sorted(loads, key=lambda a: len(a.binding.keys)):
            if load.binding.root != "cfg" or runfile is None:
                continue
            current = lookup(config, load.binding.keys)
            if load.value == "runfile-merge" and isinstance(current, dict):
                config = (
                    _set(config, load.binding.keys, _merge(current, runfile))
                    if load.binding.keys
                    else _merge(config, runfile)
                )
            else:
                config = _set(config, load.binding.keys, copied(runfile))
        out.append(Effective(comp.run_id, comp.mode, config, runfile))
    return out


def _covers(written: tuple[str, ...], read: tuple[str, ...]) -> bool:
    """Whether writing ``written`` (``*`` = any key) sets ``read`` or one of its parents."""
    if len(written) > len(read):
        return False
    return all(w == "*" or w == r for w, r in zip(written, read, strict=False))


def written_by_code(facts: Facts, access: Access, eff: Effective) -> bool:
    """Whether the same app's code assigns the key ``access`` reads, or a parent (in a branch this run may take)."""
    binding = access.binding
    for write in facts.derived(cfg_flow).accesses:
        if (
            write.kind != "write"
            or write.binding.root != binding.root
            or write.value != "other"
            or write.app != access.app
        ):
            continue
        if _covers(write.binding.keys, binding.keys) and conditions_hold(write, eff) is not False:
            return True
    return False
