from engine.diagnostics import (
    ELLIPSIS, Diagnostic, Location, bound_bytes, bound_text, bounded_message, redact_secret_like,
)


def test_bound_bytes_cuts_at_character_boundary():
    text = "é" * 300  # 2 bytes each
    out = bound_bytes(text, 241)
    assert out.endswith(ELLIPSIS)
    assert len(out.removesuffix(ELLIPSIS).encode()) == 240
    out.encode("utf-8")  # never a split character


def test_bound_text_counts_characters_and_flattens_newlines():
    assert bound_text("a\nb") == "a b"
    long = "x" * 300
    assert bound_text(long) == "x" * 240 + ELLIPSIS


def test_bounded_message_replaces_control_characters_and_caps_512_bytes():
    assert bounded_message("a\x00b\tc\nd") == "a b\tc\nd"
    assert len(bounded_message("y" * 2000).encode()) == 512 + len(ELLIPSIS.encode())


def test_diagnostic_message_is_bounded_and_code_defaults():
    diag = Diagnostic("malformed", "manifest", "z" * 5000)
    assert len(diag.message.encode()) <= 512 + 3
    assert diag.code == "manifest.malformed"
    assert diag.to_dict()["location"] is None
    assert str(Location("plugin.toml", 3, 5)) == "plugin.toml:3:5"


def test_redaction_keeps_word_and_hides_value():
    assert redact_secret_like("secret=my-token-value.txt") == "secret=<redacted>"
    assert redact_secret_like("Authorization: Bearer abc123") == "Authorization: Bearer <redacted>"
    assert redact_secret_like("x-api-key:k1, password = hunter2;") == "x-api-key:<redacted>, password = <redacted>;"
    assert redact_secret_like("no secrets here") == "no secrets here"
