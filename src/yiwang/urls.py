import os

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from oauth2_provider import urls as oauth_urls
from oauth2_provider import views as oauth_views

from yiwang.accounts.adminsite import PlatformAdminSite
from yiwang.accounts.oidc import AuthorizationView as OidcAuthorizationView
from yiwang.api import api
from yiwang.web import views as web_views

# The admin: the platform admin's active role, with its second factor (TOTP) verified.
admin.site.__class__ = PlatformAdminSite
admin.site.site_header = "一网通办 · 平台管理"
admin.site.site_title = "一网通办管理"
admin.site.index_title = "平台管理"

# The OpenID Connect provider: metadata, authorize/token, JWKS and userinfo. Not DOT's application
# management, dynamic client registration or device-flow views: relying parties are registered by
# the platform admin (in /admin/), never by any signed-in person.
_oauth_patterns = [
    path("authorize/", OidcAuthorizationView.as_view(), name="authorize"),
    *(p for p in oauth_urls.metadata_urlpatterns + oauth_urls.base_urlpatterns + oauth_urls.oidc_urlpatterns
      if p.name != "authorize" and not p.name.startswith("device")),  # no device flow: kiosks use the API
]

urlpatterns = [
    path("healthz", web_views.healthz, name="healthz"),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("o/", include((_oauth_patterns, "oauth2_provider"), namespace="oauth2_provider")),
    path(".well-known/openid-configuration", oauth_views.ConnectDiscoveryInfoView.as_view(), name="oidc-discovery"),
    path("services/", include("yiwang.catalog.urls")),
    path("exchange/", include("yiwang.exchange.urls")),
    path("", include("yiwang.cases.urls")),
    path("", include("yiwang.licences.urls")),
    path("hotline/", include("yiwang.hotline.urls")),
    path("grid/", include("yiwang.grid.urls")),
    path("open311/v2/", include("yiwang.hotline.open311_urls")),
    path("", include("yiwang.web.urls")),
]

if os.environ.get("YIWANG_BENCH_FLOOR") == "1":
    # bench/cases_submit.py only: the benchmark's floor endpoint (auth + one INSERT); never in production
    from yiwang.cases.bench_floor import urlpatterns as _bench_floor

    urlpatterns = _bench_floor + urlpatterns
