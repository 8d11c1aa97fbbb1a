"""/open311/v2/ — Open311 GeoReport v2 (see yiwang.hotline.open311)."""

from django.urls import path, re_path

from . import open311

urlpatterns = [
    path("discovery.<str:fmt>", open311.discovery, name="open311-discovery"),
    path("services.<str:fmt>", open311.services_list, name="open311-services"),
    re_path(r"^services/(?P<code>[^/.]+)\.(?P<fmt>\w+)$", open311.service_definition, name="open311-service"),
    path("requests.<str:fmt>", open311.requests_view, name="open311-requests"),
    re_path(r"^requests?/(?P<number>[^/.]+)\.(?P<fmt>\w+)$", open311.request_detail, name="open311-request"),
    re_path(r"^tokens/(?P<token>[^/.]+)\.(?P<fmt>\w+)$", open311.token_view, name="open311-token"),
    re_path(r"^(?P<rest>.*)$", open311.not_found, name="open311-not-found"),
]
