"""The rules. Each module holds the rules of one criterion, or of one coherent id range inside it, and
registers them with ``@rule`` (``base.py``) when imported:

- R (runs at all): ``syntax`` R101–R104, ``pyproject`` R201–R208, ``names`` R301–R307, ``symbols``
  R401–R405 (imports and calls between project modules), ``values`` R406–R408 (values used as what
  they are not), ``deps`` R501–R503, ``process`` R601–R603;
- C1–C9 (the contract): ``completeness`` C101–C105, ``hydra`` C201–C208, ``data`` C301–C305,
  ``model`` C401–C406, ``layout`` C501–C503, ``wandb_runs`` C601–C604 and C611 (starting the run),
  ``wandb_metrics`` C605–C610 (what is logged and read), ``config_keys`` C701, C702, C708,
  ``run_configs`` C703–C707, C709, ``evaluation_inputs`` C801–C804 (how evaluate starts and reads
  the runs), ``evaluation_metrics`` C805–C808, C811, ``evaluation_figures`` C809, C810, C812,
  ``modes`` C901–C906;
- S (scientific validity): ``science`` S101–S151;
- T (the trial run, ``--trial``): ``trial_failures`` T101–T106, T112 (how a run failed),
  ``trial_sanity`` T107–T111 (what a finished run shows).

Modules without rules: ``base`` (the rule model), ``examples_repo`` (the example repositories
several rules' bad/good examples start from) and ``trial_common`` (the T rules' sandbox examples and
message wording). Rules judge facts (``expcheck/facts``), they never analyse code themselves
(tests/test_rules_hold_no_analysis.py).

Rule modules are discovered, not listed: importing this package imports every module in it, so a
new module needs no registration (tests/test_rule_layout.py checks this list against the modules).
"""

import importlib
import pkgutil

from expcheck.rules.base import REGISTRY, Example, Hit, Rule, all_rules, rule

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    importlib.import_module(f"{__name__}.{_module}")

__all__ = ["REGISTRY", "Example", "Hit", "Rule", "all_rules", "rule"]
