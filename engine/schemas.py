"""Cerberus validators for the engine's own constant schemas, built without re-checking them.

Cerberus validates a schema definition every time a validator is built; for a short `check`
process that costs more than validating the document. Our schemas are module constants, so
tests/core/test_schemas.py validates each one with cerberus's own schema check once, and the
runtime builds validators from them directly.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import cerberus
from cerberus import errors as cerberus_errors
from cerberus.schema import DefinitionSchema

# How a cerberus type name reads in a message ("must be a table").
TYPE_WORDS = {
    "string": "a string",
    "integer": "an integer",
    "boolean": "a boolean",
    "list": "an array",
    "dict": "a table",
    "date": "a date (unquoted: a TOML date or offset date-time)",
}


def type_words(constraint: object) -> str:
    """How a cerberus `type` constraint (one name or a list of them) reads in a message."""
    names = constraint if isinstance(constraint, (list, tuple)) else [constraint]
    return " or ".join(TYPE_WORDS.get(str(name), str(name)) for name in names)


@dataclass(frozen=True)
class SchemaProblem:
    """One schema violation: where (document path of str keys and int indexes) and what (a
    bounded text that never quotes a value from the file)."""

    path: tuple
    message: str


class _TrustedDefinition(DefinitionSchema):
    def validate(self, schema: Any = None) -> None:
        """Skipped: the schema is a constant that the test suite validates."""


def trusted_validator(schema: Mapping[str, Any], validator_class: type = cerberus.Validator, **options: Any):
    """A validator for `schema` (an engine constant) that skips cerberus's schema check."""
    validator = validator_class(**options)
    validator.schema = _TrustedDefinition(validator, schema)
    return validator


def check_definition(schema: Mapping[str, Any], validator_class: type = cerberus.Validator) -> None:
    """Cerberus's full schema check (raises SchemaError); used by the tests."""
    validator_class(schema)


_LOCAL = threading.local()


def cached_validator(schema: Mapping[str, Any], validator_class: type = cerberus.Validator, **options: Any):
    """`trusted_validator`, built once per schema, class and thread: building one costs more than
    validating a document, and a validator keeps per-run state (so threads do not share one).
    Keyed by the schema's id, so pass module constants only."""
    cache = _LOCAL.__dict__.setdefault("validators", {})
    key = (id(schema), validator_class, tuple(sorted(options.items())))
    validator = cache.get(key)
    if validator is None:
        validator = cache[key] = trusted_validator(schema, validator_class, **options)
    return validator


def leaf_errors(errors) -> Iterator[cerberus_errors.ValidationError]:
    """The leaf errors of a cerberus error list, group errors (nested schemas) flattened."""
    for error in errors:
        if error.is_group_error:
            yield from leaf_errors(error.child_errors)
        else:
            yield error
