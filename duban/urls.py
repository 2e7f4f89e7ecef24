from django.contrib import admin
from django.urls import include, path

from duban.health import metrics
from duban.health import views as health
from duban.web import views as web

urlpatterns = [
    path("favicon.ico", web.favicon, name="favicon"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("duban.api.urls")),
    path("accounts/", include("duban.accounts.urls")),
    path("directory/", include("duban.organisation.urls")),
    path("audit/", include("duban.audit.urls")),
    path("ledger/", include("duban.ledger.urls")),
    path("intake/", include("duban.intake.urls")),
    path("spotchecks/", include("duban.spotchecks.urls")),
    path("webhooks/", include("duban.hooks.urls")),
    path("", include("duban.reports.urls")),
    path("", include("duban.documents.urls")),
    # Before duban.web.urls, whose /items/<id>/<action>/ would take /items/<id>/attachments/.
    path("", include("duban.attachments.urls")),
    path("", include("duban.web.urls")),
]

# A database that went away mid-request is a 503 (duban.health.outage), not a 500.
handler500 = "duban.health.outage.server_error"
