"""Help center pages: thin glue over selectors and services."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "helpcenter/home.html", {})
