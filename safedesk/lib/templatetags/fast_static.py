"""Django's `static` template library with `{% static %}` remembering each path's URL
(settings.TEMPLATES maps `{% load static %}` here, so every template gets it unchanged).

Each `{% static %}` asks the storage for the URL again (a path join and quoting; ~50 µs each
under the profiler on this project's machine); base.html has four on every page. The URL
depends only on the path, the storage and STATIC_URL, none of which change while the process
runs, so it is computed once per (path, STATIC_URL). Everything else of the library is Django's own.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django import template
from django.conf import settings
from django.template.base import Parser, Token
from django.templatetags import static as django_static

register = template.Library()
register.tags.update(django_static.register.tags)
register.filters.update(django_static.register.filters)


@lru_cache(maxsize=4_096)
def _url(path: str, _static_url: str | None) -> str:
    return str(django_static.StaticNode.handle_simple(path))


class KeptStaticNode(django_static.StaticNode):
    def url(self, context: Any) -> str:
        path = self.path.resolve(context)
        if not isinstance(path, str):
            return str(self.handle_simple(path))
        return _url(path, settings.STATIC_URL)


@register.tag("static")
def do_static(parser: Parser, token: Token) -> KeptStaticNode:
    node = django_static.do_static(parser, token)
    return KeptStaticNode(varname=node.varname, path=node.path)
