"""The Django admin (/admin/) opens to a session acting as platform admin (an active platform_admin
RoleAssignment) with a verified second factor, and to nobody else: ``is_staff`` or even
``is_superuser`` on another role's account opens nothing."""

from __future__ import annotations

import pytest
from django.test import Client

from .conftest import PASSWORD, totp_at


def staff_session(user, offset: int = 0) -> Client:
    client = Client()
    r = client.post("/accounts/login/staff/", {"username": user.username, "password": PASSWORD,
                                               "otp": totp_at(user.device, offset)})
    assert r.status_code == 302, r.content[:500]
    return client


def refused(client, path="/admin/") -> str:
    """The admin refuses: to its login, which answers 403 for a signed-in staff member."""
    r = client.get(path)
    assert r.status_code == 302 and r["Location"].startswith("/admin/login/"), (r.status_code, r.get("Location"))
    r = client.get(r["Location"])
    assert r.status_code == 403, r.status_code
    return r.content.decode()


@pytest.mark.parametrize("superuser", [False, True])
def test_a_reviewer_with_is_staff_is_refused(org, make_staff, superuser):
    reviewer = make_staff("reviewer", org["dept"])
    reviewer.is_staff = True
    reviewer.is_superuser = superuser
    reviewer.save()
    client = staff_session(reviewer)
    assert "管理后台仅供平台管理员使用。" in refused(client)
    for path in ("/admin/accounts/user/", "/admin/core/auditevent/", "/admin/accounts/roleassignment/add/"):
        r = client.get(path)
        assert r.status_code == 302 and r["Location"].startswith("/admin/login/"), (path, r.status_code)
    r = client.post("/admin/accounts/roleassignment/add/", {"user": reviewer.pk, "role": "platform_admin",
                                                           "department": org["dept"].pk})
    assert r.status_code == 302 and r["Location"].startswith("/admin/login/")
    assert not reviewer.roles.filter(role="platform_admin").exists()


def test_the_platform_admin_enters_without_is_staff(org, make_staff):
    admin_user = make_staff("platform_admin", org["dept"])
    admin_user.is_superuser = True  # the model permissions; is_staff stays False
    admin_user.save()
    client = staff_session(admin_user)
    r = client.get("/admin/")
    assert r.status_code == 200 and "平台管理" in r.content.decode()
    assert client.get("/admin/accounts/user/").status_code == 200


def test_the_platform_admin_role_must_be_the_active_one(org, make_staff):
    """Someone who holds platform_admin besides another role enters as platform admin only: the
    admin's audit events then name that role."""
    from yiwang.accounts.models import RoleAssignment

    person = make_staff("reviewer", org["dept"])
    admin_role = RoleAssignment.objects.create(user=person, role="platform_admin", department=org["other_dept"])
    person.is_superuser = True
    person.save()
    client = staff_session(person)
    page = refused(client)
    assert "请先在工作台切换角色" in page and 'href="/staff/"' in page
    assert client.post("/staff/role/", {"role_id": admin_role.pk}).status_code == 302
    assert client.get("/admin/").status_code == 200


def test_losing_the_role_closes_the_admin_at_once(org, make_staff):
    admin_user = make_staff("platform_admin", org["dept"])
    admin_user.is_superuser = True
    admin_user.is_staff = True
    admin_user.save()
    client = staff_session(admin_user)
    assert client.get("/admin/").status_code == 200
    admin_user.roles.all().delete()
    r = client.get("/admin/")
    assert r.status_code == 302 and r["Location"].startswith("/admin/login/")


def test_a_platform_admin_without_the_second_factor_goes_to_the_staff_login(org, make_staff):
    admin_user = make_staff("platform_admin", org["dept"])
    admin_user.is_superuser = True
    admin_user.is_staff = True
    admin_user.save()
    client = Client()
    client.force_login(admin_user)  # password only: no verified device in the session
    r = client.get("/admin/", follow=True)
    assert r.redirect_chain[-1][0].startswith("/accounts/login/staff/?next=")
    assert r.status_code == 200 and "工作人员登录" in r.content.decode()


def test_a_citizen_is_sent_to_the_staff_login(make_citizen):
    client = Client()
    client.force_login(make_citizen(), backend="yiwang.accounts.backends.IdentityBackend")
    r = client.get("/admin/", follow=True)
    assert r.redirect_chain[-1][0].startswith("/accounts/login/staff/?next=")
