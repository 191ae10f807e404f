"""The rules. Each module under this package holds the rules of one criterion or id range and
registers them with ``@rule`` (``base.py``) when imported; ``examples_repo.py`` holds the example
repositories the rules' bad/good examples start from. Rules judge facts (``expcheck/facts``), they
never analyse code themselves (tests/test_rules_hold_no_analysis.py).

Rule modules are discovered, not listed: importing this package imports every module in it.
"""

import importlib
import pkgutil

from expcheck.rules.base import REGISTRY, Example, Hit, Rule, all_rules, rule

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    importlib.import_module(f"{__name__}.{_module}")

__all__ = ["REGISTRY", "Example", "Hit", "Rule", "all_rules", "rule"]
