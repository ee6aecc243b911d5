from django.urls import path

from safedesk.helpcenter import views

app_name = "helpcenter"
urlpatterns = [
    path("", views.home, name="home"),
    path("help/", views.home, name="help"),
    path("help/categories/<str:slug>/", views.category_detail, name="category"),
    path("help/articles/<str:slug>/", views.article_detail, name="article"),
    path("help/articles/<str:slug>/feedback/", views.article_feedback, name="article_feedback"),
    path("help/search/", views.search, name="search"),
    path("help/search/suggest/", views.suggest, name="suggest"),
    path("agent/articles/", views.editor_list, name="editor_list"),
    path("agent/articles/new/", views.editor_create, name="editor_create"),
    path("agent/articles/preview/", views.editor_preview, name="editor_preview"),
    path("agent/articles/<slug:key>/", views.editor_article, name="editor_article"),
    path("agent/articles/<slug:key>/delete/", views.editor_delete, name="editor_delete"),
    path("agent/articles/<slug:key>/<str:lang>/", views.editor_translation, name="editor_translation"),
    path("agent/articles/<slug:key>/<str:lang>/publish/", views.editor_publish, name="editor_publish"),
    path("agent/articles/<slug:key>/<str:lang>/unpublish/", views.editor_unpublish, name="editor_unpublish"),
    path("agent/articles/<slug:key>/<str:lang>/revisions/", views.editor_revisions, name="editor_revisions"),
    path("agent/articles/<slug:key>/<str:lang>/diff/", views.editor_diff, name="editor_diff"),
]
