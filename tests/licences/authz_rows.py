"""Rows of the authorization matrix (tests/authz/test_matrix.py) for the licence API and pages.

* the public verifies (page, JSON, PDF upload) and downloads the root certificate;
* a holder sees their wallet, shows a licence by QR and downloads its signed PDF, as do the issuing
  department's reviewers and head — nobody else (404: a licence's existence is not confirmed);
* only the issuing department's reviewer or head revokes, with a reason.
The world's staff sit in its department (w.org["dept"]), which issues the matrix's licence type.
"""

from __future__ import annotations

ROLES_ALL = ["anonymous", "citizen", "enterprise_agent", "clerk", "reviewer", "dept_head", "hotline_operator",
             "handler", "grid_worker", "supervisor", "data_steward", "editor", "platform_admin"]


def _licence(w):
    """A fresh licence of the world's citizen (a revoke test consumes one per role)."""
    from yiwang.licences import services
    from yiwang.licences.models import LicenceType

    LicenceType.objects.get_or_create(code="MXZZ", defaults={"name": "矩阵测试证", "holder_kind": "person",
                                                              "issuer": w.org["dept"]})
    w.licence = services.issue(type_code="MXZZ", user=w.user("citizen"), data={"note": "matrix"})
    return w.licence


def setup_licence(w, role) -> None:
    _licence(w)


def api_rows(ApiCase, expect, only) -> dict:
    def _check_revoke(w, role, r):
        w.licence.refresh_from_db()
        assert (w.licence.status == "revoked") == (r.status_code == 200)

    return {
        ("GET", "/api/v1/licences"): ApiCase(expect(200, anonymous=401), lambda w, r: ("/api/v1/licences", None)),
        ("POST", "/api/v1/licences/{identifier}/revoke"): ApiCase(
            only(200, ("reviewer", "dept_head")),
            lambda w, r: (f"/api/v1/licences/{w.licence.identifier}/revoke", {"reason": "矩阵测试注销"}),
            setup=setup_licence, check=_check_revoke),
    }


def page_rows(PageCase, expect, only) -> dict:
    holder_only = {role: 404 for role in ROLES_ALL}
    holder_only.update(citizen=200, reviewer=200, dept_head=200)  # the holder, and the issuing department
    logged_in = expect(200, anonymous=302)

    def _verify(w, role):
        return (f"/licences/verify/{w.licence.identifier}", None)

    return {
        "licence-verify-upload": PageCase("GET", expect(200), lambda w, r: ("/licences/verify/", None)),
        "licence-verify": PageCase("GET", expect(200), _verify, setup=setup_licence),
        "licence-wallet": PageCase("GET", logged_in, lambda w, r: ("/licences/mine/", None),
                                   redirects={"anonymous": "/accounts/login/?next="}),
        "licence-root-ca": PageCase("GET", expect(200), lambda w, r: ("/licences/root-ca.pem", None)),
        "licence-show": PageCase("GET", holder_only, lambda w, r: (f"/licences/{w.licence.identifier}/show/", None),
                                 setup=setup_licence),
        "licence-pdf": PageCase("GET", holder_only, lambda w, r: (f"/licences/{w.licence.identifier}/pdf", None),
                                setup=setup_licence),
    }
