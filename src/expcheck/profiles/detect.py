"""Which contract an input was written against, from what the input itself shows — with the evidence.

In order: a trace's contract text (its own instructions), a bundle's keys, then the repository's
layout and configuration. The layout step weighs what the files declare, not loose text:

- the run-config folder a profile names holds YAML files (``config/run/`` vs ``config/runs/``), or
  the primary config's defaults list selects from that folder's group (``- run: ???``,
  ``- runs@run: x``) when the run configs come separately (a bundle with ``--context``),
- ``config/config.yaml`` declares the profile's trial/full switch key at top level
  (``trial_mode`` vs ``mode``),
- the code reads that key from a configuration root (``cfg.trial_mode``; ``run_cfg.model`` is not
  a read of ``mode``, ``cfg.wandb.mode`` is a W&B setting).

The choice says how it was made, on which evidence, and whether another profile fitted as well.
"""

from __future__ import annotations

from dataclasses import dataclass

from expcheck.facts.layout import LayoutSignals, Signal, layout_signals
from expcheck.model import Model, field
from expcheck.profiles import builtin_profiles, load_profile
from expcheck.profiles.schema import Detection, Profile
from expcheck.submission import Submission

DEFAULT_PROFILE = "airas-v2"
GENERIC_PROFILE = "generic"
_REPO_TEXT_SUFFIXES = (".py", ".yaml", ".yml")
# Weights of the layout signals: the run-config folder outweighs the switch key, which a config
# declaration shows better than a read in the code.
_FOLDER, _GROUP, _DECLARED, _READ, _TEXT = 4, 3, 2, 1, 1


@dataclass(kw_only=True)
class ProfileChoice(Model):
    """How the profile of one input was chosen; part of every report."""

    how: str = field(description="given (--profile), contract text, bundle keys, repository layout, or default")
    evidence: list[str] = field(default_factory=list, description="what was seen, with path:line where there is one")
    ambiguous: bool = field(False, description="another profile fitted the evidence as well, or the evidence conflicts")
    alternatives: list[str] = field(default_factory=list, description="the other profiles that fitted")


def _text_matches(detect: Detection, contract_text: str) -> bool:
    markers = detect.contract_text
    if markers is None or not (markers.all_of or markers.none_of):
        return False
    return all(m in contract_text for m in markers.all_of) and not any(m in contract_text for m in markers.none_of)


def _text_evidence(profile: Profile) -> list[str]:
    markers = profile.detect.contract_text
    assert markers is not None
    out = [f"the contract text states {', '.join(repr(m) for m in markers.all_of)}"] if markers.all_of else []
    if markers.none_of:
        out.append(f"and none of {', '.join(repr(m) for m in markers.none_of)}")
    return out


@dataclass(frozen=True)
class _Scored:
    profile: Profile
    score: int
    evidence: tuple[str, ...]
    switch_seen: bool


def _fmt(signal: Signal) -> str:
    return f"{signal.what} ({signal.where})"


def _score(profile: Profile, sub: Submission, signals: LayoutSignals) -> _Scored:
    detect = profile.detect
    score, evidence = 0, []
    for wanted in detect.repo_paths_any:
        if wanted.endswith("/"):
            held = signals.run_folders.get(wanted)
            group = signals.group_signal(wanted)
            if held:
                score += _FOLDER
                evidence.append(f"{wanted} holds {len(held)} YAML file(s) ({held[0]})")
            elif group:
                score += _GROUP
            if group:
                evidence.append(_fmt(group))
            if held or group:
                break
        elif wanted in sub.files:
            score += _FOLDER
            evidence.append(f"{wanted} exists")
            break
    switch_seen = False
    if profile.modes is not None:
        declared = signals.declared_signal(profile.modes.key)
        read = signals.read_signal(profile.modes.key)
        if declared:
            score += _DECLARED
            evidence.append(_fmt(declared))
        if read:
            score += _READ
            evidence.append(_fmt(read))
        switch_seen = bool(declared or read)
    if detect.repo_text_any:
        texts = [f.text for f in sub.files.values() if f.path.endswith(_REPO_TEXT_SUFFIXES)]
        hit = next((m for m in detect.repo_text_any if any(m in t for t in texts)), None)
        if hit is not None:
            score += _TEXT
            evidence.append(f"the files contain {hit!r}")
    return _Scored(profile, score, tuple(evidence), switch_seen)


def _by_layout(sub: Submission, candidates: list[Profile]) -> tuple[Profile, ProfileChoice] | None:
    layout_profiles = [p for p in candidates if p.detect.repo_paths_any]
    if not layout_profiles:
        return None
    folders = [w for p in layout_profiles for w in p.detect.repo_paths_any if w.endswith("/")]
    keys = [p.modes.key for p in layout_profiles if p.modes is not None]
    signals = layout_signals(sub, folders, keys)
    scored = [_score(p, sub, signals) for p in layout_profiles]
    best = max(s.score for s in scored)
    if best == 0:
        return None
    # Highest score first; among equals, the profile's detection priority.
    top = [s for s in scored if s.score == best]
    top.sort(key=lambda s: (-s.profile.detect.priority, s.profile.name))
    chosen = top[0]
    alternatives = [s.profile.name for s in top[1:]]
    evidence = list(chosen.evidence)
    # Evidence for another profile's switch key while the chosen one's is not seen: a conflict.
    chosen_key = chosen.profile.modes.key if chosen.profile.modes else None
    for key in dict.fromkeys(keys):
        if key == chosen_key:
            continue
        other = signals.declared_signal(key) or signals.read_signal(key)
        if other is not None and not chosen.switch_seen:
            evidence.append(f"but {_fmt(other)}")
            alternatives += [p.profile.name for p in scored if p.profile.modes and p.profile.modes.key == key]
    if chosen.profile.modes is not None and not chosen.switch_seen and not alternatives:
        evidence.append(f"no `{chosen.profile.modes.key}` switch seen in config/config.yaml or the code")
    alternatives = list(dict.fromkeys(a for a in alternatives if a != chosen.profile.name))
    return chosen.profile, ProfileChoice(
        how="repository layout", evidence=evidence, ambiguous=bool(alternatives), alternatives=alternatives
    )


def _generic(sub: Submission, candidates: list[Profile]) -> tuple[Profile, ProfileChoice] | None:
    """The generic profile when the input shows nothing AIRAS-shaped: no file any contract requires."""
    if sub.contract_text:
        return None
    if sub.kind == "file":
        evidence = ["a single Python file"]
    else:
        contract_files = {f for p in candidates for f in p.required_files if f != "pyproject.toml"}
        if contract_files & set(sub.files):
            return None
        evidence = [f"none of {', '.join(sorted(contract_files))} exists"]
    return load_profile(GENERIC_PROFILE), ProfileChoice(how="no AIRAS contract shape", evidence=evidence)


def choose_profile(sub: Submission) -> tuple[Profile, ProfileChoice]:
    """The contract of a trace's instructions, else of a bundle's keys, else of the layout; and why."""
    candidates = sorted(builtin_profiles(), key=lambda p: (-p.detect.priority, p.name))
    if sub.contract_text:
        matched = [p for p in candidates if _text_matches(p.detect, sub.contract_text)]
        if matched:
            others = [p.name for p in matched[1:]]
            return matched[0], ProfileChoice(
                how="contract text", evidence=_text_evidence(matched[0]), ambiguous=bool(others), alternatives=others
            )
    keys = set(sub.bundle_keys)
    for profile in candidates:
        found = sorted(keys & set(profile.detect.bundle_keys_any))
        if found:
            return profile, ProfileChoice(how="bundle keys", evidence=[f"the bundle holds key {found[0]!r}"])
    by_layout = _by_layout(sub, candidates)
    if by_layout is not None:
        return by_layout
    generic = _generic(sub, candidates)
    if generic is not None:
        return generic
    why = "the contract text matches no profile" if sub.contract_text else "no layout signal of any profile"
    return load_profile(DEFAULT_PROFILE), ProfileChoice(how="default", evidence=[why])


def detect_profile(sub: Submission) -> Profile:
    return choose_profile(sub)[0]
