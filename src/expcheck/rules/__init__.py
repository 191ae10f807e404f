"""All rules, one module per criterion; importing this package registers them."""

from expcheck.rules import (  # noqa: F401 - importing a rule module registers its rules
    attributes,
    completeness,
    config_keys,
    contract_items,
    data,
    deps,
    evaluation,
    expressions,
    hydra,
    layout,
    model,
    modes,
    names,
    process,
    pyproject,
    run_configs,
    science,
    symbols,
    syntax,
    trial,
    values,
    wandb,
)
from expcheck.rules.base import REGISTRY, Example, Hit, Rule, all_rules, rule

__all__ = ["REGISTRY", "Example", "Hit", "Rule", "all_rules", "rule"]
