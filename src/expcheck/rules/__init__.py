"""All rules, one module per criterion; importing this package registers them."""

from expcheck.rules import completeness, layout, pyproject, syntax  # noqa: F401
from expcheck.rules import config_keys, hydra, modes, run_configs  # noqa: F401
from expcheck.rules.base import REGISTRY, Example, Hit, Rule, all_rules, rule

__all__ = ["REGISTRY", "Example", "Hit", "Rule", "all_rules", "rule"]
