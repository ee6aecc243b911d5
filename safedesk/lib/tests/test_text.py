import pytest

from safedesk.lib.errors import InvalidInput
from safedesk.lib.text import clean_text


def test_it_normalises_and_strips_controls() -> None:
    assert clean_text("  a\u202eb\r\nc\x07 ", field="x", max_length=10) == "ab\nc"
    assert clean_text("Ａ  b\n c", field="x", max_length=10, multiline=False) == "Ａ b c"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("a\x00b", "invalid_characters"),
        ("a\udcffb", "invalid_characters"),
        ("bad \ufffd utf8", "invalid_encoding"),
        ("x" * 11, "too_long"),
        ("   ", "required"),
    ],
)
def test_it_refuses_what_cannot_be_stored(value: str, code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        clean_text(value, field="q", max_length=10)
    assert caught.value.code == code
