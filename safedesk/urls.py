from django.contrib import admin
from django.urls import include, path

from safedesk.api.main import api, docs

urlpatterns = [
    path("", include("safedesk.helpcenter.urls")),
    path("", include("safedesk.tickets.urls")),
    path("", include("safedesk.safety.urls")),
    path("accounts/", include("safedesk.accounts.urls")),
    path("agent/audit/", include("safedesk.audit.urls")),
    path("search/", include("safedesk.search.urls")),
    path("api/v1/", api.urls),
    path("api/docs", docs, name="api-docs"),
    path("admin/", admin.site.urls),
]

handler400 = "safedesk.lib.views.bad_request"
handler403 = "safedesk.lib.views.permission_denied"
handler404 = "safedesk.lib.views.page_not_found"
handler500 = "safedesk.lib.views.server_error"
