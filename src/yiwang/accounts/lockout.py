"""django-axes hooks: lock-out responses and a username that is never an ID number in clear."""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from yiwang.core.crypto import blind_index
from yiwang.core.middleware import client_ip as _client_ip


#: Set on the request by the backend when a login succeeds: the account's username.
AUTHENTICATED_USERNAME = "_yiwang_authenticated_username"
_LOGIN_INDEX = "_yiwang_axes_login_index"


def axes_username(request, credentials):
    """The lock-out key: a blind index of the login as typed (ID number, USCC or staff username).

    After a successful login axes asks again with the *account's* username (to reset the failure
    count); for a citizen or an enterprise that is not the login that failed, so the index of the
    login typed in this request is returned instead. Otherwise the count would never be reset.
    """
    login = ((credentials or {}).get("username") or "").strip()
    if not login:
        return ""
    remembered = getattr(request, _LOGIN_INDEX, None) if request is not None else None
    if remembered and login == getattr(request, AUTHENTICATED_USERNAME, None):
        return remembered
    index = blind_index(login, "login")
    if request is not None:
        setattr(request, _LOGIN_INDEX, index)
    return index


def client_ip(request):
    return _client_ip(request) or "0.0.0.0"


def lockout_message() -> str:
    return _("登录失败次数过多，账号已暂时锁定，请 15 分钟后再试或联系 12345 热线。")


def lockout_response(request, original_response=None, credentials=None):
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "locked_out", "message": lockout_message(), "fields": {}}, status=429)
    return render(request, "web/locked_out.html", {"message": lockout_message()}, status=429)
