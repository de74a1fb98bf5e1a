"""Source-qualified refs (spec §3.2) and the safe-id rule (§1.5)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from engine.grants.refs import AMBIGUOUS_MESSAGE, MALFORMED_MESSAGE, PluginRef, RefError, parse_ref
from engine.package.ids import is_safe_id


@pytest.mark.parametrize("text", ["user:a", "project:example.summarizer", "builtin:x-y_z.1", "user:" + "a" * 128])
def test_valid_refs_round_trip(text):
    ref = parse_ref(text)
    assert str(ref) == text
    assert ref == PluginRef(*text.split(":", 1))


def test_ref_fields_and_frozen():
    ref = parse_ref("project:example")
    assert (ref.source, ref.local_id) == ("project", "example")
    with pytest.raises(AttributeError):
        ref.source = "user"  # type: ignore[misc]


@pytest.mark.parametrize("text", ["", "dup", "project", "user.x"])
def test_unqualified_is_ambiguous(text):
    with pytest.raises(RefError) as info:
        parse_ref(text)
    assert info.value.kind == "ambiguous"
    assert info.value.message == AMBIGUOUS_MESSAGE
    assert info.value.reason == "unqualified"


@pytest.mark.parametrize(
    "text, reason",
    [
        ("other:x", "invalid_source"),
        ("User:x", "invalid_source"),
        (":x", "invalid_source"),
        (" user:x", "invalid_source"),
        ("user:", "invalid_local_id"),
        ("user:a:b", "invalid_local_id"),
        ("user:.hidden", "invalid_local_id"),
        ("user:trailing.", "invalid_local_id"),
        ("user:has space", "invalid_local_id"),
        ("user:a/b", "invalid_local_id"),
        ("user:caf\u00e9", "invalid_local_id"),
        ("user:x\n", "invalid_local_id"),
        ("user:" + "a" * 129, "invalid_local_id"),
        ("bad:a:b", "invalid_local_id"),
    ],
)
def test_malformed_refs(text, reason):
    with pytest.raises(RefError) as info:
        parse_ref(text)
    assert info.value.kind == "malformed"
    assert info.value.message == MALFORMED_MESSAGE
    assert info.value.reason == reason


@pytest.mark.parametrize("text", ["a", "A-b_c.d", "a.b", "0", "a" * 128, "-x", "x-"])
def test_safe_ids(text):
    assert is_safe_id(text)


@pytest.mark.parametrize("text", ["", ".a", "a.", ".", "a b", "a:b", "a/b", "\u00e9", "a\n", "a" * 129, None, 3])
def test_unsafe_ids(text):
    assert not is_safe_id(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_parse_ref_only_raises_ref_error(text):
    try:
        ref = parse_ref(text)
    except RefError as error:
        assert error.kind in {"ambiguous", "malformed"}
        assert (error.kind == "ambiguous") == (":" not in text)
    else:
        assert str(ref) == text and is_safe_id(ref.local_id)
