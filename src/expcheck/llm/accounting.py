"""Tokens, cost and latency of a review; prices come from a table the user sets.

expcheck ships no prices (they change, and differ per provider and per local server). A price table
is JSON or YAML mapping a model name to US dollars per million tokens, in and out::

    {"gpt-4o-mini": {"input": 0.15, "output": 0.60}, "*": {"input": 0, "output": 0}}

``*`` applies to any model the table does not name (e.g. 0 for a local server).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from expcheck.errors import InputError


@dataclass(frozen=True)
class Price:
    input_per_mtok: float
    output_per_mtok: float

    def cost(self, tokens_in: int, tokens_out: int) -> float:
        return round((tokens_in * self.input_per_mtok + tokens_out * self.output_per_mtok) / 1_000_000, 6)


PriceTable = dict[str, Price]


def parse_prices(data: object, source: str) -> PriceTable:
    if not isinstance(data, dict):
        raise InputError(f"{source}: a price table maps model names to {{input: USD/Mtok, output: USD/Mtok}}")
    table: PriceTable = {}
    for model, entry in data.items():
        if not isinstance(entry, dict) or not {"input", "output"} <= set(entry):
            raise InputError(f"{source}: price of {model!r} needs 'input' and 'output' (USD per million tokens)")
        try:
            price = Price(float(entry["input"]), float(entry["output"]))
        except (TypeError, ValueError):
            raise InputError(f"{source}: price of {model!r} is not a number") from None
        if price.input_per_mtok < 0 or price.output_per_mtok < 0:
            raise InputError(f"{source}: price of {model!r} is negative")
        table[str(model)] = price
    return table


def load_prices(path: str) -> PriceTable:
    import yaml

    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"--llm-prices {path}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        data = yaml.safe_load(text)  # YAML is a superset of JSON
    except yaml.YAMLError:
        raise InputError(f"--llm-prices {path}: neither JSON nor YAML") from None
    return parse_prices(data, f"--llm-prices {path}")


def price_for(table: PriceTable, model: str) -> Price | None:
    return table.get(model) or table.get("*")


def estimate_cost(table: PriceTable, model: str, tokens_in: int, tokens_out: int) -> float | None:
    price = price_for(table, model)
    return None if price is None else price.cost(tokens_in, tokens_out)
