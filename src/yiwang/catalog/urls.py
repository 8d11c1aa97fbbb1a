from django.urls import path

from . import views

app_name = "catalog"

urlpatterns = [
    path("", views.index, name="index"),
    path("search/", views.search_page, name="search"),
    path("items/<str:code>/", views.item_guide, name="item"),
    path("items/<str:code>/v/<int:number>/", views.item_version, name="item-version"),
    path("items/<str:code>/history/", views.item_history, name="item-history"),
    path("bundles/<str:code>/", views.bundle_guide, name="bundle"),
    path("departments/<str:code>/", views.department_page, name="department"),
    path("topics/<str:code>/", views.life_event_page, name="life-event"),
    path("tiers/<str:tier>/", views.tier_page, name="tier"),
    path("manage/", views.manage, name="manage"),
    path("manage/versions/<int:version_id>/edit/", views.manage_edit, name="edit"),
    path("manage/versions/<int:version_id>/<str:action>/", views.manage_action, name="action"),
    path("manage/items/<str:code>/revise/", views.manage_revise, name="revise"),
    path("manage/items/<str:code>/retire/", views.manage_retire, name="retire"),
    path("manage/import/", views.manage_import, name="import"),
    path("manage/export.<str:fmt>", views.manage_export, name="export"),
]
