"""Data models as plain dataclasses, with pydantic only where data is validated, dumped or described.

Findings, verdicts, reports and profiles are built by expcheck itself on every check, from values it
has already checked; importing pydantic and building its validators for them cost a one-input CLI
call more than judging the input does (issue 19). They are therefore standard-library dataclasses,
and pydantic (a ``TypeAdapter`` over the same classes, built on first use) does what it is needed
for: validating outside data (a user's profile or configuration file, a model's answer, an HTTP
request), JSON dumps and JSON Schemas. A field's constraints and description for pydantic go in
``field(...)``'s keywords, which pydantic reads from the dataclass field's metadata.

:class:`Model` gives these dataclasses the few ``BaseModel`` methods expcheck and its API users call
(``model_dump``, ``model_dump_json``, ``model_copy``, ``model_validate``, ``model_json_schema``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any, Self

if TYPE_CHECKING:
    from pydantic import TypeAdapter


def field(default: Any = dataclasses.MISSING, *, default_factory: Any = dataclasses.MISSING, **pydantic: Any) -> Any:
    """A dataclass field whose keyword arguments (``description``, ``ge``, ``pattern``, ...) are pydantic's
    ``Field`` arguments, applied when pydantic validates, dumps or describes the class."""
    return dataclasses.field(default=default, default_factory=default_factory, metadata=pydantic)


@cache
def adapter(cls: type) -> TypeAdapter[Any]:
    """pydantic's validator and serializer for the dataclass ``cls`` (imports pydantic on first use)."""
    from pydantic import TypeAdapter

    return TypeAdapter(cls)


class Model:
    """The ``BaseModel`` methods of a dataclass model; pydantic is imported only when one of them needs it."""

    __slots__ = ()

    def model_dump(self, *, mode: str = "python", exclude_none: bool = False, by_alias: bool = False) -> Any:
        return adapter(type(self)).dump_python(self, mode=mode, exclude_none=exclude_none, by_alias=by_alias)

    def model_dump_json(self, *, indent: int | None = None, exclude_none: bool = False) -> str:
        return adapter(type(self)).dump_json(self, indent=indent, exclude_none=exclude_none).decode()

    def model_copy(self, *, update: dict[str, Any] | None = None) -> Self:
        return dataclasses.replace(self, **(update or {}))  # type: ignore[type-var]

    @classmethod
    def model_validate(cls, data: Any) -> Self:
        """``data`` validated into this class (pydantic's ValidationError when it does not fit)."""
        validated: Self = adapter(cls).validate_python(data)
        return validated

    @classmethod
    def model_json_schema(cls, mode: str = "validation", by_alias: bool = True) -> dict[str, Any]:
        schema: dict[str, Any] = adapter(cls).json_schema(mode=mode, by_alias=by_alias)  # type: ignore[arg-type]
        return schema


def build(cls: type[Any], data: dict[str, Any]) -> Any:
    """An instance of the dataclass ``cls`` from plain data expcheck ships and trusts (its built-in profiles),
    without pydantic: nested dataclasses, lists, dicts and optional values built along the type hints, an
    integer given for a float made a float. For data that validates, the result equals
    ``adapter(cls).validate_python(data)`` (tests check it for every built-in profile); nothing is validated."""
    return _converter(cls)(data)


Convert = Callable[[Any], Any]


def _same(value: Any) -> Any:
    return value


@cache
def _converter(hint: Any) -> Convert:
    """The function that builds a value of type ``hint`` from plain data (worked out once per type)."""
    import types
    import typing

    origin = typing.get_origin(hint)
    if origin is types.UnionType or origin is typing.Union:
        options = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        if len(options) != 1:
            return _same
        inner = _converter(options[0])
        return _same if inner is _same else lambda value: None if value is None else inner(value)
    if origin is list:
        item = _converter(typing.get_args(hint)[0])
        return list if item is _same else lambda value: [item(v) for v in value]
    if origin is dict:
        item = _converter(typing.get_args(hint)[1])
        return dict if item is _same else lambda value: {k: item(v) for k, v in value.items()}
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        fields = {name: _converter(field_hint) for name, field_hint in typing.get_type_hints(hint).items()}
        return lambda value: hint(**{name: fields[name](v) for name, v in value.items()})
    if hint is float:
        return lambda value: float(value) if type(value) is int else value
    return _same


def error_message(error: Any) -> str:
    """The message of one pydantic validation error, an unknown key said as pydantic says it for a model
    (a dataclass's is "Unexpected keyword argument")."""
    if error["type"] == "unexpected_keyword_argument":
        return "Extra inputs are not permitted"
    return str(error["msg"])
