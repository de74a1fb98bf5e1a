"""Cerberus validators for the engine's own constant schemas, built without re-checking them.

Cerberus validates a schema definition every time a validator is built; for a short `check`
process that costs more than validating the document. Our schemas are module constants, so
tests/core/test_schemas.py validates each one with cerberus's own schema check once, and the
runtime builds validators from them directly.
"""

from __future__ import annotations

from typing import Any, Mapping

import cerberus
from cerberus.schema import DefinitionSchema


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
