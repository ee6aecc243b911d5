"""Help center pages: thin glue over selectors and services."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from safedesk.accounts.decorators import staff_required
from safedesk.helpcenter import selectors, services
from safedesk.helpcenter.forms import ArticleCreateForm, ArticleSettingsForm, TranslationForm
from safedesk.helpcenter.models import ArticleTranslation, Lang
from safedesk.lib.errors import InvalidInput
from safedesk.lib.markdown import render as render_markdown
from safedesk.lib.net import client_ip
from safedesk.lib.ratelimit import hit
from safedesk.search import services as search_services

# Votes are cheap to send and counted publicly; a person needs only a few per minute.
FEEDBACK_RATE_PER_MINUTE = 10
SEARCH_RESULTS = 20
SUGGESTIONS = 6


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _safe_next(request: HttpRequest, default: str) -> str:
    """The `next` field when it points back into this site, else `default` (no open redirect)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


# ---- public pages --------------------------------------------------------------------------


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    lang = selectors.current_lang()
    context = {
        "categories": selectors.categories_with_counts(lang),
        "popular": selectors.popular_articles(lang),
    }
    return render(request, "helpcenter/home.html", context)


@require_GET
def category_detail(request: HttpRequest, slug: str) -> HttpResponse:
    lang = selectors.current_lang()
    category = selectors.access_category(slug)
    articles = selectors.category_articles(category, lang)
    return render(
        request,
        "helpcenter/category.html",
        {"category": category, "category_name": category.name_for(lang), "articles": articles},
    )


@require_GET
def article_detail(request: HttpRequest, slug: str) -> HttpResponse:
    lang = selectors.current_lang()
    page = selectors.access_published_article(slug, lang)
    if page.canonical_slug != slug:
        # The reader's language has its own published version with its own address.
        return redirect(selectors.article_url(page.canonical_slug))
    services.record_view(page.article)
    tr = page.translation
    context = {
        "page": page,
        "article": page.article,
        "translation": tr,
        "body_html": render_markdown(tr.body),
        "category_name": page.article.category.name_for(lang),
        "related": selectors.related_articles(page.article, lang),
        "popular": selectors.popular_articles(lang, limit=5, exclude_key=page.article.key),
    }
    return render(request, "helpcenter/article.html", context)


@require_POST
def article_feedback(request: HttpRequest, slug: str) -> HttpResponse:
    ip = client_ip(request)
    hit("helpcenter-feedback", ip, limit=FEEDBACK_RATE_PER_MINUTE)
    page = selectors.access_published_article(slug, selectors.current_lang())
    vote = request.POST.get("helpful", "")
    if vote not in {"yes", "no"}:
        raise InvalidInput(_("Choose yes or no."), code="invalid_vote", field="helpful")
    user = request.user if request.user.is_authenticated else None
    if user is None and not request.session.session_key:
        request.session.save()
    services.record_feedback(
        page.article,
        lang=page.translation.lang,
        helpful=vote == "yes",
        comment=request.POST.get("comment", ""),
        user=user,
        session_key=request.session.session_key or "",
        ip=ip,
    )
    if _is_htmx(request):
        return render(request, "helpcenter/_feedback_thanks.html", {"helpful": vote == "yes"})
    messages.success(request, _("Thank you for your feedback."))
    return redirect(selectors.article_url(page.canonical_slug) + "#feedback")


def _query(request: HttpRequest) -> str:
    # Over-long, NUL or undecodable queries are refused with 400 (InvalidInput) before any search.
    return selectors.clean_query(request.GET.get("q", ""))


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    query = _query(request)
    lang = selectors.search_lang(query, selectors.current_lang())
    results: list[selectors.ArticleHit] = []
    if query:
        hit("search", client_ip(request), limit=settings.SAFEDESK_SEARCH_RATE_PER_MINUTE)
        results = selectors.search_articles(query, lang=lang, limit=SEARCH_RESULTS)
        search_services.record_query(query=query, lang=lang, hits=len(results), source="helpcenter")
    template = "helpcenter/_results.html" if _is_htmx(request) else "helpcenter/search.html"
    return render(request, template, {"query": query, "results": results})


@require_GET
def suggest(request: HttpRequest) -> HttpResponse:
    """Search-as-you-type (htmx partial). Not logged: half-typed words are not searches."""
    query = _query(request)
    results: list[selectors.ArticleHit] = []
    if query:
        hit("search-suggest", client_ip(request), limit=settings.SAFEDESK_SEARCH_RATE_PER_MINUTE)
        lang = selectors.search_lang(query, selectors.current_lang())
        results = selectors.suggest_articles(query, lang=lang, limit=SUGGESTIONS)
    return render(request, "helpcenter/_suggestions.html", {"query": query, "results": results})


# ---- editor (agents and up) ----------------------------------------------------------------


def _apply_error(form: Any, exc: InvalidInput) -> None:
    field = exc.params.get("field")
    form.add_error(field if field in form.fields else None, str(exc.message))


@staff_required
@require_GET
def editor_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    category = request.GET.get("category", "")
    rows = selectors.editor_articles(category_slug=category, status=status)
    return render(
        request,
        "helpcenter/editor/list.html",
        {"rows": rows, "status": status, "category": category, "categories": selectors.all_categories()},
    )


@staff_required
@require_http_methods(["GET", "POST"])
def editor_create(request: HttpRequest) -> HttpResponse:
    form = ArticleCreateForm(request.POST or None, initial={"lang": selectors.current_lang()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            article = services.create_article(
                key=data["key"], category=data["category"], tags=data["tags"], actor=request.user
            )
            services.save_translation(
                article,
                lang=data["lang"],
                title=data["title"],
                body=data["body"],
                slug=data["slug"],
                questions=data["questions"].splitlines(),
                note=data["note"],
                actor=request.user,
            )
        except InvalidInput as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, _("The article was created as a draft."))
            return redirect("helpcenter:editor_article", key=article.key)
    return render(request, "helpcenter/editor/create.html", {"form": form}, status=400 if form.errors else 200)


@staff_required
@require_http_methods(["GET", "POST"])
def editor_article(request: HttpRequest, key: str) -> HttpResponse:
    article = selectors.access_article(key)
    initial = {"category": article.category.slug, "tags": ", ".join(article.tags)}
    form = ArticleSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.update_article(
                article, category=form.cleaned_data["category"], tags=form.cleaned_data["tags"], actor=request.user
            )
        except InvalidInput as exc:
            _apply_error(form, exc)
        else:
            if changed:
                messages.success(request, _("The article settings were saved."))
            return redirect("helpcenter:editor_article", key=article.key)
    translations = {t.lang: t for t in article.translations.all()}
    context = {
        "article": article,
        "form": form,
        "slots": [(lang, label, translations.get(lang)) for lang, label in Lang.choices],
        "feedback": selectors.article_feedback(article),
    }
    return render(request, "helpcenter/editor/article.html", context, status=400 if form.errors else 200)


def _lang_or_404(lang: str) -> str:
    if lang not in Lang.values:
        raise Http404
    return lang


@staff_required
@require_http_methods(["GET", "POST"])
def editor_translation(request: HttpRequest, key: str, lang: str) -> HttpResponse:
    article = selectors.access_article(key)
    lang = _lang_or_404(lang)
    existing = ArticleTranslation.objects.filter(article=article, lang=lang).first()
    initial: dict[str, Any] = {}
    if existing is not None:
        initial = {
            "title": existing.title,
            "slug": existing.slug,
            "body": existing.body,
            "questions": "\n".join(existing.questions),
        }
    form = TranslationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.save_translation(
                article,
                lang=lang,
                title=data["title"],
                body=data["body"],
                slug=data["slug"],
                questions=data["questions"].splitlines(),
                note=data["note"],
                actor=request.user,
            )
            if request.POST.get("action") == "publish":
                services.publish_translation(saved.translation, actor=request.user)
        except InvalidInput as exc:
            _apply_error(form, exc)
        else:
            if request.POST.get("action") == "publish":
                messages.success(request, _("Saved and published."))
            elif saved.changed:
                messages.success(request, _("Saved."))
            else:
                messages.info(request, _("Nothing changed."))
            return redirect("helpcenter:editor_translation", key=article.key, lang=lang)
    context = {
        "article": article,
        "lang": lang,
        "lang_label": Lang(lang).label,
        "translation": existing,
        "form": form,
    }
    return render(request, "helpcenter/editor/translation.html", context, status=400 if form.errors else 200)


def _status_change(request: HttpRequest, key: str, lang: str, *, publish: bool) -> HttpResponseRedirect:
    article = selectors.access_article(key)
    tr = selectors.access_translation(article, lang)
    if publish:
        done = services.publish_translation(tr, actor=request.user)
        messages.success(request, _("Published.") if done else _("It was already published."))
    else:
        done = services.unpublish_translation(tr, actor=request.user)
        messages.success(request, _("Moved back to draft.") if done else _("It was already a draft."))
    default = reverse("helpcenter:editor_translation", kwargs={"key": article.key, "lang": tr.lang})
    return HttpResponseRedirect(_safe_next(request, default))


@staff_required
@require_POST
def editor_publish(request: HttpRequest, key: str, lang: str) -> HttpResponse:
    return _status_change(request, key, lang, publish=True)


@staff_required
@require_POST
def editor_unpublish(request: HttpRequest, key: str, lang: str) -> HttpResponse:
    return _status_change(request, key, lang, publish=False)


@staff_required
@require_POST
def editor_delete(request: HttpRequest, key: str) -> HttpResponse:
    article = selectors.access_article(key)
    if request.POST.get("confirm") != article.key:
        messages.error(request, _("Type the article key to confirm the deletion."))
        return redirect("helpcenter:editor_article", key=article.key)
    services.delete_article(article, actor=request.user)
    messages.success(request, _("The article was deleted."))
    return redirect("helpcenter:editor_list")


@staff_required
@require_POST
def editor_preview(request: HttpRequest) -> HttpResponse:
    body = request.POST.get("body", "")
    if len(body) > services.MAX_BODY:
        raise InvalidInput(_("The text is too long (at most %(max)d characters).") % {"max": services.MAX_BODY})
    return render(request, "helpcenter/editor/_preview.html", {"html": render_markdown(body)})


@staff_required
@require_GET
def editor_revisions(request: HttpRequest, key: str, lang: str) -> HttpResponse:
    article = selectors.access_article(key)
    tr = selectors.access_translation(article, lang)
    revs = selectors.revisions(tr)
    return render(
        request, "helpcenter/editor/revisions.html", {"article": article, "translation": tr, "revisions": revs}
    )


def _revision_number(request: HttpRequest, name: str) -> int:
    raw = request.GET.get(name, "")
    if not raw.isdigit() or len(raw) > 9:
        raise InvalidInput(_("Choose two revisions to compare."), code="invalid_revision", field=name)
    return int(raw)


@staff_required
@require_GET
def editor_diff(request: HttpRequest, key: str, lang: str) -> HttpResponse:
    article = selectors.access_article(key)
    tr = selectors.access_translation(article, lang)
    old = selectors.access_revision(tr, _revision_number(request, "a"))
    new = selectors.access_revision(tr, _revision_number(request, "b"))
    if old.number > new.number:
        old, new = new, old
    context = {
        "article": article,
        "translation": tr,
        "old": old,
        "new": new,
        "title_diff": selectors.diff_lines(old.title, new.title),
        "body_diff": selectors.diff_lines(old.body, new.body),
    }
    return render(request, "helpcenter/editor/diff.html", context)
