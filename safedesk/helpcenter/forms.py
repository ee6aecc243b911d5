"""Editor forms. They shape the input; the services validate it for real."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from safedesk.helpcenter.models import Category, Lang


class CategoryChoiceField(forms.ModelChoiceField[Category]):
    def label_from_instance(self, obj: Category) -> str:
        return f"{obj.name_zh_hans} / {obj.name_en}"


def _category_field() -> CategoryChoiceField:
    return CategoryChoiceField(
        label=_("Category"), queryset=Category.objects.order_by("position", "slug"), to_field_name="slug"
    )


class ArticleSettingsForm(forms.Form):
    category = _category_field()
    tags = forms.CharField(label=_("Tags"), required=False, max_length=1200, help_text=_("Separate tags with commas."))


class TranslationForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    slug = forms.CharField(
        label=_("Slug"),
        required=False,
        max_length=200,
        help_text=_("Part of the address. Leave empty to derive it from the title; Chinese characters are kept."),
    )
    body = forms.CharField(label=_("Body (Markdown)"), required=False, max_length=100_000, widget=forms.Textarea)
    questions = forms.CharField(
        label=_("Example questions"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One question per line, the way customers ask it."),
    )
    note = forms.CharField(label=_("Note about this change"), required=False, max_length=200)


class ArticleCreateForm(TranslationForm):
    key = forms.CharField(
        label=_("Key"),
        max_length=100,
        help_text=_("Stable identifier shared by both languages: lowercase letters, digits and hyphens."),
    )
    category = _category_field()
    tags = forms.CharField(label=_("Tags"), required=False, max_length=1200, help_text=_("Separate tags with commas."))
    lang = forms.ChoiceField(label=_("Language"), choices=Lang.choices)

    field_order = ["key", "category", "tags", "lang", "title", "slug", "body", "questions", "note"]
