"""django-axes hooks: lock-out responses and a username that is never an ID number in clear."""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from yiwang.core.crypto import blind_index
from yiwang.core.middleware import client_ip as _client_ip


def axes_username(request, credentials):
    login = (credentials or {}).get("username") or ""
    return blind_index(login, "login") if login else ""


def client_ip(request):
    return _client_ip(request) or "0.0.0.0"


def lockout_message() -> str:
    return _("登录失败次数过多，账号已暂时锁定，请 15 分钟后再试或联系 12345 热线。")


def lockout_response(request, original_response=None, credentials=None):
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "locked_out", "message": lockout_message(), "fields": {}}, status=429)
    return render(request, "web/locked_out.html", {"message": lockout_message()}, status=429)
