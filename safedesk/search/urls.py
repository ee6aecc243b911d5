from django.urls import path

from safedesk.search import views

app_name = "search"
urlpatterns = [
    path("gaps/", views.gaps, name="gaps"),
    path("synonyms/", views.synonyms, name="synonyms"),
    path("synonyms/add/", views.synonym_create, name="synonym_create"),
    path("synonyms/<int:group_id>/", views.synonym_update, name="synonym_update"),
    path("synonyms/<int:group_id>/delete/", views.synonym_delete, name="synonym_delete"),
]
