"""Every constant cerberus schema passes cerberus's own schema check (engine/schemas.py trusts them)."""

import pytest

from engine.grants import schema as grants_schema
from engine.package import manifest_schema
from engine.schemas import check_definition, trusted_validator

SCHEMAS = [
    ("manifest", manifest_schema.MANIFEST_SCHEMA, manifest_schema._StrictValidator),
    *[(f"permission.{kind}", schema, manifest_schema._StrictValidator)
      for kind, schema in manifest_schema.PERMISSION_SCHEMAS.items()],
    ("plugins", grants_schema.PLUGINS_SCHEMA, None),
]


@pytest.mark.parametrize(("name", "schema", "cls"), SCHEMAS, ids=[s[0] for s in SCHEMAS])
def test_constant_schemas_are_valid_cerberus_definitions(name, schema, cls):
    if cls is None:
        check_definition(schema)
    else:
        check_definition(schema, cls)


def test_trusted_validator_validates_like_a_checked_one():
    validator = trusted_validator({"a": {"type": "integer", "required": True}}, allow_unknown=False)
    assert validator.validate({"a": 1})
    assert not validator.validate({"a": "x"})
    assert not validator.validate({"a": 1, "b": 2})
