"""`{% load i18n %}` maps to fast_i18n: every form of `{% translate %}` renders exactly what
Django's own tag renders, in both languages, with and without autoescaping, every time."""

from __future__ import annotations

import pytest
from django.template import Context, Engine, Template
from django.utils import translation

FORMS = (
    '{% translate "Sign out" %}',
    "{% translate 'Help center' %}",
    '{% translate "Sign out" as label %}[{{ label }}]',
    '{% translate "Sign out" noop %}',
    '{% translate "Sign out"|upper %}',
    '{% translate "May" context "month name" %}',
    '{% translate "<b>&" %}',
    "{% translate text %}",
    "{% blocktranslate %}Select {{ text }}{% endblocktranslate %}",
)


def _django_only(source: str) -> Template:
    engine = Engine(libraries={"i18n": "django.templatetags.i18n"})
    return Template("{% load i18n %}" + source, engine=engine)


@pytest.mark.parametrize("source", FORMS)
@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("autoescape", [True, False])
def test_it_renders_what_django_renders(source: str, language: str, autoescape: bool) -> None:
    ours = Engine.get_default().from_string("{% load i18n %}" + source)
    theirs = _django_only(source)
    with translation.override(language):
        for _ in range(3):  # the first rendering is kept: the next ones must agree too
            for text in ("Sign out", "<i>x</i>"):
                context = {"text": text}
                expected = theirs.render(Context(context, autoescape=autoescape))
                assert ours.render(Context(context, autoescape=autoescape)) == expected


def test_it_follows_the_active_language() -> None:
    page = Engine.get_default().from_string('{% load i18n %}{% translate "Sign out" %}')
    assert [type(n).__name__ for n in page.nodelist if "Translate" in type(n).__name__] == ["KeptTranslateNode"]
    with translation.override("zh-hans"):
        chinese = page.render(Context({}))
    with translation.override("en"):
        english = page.render(Context({}))
    assert english == "Sign out" and chinese != english and chinese.strip()


def test_it_reports_other_template_library_names_claimed_twice(settings: object) -> None:
    from safedesk.lib.checks import template_library_names

    assert template_library_names() == []  # the deliberate i18n and static mappings only
    templates = [dict(settings.TEMPLATES[0])]  # type: ignore[attr-defined]
    templates[0]["OPTIONS"] = {**templates[0]["OPTIONS"], "libraries": {"static": "safedesk.lib.templatetags.speed"}}
    settings.TEMPLATES = templates  # type: ignore[attr-defined]
    assert [w.id for w in template_library_names()] == ["safedesk.W004"]
