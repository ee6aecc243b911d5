"""Agent pages of the search seam. The zero-result report is built under issue #2."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def gaps(request: HttpRequest) -> HttpResponse:
    return render(request, "search/gaps.html", {})
