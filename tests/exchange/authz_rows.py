"""Rows of the authorization matrix (tests/authz/test_matrix.py) for the exchange's API operations
and pages. The matrix owns the harness; plug these in after its tables are defined::

    from exchange.authz_rows import api_rows, page_rows  # noqa: E402
    API.update(api_rows(ApiCase, expect, only))
    HTML_CASES.update(page_rows(PageCase, expect, only))

The world's staff sit in the market-regulation department (YX-SCJG): it provides ``MX-OWN``; the
civil-affairs department (YX-MZ) provides ``MX-OTHER``. Who may do what (yiwang.exchange):
* every staff role reads the published catalog; citizens and enterprises do not;
* only the owning department's data steward edits, publishes, retires, deletes and answers
  requests; the steward or the head asks for data and withdraws; the steward (or the platform
  admin) revokes; stewards, heads, supervisors and the platform admin see requests and grants;
* citizens and enterprise agents see their own 我的数据使用记录; the coverage report is public;
* the gateway takes signed calls only: a bearer token is not a signature, so every role gets 401.
"""

from __future__ import annotations

from datetime import timedelta

ROLES_ALL = ["anonymous", "citizen", "enterprise_agent", "clerk", "reviewer", "dept_head", "hotline_operator",
             "handler", "grid_worker", "supervisor", "data_steward", "editor", "platform_admin"]
STAFF = [r for r in ROLES_ALL if r not in ("anonymous", "citizen", "enterprise_agent")]
DESK = ("data_steward", "dept_head", "supervisor", "platform_admin")
FIELDS = [{"key": "name", "name": "姓名"}, {"key": "address", "name": "住址"}]
STAFF_LOGIN = {"anonymous": "/accounts/login/staff/?next="}
CITIZEN_LOGIN = {"anonymous": "/accounts/login/?next="}


def setup_exchange(w, role) -> None:
    """MX-OWN (the world's department), MX-OTHER (civil affairs), MX-DRAFT (a draft of the world's
    department), a pending request of civil affairs for MX-OWN, a pending request of the world's
    department for MX-OTHER, and a grant of MX-OWN to civil affairs."""
    from django.utils import timezone

    from yiwang.core.workdays import add_working_days, end_of_day
    from yiwang.exchange.models import DataResource, Grant, ShareRequest

    if DataResource.objects.filter(code="MX-OWN").exists():
        return
    now = timezone.now()
    common = {"fields": FIELDS, "legal_basis": "《户口登记条例》", "share_class": "conditional",
              "share_conditions": "仅用于政务服务", "published_at": now}
    own = DataResource.objects.create(code="MX-OWN", name="矩阵资源", provider=w.org["dept"], status="published",
                                      **common)
    other = DataResource.objects.create(code="MX-OTHER", name="他部门资源", provider=w.org["other_dept"],
                                        status="published", **common)
    DataResource.objects.create(code="MX-DRAFT", name="草稿资源", provider=w.org["dept"], status="draft", **common)
    until = timezone.localdate() + timedelta(days=60)
    w.exchange_incoming = ShareRequest.objects.create(
        resource=own, requester=w.org["other_dept"], purpose="低保核验", fields=["name"], requested_until=until,
        due_at=add_working_days(now, 10))
    w.exchange_outgoing = ShareRequest.objects.create(
        resource=other, requester=w.org["dept"], purpose="许可核验", fields=["name"], requested_until=until,
        due_at=add_working_days(now, 10))
    granted = ShareRequest.objects.create(resource=own, requester=w.org["other_dept"], purpose="救助核验",
                                          fields=["name"], requested_until=until, status="approved", decided_at=now)
    w.exchange_grant = Grant.objects.create(resource=own, grantee=w.org["other_dept"], request=granted,
                                            fields=["name"], purpose="救助核验", expires_at=end_of_day(until))


def _ids(w):
    from yiwang.exchange.models import Grant, ShareRequest

    incoming = ShareRequest.objects.get(resource__code="MX-OWN", status="pending")
    outgoing = ShareRequest.objects.get(resource__code="MX-OTHER", status="pending")
    return incoming.pk, outgoing.pk, Grant.objects.get(resource__code="MX-OWN").pk


def api_rows(ApiCase, expect, only) -> dict:
    staff_read = only(200, tuple(STAFF))
    steward = only(200, ("data_steward",))
    desk = only(200, DESK)
    applicants = only(200, ("citizen", "enterprise_agent"))
    all_401 = expect(401)

    def p(path, params=None):
        return lambda w, r: (path, params)

    resource_body = {"code": "MX-NEW", "name": "新资源", "fields": FIELDS, "legal_basis": "《户口登记条例》",
                     "share_class": "unconditional"}

    def until():
        from django.utils import timezone

        return timezone.localdate() + timedelta(days=30)

    return {
        ("GET", "/api/v1/exchange/resources"): ApiCase(
            staff_read, p("/api/v1/exchange/resources"), setup=setup_exchange,
            check=lambda w, role, r: r.status_code != 200 or {"MX-OWN", "MX-OTHER"} <= {x["code"] for x in r.json()}),
        ("GET", "/api/v1/exchange/resources/{code}"): ApiCase(
            staff_read, p("/api/v1/exchange/resources/MX-OTHER"), setup=setup_exchange),
        ("POST", "/api/v1/exchange/resources"): ApiCase(
            only(201, ("data_steward",)), p("/api/v1/exchange/resources", resource_body), setup=setup_exchange),
        ("PATCH", "/api/v1/exchange/resources/{code}"): ApiCase(
            steward, p("/api/v1/exchange/resources/MX-OWN", {"description": "更新"}), setup=setup_exchange),
        ("POST", "/api/v1/exchange/resources/{code}/publish"): ApiCase(
            steward, p("/api/v1/exchange/resources/MX-DRAFT/publish"), setup=setup_exchange),
        ("POST", "/api/v1/exchange/resources/{code}/retire"): ApiCase(
            steward, p("/api/v1/exchange/resources/MX-OWN/retire", {"reason": "迁移"}), setup=setup_exchange),
        ("DELETE", "/api/v1/exchange/resources/{code}"): ApiCase(
            only(204, ("data_steward",)), p("/api/v1/exchange/resources/MX-DRAFT"), setup=setup_exchange),
        ("POST", "/api/v1/exchange/requests"): ApiCase(
            only(201, ("data_steward", "dept_head")),
            lambda w, r: ("/api/v1/exchange/requests", {"resource": "MX-OTHER", "fields": ["address"],
                                                        "purpose": "核验", "requested_until": until().isoformat()}),
            setup=lambda w, r: (setup_exchange(w, r), _withdraw_outgoing())),
        ("GET", "/api/v1/exchange/requests"): ApiCase(desk, p("/api/v1/exchange/requests"), setup=setup_exchange),
        ("POST", "/api/v1/exchange/requests/{request_id}/approve"): ApiCase(
            steward, lambda w, r: (f"/api/v1/exchange/requests/{_ids(w)[0]}/approve", {}), setup=setup_exchange),
        ("POST", "/api/v1/exchange/requests/{request_id}/refuse"): ApiCase(
            steward, lambda w, r: (f"/api/v1/exchange/requests/{_ids(w)[0]}/refuse", {"reason": "用途不符"}),
            setup=setup_exchange),
        ("POST", "/api/v1/exchange/requests/{request_id}/withdraw"): ApiCase(
            only(200, ("data_steward", "dept_head")),
            lambda w, r: (f"/api/v1/exchange/requests/{_ids(w)[1]}/withdraw", {}), setup=setup_exchange),
        ("GET", "/api/v1/exchange/grants"): ApiCase(desk, p("/api/v1/exchange/grants"), setup=setup_exchange),
        ("POST", "/api/v1/exchange/grants/{grant_id}/revoke"): ApiCase(
            only(200, ("data_steward", "platform_admin")),
            lambda w, r: (f"/api/v1/exchange/grants/{_ids(w)[2]}/revoke", {"reason": "超范围使用"}),
            setup=setup_exchange),
        ("GET", "/api/v1/exchange/my-usage"): ApiCase(
            applicants, p("/api/v1/exchange/my-usage"),
            check=lambda w, role, r: r.status_code != 200 or r.json() == []),
        ("GET", "/api/v1/exchange/coverage"): ApiCase(expect(200), p("/api/v1/exchange/coverage")),
        ("POST", "/api/v1/exchange/gateway/query"): ApiCase(
            all_401, lambda w, r: ("/api/v1/exchange/gateway/query",
                                   {"resource": "MX-OWN", "subject": w.subject.id_number, "purpose": "核验"}),
            setup=setup_exchange, notes="bearer tokens are not signatures"),
        ("POST", "/api/v1/exchange/gateway/resources/{code}/records"): ApiCase(
            all_401, p("/api/v1/exchange/gateway/resources/MX-OWN/records", {"mode": "full", "records": []}),
            setup=setup_exchange, notes="bearer tokens are not signatures"),
    }


def _withdraw_outgoing():
    """The world's department may hold one pending request per resource: clear the seeded one."""
    from yiwang.exchange.models import ShareRequest

    ShareRequest.objects.filter(resource__code="MX-OTHER", status="pending").update(status="withdrawn")


def page_rows(PageCase, expect, only) -> dict:
    def staff_only(roles):
        table = only(200, tuple(roles))
        table["anonymous"] = 302
        return table

    def page(path):
        return lambda w, r: (path, None)

    applicants = only(200, ("citizen", "enterprise_agent"))
    applicants["anonymous"] = 302
    return {
        "exchange:catalog": PageCase("GET", staff_only(STAFF), page("/exchange/"), redirects=STAFF_LOGIN,
                                     setup=setup_exchange),
        "exchange:resource-new": PageCase("GET", staff_only(["data_steward"]), page("/exchange/resources/new/"),
                                          redirects=STAFF_LOGIN),
        "exchange:resource": PageCase("GET", staff_only(STAFF), page("/exchange/resources/MX-OTHER/"),
                                      redirects=STAFF_LOGIN, setup=setup_exchange),
        "exchange:desk": PageCase("GET", staff_only(DESK), page("/exchange/desk/"), redirects=STAFF_LOGIN,
                                  setup=setup_exchange),
        "exchange:supervision": PageCase("GET", staff_only(["supervisor", "platform_admin"]),
                                         page("/exchange/supervision/"), redirects=STAFF_LOGIN),
        "exchange:log": PageCase("GET", staff_only(DESK), page("/exchange/log/"), redirects=STAFF_LOGIN),
        "exchange:my-data": PageCase("GET", applicants, page("/exchange/my-data/"),
                                     redirects={"anonymous": "/accounts/login/?next="}),
        "exchange:coverage": PageCase("GET", expect(200), page("/exchange/coverage/")),
    }
