"""Choice lists translated once per language (`lib.choices.translated`)."""

from __future__ import annotations

from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from safedesk.lib.choices import translated


class Tongue(models.TextChoices):
    ZH = "zh-hans", _("Simplified Chinese")
    EN = "en", _("English")


def test_it_gives_the_labels_of_the_active_language_each_time() -> None:
    seen = {}
    for lang in ("en", "zh-hans", "en", "zh-hans"):
        with translation.override(lang):
            got = translated(Tongue)
            assert got == tuple((value, str(label)) for value, label in Tongue.choices)
            assert all(type(text) is str for _value, text in got)
            seen[lang] = got
    assert seen["en"] == (("zh-hans", "Simplified Chinese"), ("en", "English"))
    assert seen["zh-hans"] != seen["en"]
