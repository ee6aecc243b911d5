"""Django's `i18n` template library with a faster `{% translate %}` (settings.TEMPLATES maps
`{% load i18n %}` here, so every template gets it unchanged).

A page such as the agent inbox renders about 70 `{% translate "…" %}` tags; each one resolves a
literal through the active translation, localises and escapes it again on every render — about
an eighth of the page's time. For a plain literal (no filters, no `as`, no `context`, not
`noop`) the output depends only on the active language, the literal and autoescaping, and the
compiled catalogues do not change while the process runs, so the first rendering of each is
kept and reused. Everything else, and every other tag of the library, is Django's own.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.template.base import Parser, Token, Variable
from django.templatetags import i18n as django_i18n
from django.utils import translation

register = template.Library()
register.tags.update(django_i18n.register.tags)
register.filters.update(django_i18n.register.filters)

# Literals in templates times languages times autoescape on/off: a few thousand at most. The
# bound only keeps a template built from data (there is none) from growing it without end.
_MAX_KEPT = 20_000
_kept: dict[tuple[str | None, str, bool], str] = {}


class KeptTranslateNode(django_i18n.TranslateNode):
    def render(self, context: Any) -> str:
        expression = self.filter_expression
        var = expression.var
        if (
            self.noop
            or self.asvar
            or self.message_context
            or expression.filters
            or not isinstance(var, Variable)
            or not isinstance(var.literal, str)
        ):
            return str(super().render(context))
        key = (translation.get_language(), var.literal, bool(context.autoescape))
        found = _kept.get(key)
        if found is None:
            found = super().render(context)
            if len(_kept) < _MAX_KEPT:
                _kept[key] = found
        return found


def translate(parser: Parser, token: Token) -> KeptTranslateNode:
    node = django_i18n.do_translate(parser, token)
    return KeptTranslateNode(node.filter_expression, node.noop, node.asvar, node.message_context)


register.tag("translate", translate)
register.tag("trans", translate)
