"""Rows of the authorization matrix (tests/authz/test_matrix.py) for the 12345 hotline: the hotline
API, the pages of yiwang.hotline.urls and the Open311 GeoReport v2 endpoints. The matrix owns the
harness; plug these in after its tables are defined::

    from hotline.authz_rows import api_rows, page_rows  # noqa: E402
    API.update(api_rows(ApiCase, expect, only))
    HTML_CASES.update(page_rows(PageCase, expect, only))

The world's citizen files a complaint (with a photo) in grid A of 望江社区 and the 12345 operator
dispatches it to the market-regulation department (YX-SCJG), where the world's handler and head
sit; the outsiders are the same roles in 民政局, another citizen and the grid worker of grid B.
Who may do what (yiwang.hotline):
* an order is seen by its caller, the 12345 centre, supervisors, the platform admin, the lead and
  assisting departments' handlers and heads, and the grid workers of its grid; to anyone else it
  does not exist (404 ``order_not_found``);
* the caller's phone is masked for everyone but the caller (the operator opens it on an audited
  reveal); departments and grid workers see the name masked too;
* an anonymous 举报's reporter is known to nobody through the order, the pages, the lists or
  Open311 — only the 12345 operator's audited reveal opens it;
* the lead department signs for, returns and replies; the 12345 centre dispatches, answers and
  calls back; supervisors supervise; photos come from the caller, the operator and the lead;
* departments keep their own knowledge articles (the 12345 centre and the platform admin any);
* Open311 reads are public and never show an anonymous report; writes need an api_key, which a
  signed-in session is not.
"""

from __future__ import annotations

from cases.authz_rows import APPLICANTS, LOGIN, STAFF_LOGIN, outside  # the rows of every app share these

#: Who sees the world's order (the caller, the centre, oversight, the lead department, its grid).
SEES_ORDER = ("citizen", "hotline_operator", "supervisor", "platform_admin", "handler", "dept_head", "grid_worker")
LEAD = ("handler", "dept_head")
DISPATCH = ("hotline_operator", "supervisor", "platform_admin")
ANALYTICS = ("hotline_operator", "supervisor", "platform_admin", "dept_head")
KB_SEARCH = ("hotline_operator", "supervisor", "handler", "dept_head", "platform_admin", "editor")
KB_EDIT = ("hotline_operator", "handler", "dept_head", "editor", "platform_admin")
CATEGORY = "MX01"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 1996
CALLER_NAME, CALLER_PHONE = "王芳", "13900139001"  # the world's citizen


# -- the world's objects ------------------------------------------------------------------------
def setup_hotline(w) -> None:
    """Grids, a category led by 市场监管局, an Open311 client and a knowledge article of 市场监管局."""
    from grid.authz_rows import setup_grids

    from yiwang.hotline import classifier, services
    from yiwang.hotline.models import Category, KnowledgeArticle

    setup_grids(w)
    if getattr(w, "hotline_ready", False):
        return
    classifier.reset()
    parent = Category.objects.create(code="MX", name="市场监管")
    Category.objects.create(code=CATEGORY, name="食品安全", parent=parent, department=w.org["dept"],
                            keywords="食品,小作坊")
    w.open311_key, w.open311_client = services.create_open311_client("矩阵测试接入方")
    w.article = KnowledgeArticle.objects.create(department=w.org["dept"], title="小作坊无证生产怎么办",
                                                answer="向区市场监管局举报。", keywords="小作坊")
    w.hotline_ready = True


def _staff(w, role):
    from yiwang.accounts.actor import staff_actor

    return staff_actor(w.user(role), otp_verified=True)


def new_order(w, *, anonymous: bool = False):
    """The citizen's complaint (or anonymous 举报) with a photo in grid A, dispatched to YX-SCJG."""
    from yiwang.accounts.actor import Actor
    from yiwang.hotline import services

    setup_hotline(w)
    order = services.create_order(
        Actor(user=w.user("citizen")), channel="api", kind="report" if anonymous else "complaint",
        text="望江路一家小作坊无证生产食品，卫生条件很差。", anonymous=anonymous, photos=[("现场.jpg", JPEG)],
        **{"lat": 32.06, "lng": 118.81})
    services.dispatch(_staff(w, "hotline_operator"), order.number, department=w.org["dept"].code, category=CATEGORY)
    return order


def setup_order(anonymous: bool = False):
    def setup(w, role):
        w.hotline_order = new_order(w, anonymous=anonymous)

    return setup


def _setup_both(w, role):
    """A public complaint and an anonymous report (Open311's lists)."""
    w.hotline_order = new_order(w)
    w.sealed_order = new_order(w, anonymous=True)


def _setup_open311_order(w, role):
    from yiwang.hotline import services

    setup_hotline(w)
    w.open311_order = services.create_order(
        None, channel="open311", kind="complaint", text="望江路路边摊占道", category=CATEGORY,
        caller_phone="13700001111", open311_client=w.open311_client, **{"lat": 32.06, "lng": 118.81})


# -- checks -------------------------------------------------------------------------------------
def _text(r) -> str:
    """The answer as a person reads it (JSON decoded: ninja escapes non-ASCII characters)."""
    if r.get("Content-Type", "").startswith("application/json"):
        import json

        return json.dumps(r.json(), ensure_ascii=False)
    return r.content.decode(errors="replace")


def _check_caller(w, role, r):
    """The caller sees their own number; everyone else sees it masked, departments and grid workers
    the name masked too."""
    text = _text(r)
    if role == "citizen":
        assert CALLER_PHONE in text, "the caller sees their own number"
        return
    assert CALLER_PHONE not in text, f"{role} must not see the caller's phone number"
    if r.status_code == 200 and role in ("handler", "dept_head", "grid_worker"):
        assert CALLER_NAME not in text, f"{role} sees the caller's name masked"


def _check_caller_api(w, role, r):
    _check_caller(w, role, r)
    if r.status_code == 200:
        caller = r.json()["caller"]
        assert caller["own"] == (role == "citizen") and caller["phone"] in (CALLER_PHONE, "139****9001")


def _check_sealed(w, role, r):
    """An anonymous report shows its reporter to nobody, not even to the reporter's own session in
    a form another could copy; the order reads 匿名举报人."""
    text = _text(r)
    assert CALLER_PHONE not in text and "9001" not in text, f"{role} sees the reporter's phone"
    if role != "citizen":  # the reporter's own pages greet them by name in the header
        assert CALLER_NAME not in text and "王*" not in text, f"{role} sees the reporter's name"
    if r.status_code == 200:
        assert "匿名举报人" in text


def _check_sealed_api(w, role, r):
    assert CALLER_PHONE not in _text(r) and CALLER_NAME not in _text(r), role
    if r.status_code == 200:
        caller = r.json()["caller"]
        assert caller["anonymous"] and caller["name"] == "匿名举报人" and caller["phone"] == ""
        assert caller["own"] == (role == "citizen")
        assert all(h["actor"] != CALLER_NAME for h in r.json()["history"])


def _check_reveal(w, role, r):
    from yiwang.core.models import AuditEvent

    events = AuditEvent.objects.filter(action="hotline.reveal_reporter", object_id=w.hotline_order.number)
    if role == "hotline_operator":
        assert r.status_code in (200,) and CALLER_PHONE in _text(r) and CALLER_NAME in _text(r)
        assert events.count() == 1 and events.get().actor_id == w.user(role).pk
    else:
        assert CALLER_PHONE not in _text(r) and not events.exists(), role


def _check_listed(w, role, r):
    if r.status_code == 200:
        assert (w.hotline_order.number in _text(r)) == (role in SEES_ORDER), role


def _check_inbox(w, role, r):
    """The lead department's handlers and head find the order in their inbox, to sign for; nobody
    else does; and nothing of the anonymous reporter is in it."""
    orders = [i for i in r.json() if i["kind"] == "work_order"]
    assert ([i["number"] for i in orders] == [w.hotline_order.number]) == (role in LEAD), (role, orders)
    assert all(i["number"] == w.hotline_order.number for i in orders), (role, orders)
    if role in LEAD:
        assert [a["action"] for a in orders[0]["actions"]] == ["accept", "return"]
    text = _text(r)
    assert CALLER_PHONE not in text and "9001" not in text and CALLER_NAME not in text and "王*" not in text, role


def _status_kept(done: int):
    def check(w, role, r):
        from yiwang.hotline.models import WorkOrder

        status = WorkOrder.objects.get(number=w.hotline_order.number).status
        signed = r.status_code == done and role != "anonymous"  # the anonymous 302 is to the login
        assert status == ("in_progress" if signed else "dispatched"), (role, status)

    return check


def _check_photos(w, role, r):
    from yiwang.hotline.models import Attachment

    count = Attachment.objects.filter(order__number=w.hotline_order.number).count()
    assert count == (2 if r.status_code == 201 else 1), (role, count)


def _check_created(w, role, r):
    from yiwang.hotline.models import WorkOrder

    if r.status_code == 201:
        order = WorkOrder.objects.get(number=r.json()["number"])
        channel = {"hotline_operator": "phone", "grid_worker": "grid", "other_grid_worker": "grid"}.get(role, "api")
        assert order.channel == channel
    else:
        assert not WorkOrder.objects.exists(), f"{role}: a refused order must create nothing"


def _check_article_created(w, role, r):
    from yiwang.hotline.models import KnowledgeArticle

    created = KnowledgeArticle.objects.exclude(pk=w.article.pk)
    if r.status_code in (201, 302) and role != "anonymous":
        assert created.get().department_id == w.unit(role).pk, "an article is filed under the author's department"
    else:
        assert not created.exists(), role


def _check_article(changed: int, department_kept: bool = False):
    def check(w, role, r):
        w.article.refresh_from_db()
        if r.status_code == changed and role != "anonymous":
            assert w.article.answer == "由区市场监管局食品安全科受理。"
        else:
            assert w.article.answer == "向区市场监管局举报。", f"{role}: a refused edit must change nothing"
        if department_kept:
            moved = w.article.department_id != w.org["dept"].pk
            assert moved == (r.status_code == changed and role != "anonymous"), role

    return check


def _check_knowledge_list(w, role, r):
    if r.status_code == 200:
        editable = role in ("hotline_operator", "platform_admin", "handler", "dept_head", "editor")
        assert (w.article.title in _text(r)) == editable, role


def _check_open311_list(w, role, r):
    numbers = {row["service_request_id"] for row in r.json()}
    assert w.hotline_order.number in numbers and w.sealed_order.number not in numbers
    assert CALLER_PHONE not in _text(r) and CALLER_NAME not in _text(r)


def _check_open311_post(created: bool):
    def check(w, role, r):
        from yiwang.hotline.models import WorkOrder

        assert WorkOrder.objects.filter(channel="open311").exists() == created, role

    return check


# -- rows ---------------------------------------------------------------------------------------
def api_rows(ApiCase, expect, only) -> dict:
    def p(path, params=None):
        return lambda w, r: (path, params)

    def order_path(suffix=""):
        return lambda w, r: (f"/api/v1/hotline/orders/{w.hotline_order.number}{suffix}", None)

    def photos(w, role):
        from django.core.files.uploadedfile import SimpleUploadedFile

        return (f"/api/v1/hotline/orders/{w.hotline_order.number}/photos",
                {"photos": [SimpleUploadedFile("p.jpg", JPEG, content_type="image/jpeg")]})

    def article(data):
        return lambda w, r: (f"/api/v1/hotline/knowledge/{w.article.pk}", data)

    authenticated = outside(expect(200, anonymous=401), 200)
    sees = outside(only(200, SEES_ORDER, others=404), 404)
    # acting on an order: the lead department signs for it; who sees it but is not the lead is
    # refused; who does not see it does not find it
    sign = outside(only(200, LEAD, others=404), 404)
    sign.update({r: 403 for r in SEES_ORDER if r not in LEAD})
    add_photos = outside(only(201, ("citizen", "hotline_operator") + LEAD, others=404), 404)
    add_photos.update(supervisor=403, platform_admin=403, grid_worker=403)  # see it; not theirs to add to
    file = outside(only(201, APPLICANTS + ("hotline_operator", "grid_worker")), 403,
                   other_citizen=201, other_grid_worker=201)
    role_only = lambda roles, ok=200, **o: outside(only(ok, roles), 403, **o)  # noqa: E731
    kb_edit = outside(only(200, KB_EDIT), 403)
    kb_move = outside(only(200, ("hotline_operator", "platform_admin")), 403)
    body = {"kind": "complaint", "text": "望江路有人占道经营食品摊", "lat": 32.06, "lng": 118.81,
            "caller_phone": "13800000000"}
    edit = {"title": "小作坊无证生产怎么办", "answer": "由区市场监管局食品安全科受理。"}

    return {
        ("POST", "/api/v1/hotline/orders"): ApiCase(
            file, p("/api/v1/hotline/orders", body), setup=lambda w, r: setup_hotline(w),
            codes={403: "action_forbidden"}, check=_check_created),
        ("GET", "/api/v1/hotline/orders"): ApiCase(
            authenticated, p("/api/v1/hotline/orders"), setup=setup_order(),
            check=lambda w, role, r: role == "anonymous" or _check_listed(w, role, r)),
        ("GET", "/api/v1/hotline/orders/{number}"): ApiCase(
            sees, order_path(), setup=setup_order(), codes={404: "order_not_found"}, check=_check_caller_api),
        ("GET", "/api/v1/hotline/orders/{number}", "an anonymous report"): ApiCase(
            sees, order_path(), setup=setup_order(anonymous=True), codes={404: "order_not_found"},
            check=_check_sealed_api),
        # the department inbox holds the order too (waiting to be signed for), for the lead only
        ("GET", "/api/v1/inbox", "a dispatched anonymous report"): ApiCase(
            authenticated, p("/api/v1/inbox"), setup=setup_order(anonymous=True),
            check=lambda w, role, r: role == "anonymous" or _check_inbox(w, role, r)),
        ("POST", "/api/v1/hotline/orders/{number}/actions"): ApiCase(
            sign, lambda w, r: (f"/api/v1/hotline/orders/{w.hotline_order.number}/actions", {"action": "accept"}),
            setup=setup_order(), codes={403: "action_forbidden", 404: "order_not_found"}, check=_status_kept(200)),
        ("POST", "/api/v1/hotline/orders/{number}/photos"): ApiCase(
            add_photos, photos, multipart=True, setup=setup_order(),
            codes={403: "action_forbidden", 404: "order_not_found"}, check=_check_photos),
        ("GET", "/api/v1/hotline/orders/{number}/duplicates"): ApiCase(
            role_only(("hotline_operator", "supervisor")), order_path("/duplicates"), setup=setup_order(),
            codes={403: "role_forbidden"}),
        # the sealed identity of an anonymous report: the 12345 operator only, audited
        ("POST", "/api/v1/hotline/orders/{number}/reveal"): ApiCase(
            role_only(("hotline_operator",)),
            lambda w, r: (f"/api/v1/hotline/orders/{w.hotline_order.number}/reveal", {"purpose": "回访举报人"}),
            setup=setup_order(anonymous=True), codes={403: "role_forbidden"}, check=_check_reveal),
        ("POST", "/api/v1/hotline/suggest"): ApiCase(
            role_only(DISPATCH), p("/api/v1/hotline/suggest", {"text": "小作坊无证生产食品"}),
            setup=lambda w, r: setup_hotline(w), codes={403: "role_forbidden"}),
        ("GET", "/api/v1/hotline/categories"): ApiCase(
            authenticated, p("/api/v1/hotline/categories"), setup=lambda w, r: setup_hotline(w),
            check=lambda w, role, r: role == "anonymous" or CATEGORY in {c["code"] for c in r.json()}),
        ("GET", "/api/v1/hotline/knowledge"): ApiCase(
            role_only(KB_SEARCH, other_handler=200, other_dept_head=200), p("/api/v1/hotline/knowledge", {"q": "小作坊"}),
            setup=lambda w, r: setup_hotline(w), codes={403: "role_forbidden"}),
        # a new article is filed under the author's own department (another department's staff
        # write into their own knowledge base)
        ("POST", "/api/v1/hotline/knowledge"): ApiCase(
            role_only(KB_EDIT, ok=201, other_handler=201, other_dept_head=201),
            p("/api/v1/hotline/knowledge", {"title": "食品摊贩需要什么证", "answer": "办理食品摊贩登记卡。"}),
            setup=lambda w, r: setup_hotline(w), codes={403: "article_forbidden"}, check=_check_article_created),
        ("PUT", "/api/v1/hotline/knowledge/{article_id}"): ApiCase(
            kb_edit, article(edit), setup=lambda w, r: setup_hotline(w), codes={403: "article_forbidden"},
            check=_check_article(200)),
        # moving an article into another department's knowledge base: the 12345 centre and the
        # platform admin only (a department edits its own articles, and only within itself)
        ("PUT", "/api/v1/hotline/knowledge/{article_id}", "moving it to another department"): ApiCase(
            kb_move, article({**edit, "department": "YX-MZ"}), setup=lambda w, r: setup_hotline(w),
            codes={403: "article_forbidden"}, check=_check_article(200, department_kept=True)),
        ("GET", "/api/v1/hotline/analytics/hot-topics"): ApiCase(
            role_only(ANALYTICS, other_dept_head=200), p("/api/v1/hotline/analytics/hot-topics"),
            setup=setup_order(), codes={403: "role_forbidden"}),
        ("GET", "/api/v1/hotline/analytics/volumes"): ApiCase(
            role_only(ANALYTICS, other_dept_head=200), p("/api/v1/hotline/analytics/volumes", {"by": "department"}),
            setup=setup_order(), codes={403: "role_forbidden"}),
        ("GET", "/api/v1/hotline/analytics/heat"): ApiCase(
            role_only(ANALYTICS, other_dept_head=200), p("/api/v1/hotline/analytics/heat"),
            setup=setup_order(), codes={403: "role_forbidden"}),
    }


def page_rows(PageCase, expect, only) -> dict:
    def page(path, data=None):
        return lambda w, r: (path, data)

    def order_page(suffix="", data=None):
        return lambda w, r: (f"/hotline/orders/{w.hotline_order.number}/{suffix}", data)

    def report(w, role):
        from django.core.files.uploadedfile import SimpleUploadedFile

        return "/hotline/report/", {"kind": "report", "anonymous": "on", "text": "望江路小作坊无证生产食品",
                                    "lat": "32.06", "lng": "118.81", "callback_preference": "sms",
                                    "photos": [SimpleUploadedFile("p.jpg", JPEG, content_type="image/jpeg")]}

    def check_report(w, role, r):
        from yiwang.hotline.models import SealedReporter, WorkOrder

        if r.status_code == 302 and role != "anonymous":
            order = WorkOrder.objects.get()
            assert order.is_anonymous and order.caller_user_id is None and order.caller_name == ""
            assert SealedReporter.objects.get(order=order).user_id == w.user(role).pk
        else:
            assert not WorkOrder.objects.exists(), role

    def check_console(w, role, r):
        from yiwang.hotline.models import WorkOrder

        assert WorkOrder.objects.filter(channel="phone").exists() == (role == "hotline_operator"), role

    def attachment(w, role):
        return f"/hotline/attachments/{w.hotline_order.attachments.get().pk}/", None

    logged_in = outside(expect(200, anonymous=302), 200)
    sees = outside(only(200, SEES_ORDER, others=404, anonymous=302), 404)
    sign = outside(only(302, LEAD, others=404, anonymous=302), 404)
    sign.update({r: 403 for r in SEES_ORDER if r not in LEAD})
    reveal = outside(only(200, ("hotline_operator",), others=404, anonymous=302), 404)
    reveal.update({r: 403 for r in SEES_ORDER if r != "hotline_operator"})
    operator = outside(only(200, ("hotline_operator",), anonymous=302), 403)
    applicants = outside(only(200, APPLICANTS, anonymous=302), 403, other_citizen=200)
    kb = outside(only(200, KB_EDIT, anonymous=302), 403, other_handler=200, other_dept_head=200)
    kb_saved = outside(only(302, KB_EDIT, anonymous=302), 403, other_handler=302, other_dept_head=302)
    kb_own = outside(only(200, KB_EDIT, anonymous=302), 403, other_handler=404, other_dept_head=404)
    kb_own_saved = outside(only(302, KB_EDIT, anonymous=302), 403, other_handler=404, other_dept_head=404)
    analytics = outside(only(200, ANALYTICS, anonymous=302), 403, other_dept_head=200)
    public = outside(expect(200), 200)
    article_form = {"title": "小作坊无证生产怎么办", "answer": "由区市场监管局食品安全科受理。", "is_published": "on"}

    rows = {
        "hotline-console": PageCase("GET", operator, page("/hotline/console/"), redirects=STAFF_LOGIN),
        "hotline-console#post": PageCase(
            "POST", outside(only(302, ("hotline_operator",), anonymous=302), 403),
            page("/hotline/console/", {"intent": "register", "caller_phone": "13800000000", "kind": "help",
                                       "urgency": "normal", "callback_preference": "phone",
                                       "text": "家里停水两天了"}),
            setup=lambda w, r: setup_hotline(w), redirects={**STAFF_LOGIN, "hotline_operator": "/hotline/orders/GD"},
            check=check_console),
        "hotline-console-assist": PageCase("GET", operator, page("/hotline/console/assist/", {"text": "小作坊无证生产"}),
                                           setup=lambda w, r: setup_hotline(w), redirects=STAFF_LOGIN),
        "hotline-orders": PageCase("GET", logged_in, page("/hotline/orders/", {"queue": "all"}),
                                   setup=setup_order(), redirects=LOGIN, check=_check_listed),
        "hotline-order": PageCase("GET", sees, order_page(), setup=setup_order(), redirects=LOGIN,
                                  check=_check_caller),
        "hotline-order#anonymous-report": PageCase("GET", sees, order_page(), setup=setup_order(anonymous=True),
                                                   redirects=LOGIN, check=_check_sealed),
        "hotline-order-action": PageCase("POST", sign, order_page("act/", {"action": "accept"}), setup=setup_order(),
                                         redirects=LOGIN, check=_status_kept(302)),
        # the page's reveal of an anonymous reporter: the operator only (everyone else who sees the
        # order is refused, the rest do not find it)
        "hotline-order-action#reveal": PageCase("POST", reveal, order_page("act/", {"action": "reveal",
                                                                                   "purpose": "回访举报人"}),
                                                setup=setup_order(anonymous=True), redirects=LOGIN,
                                                check=_check_reveal),
        "hotline-attachment": PageCase("GET", sees, attachment, setup=setup_order(), redirects=LOGIN),
        "hotline-report": PageCase("GET", applicants, page("/hotline/report/"), redirects=LOGIN),
        "hotline-report#post": PageCase("POST", outside(only(302, APPLICANTS, anonymous=302), 403, other_citizen=302),
                                        report, setup=lambda w, r: setup_hotline(w),
                                        redirects={**LOGIN, **{r: "/hotline/orders/GD" for r in
                                                               APPLICANTS + ("other_citizen",)}},
                                        check=check_report),
        "hotline-knowledge": PageCase("GET", kb, page("/hotline/knowledge/"), setup=lambda w, r: setup_hotline(w),
                                      redirects=STAFF_LOGIN, check=_check_knowledge_list),
        "hotline-knowledge-new": PageCase("GET", kb, page("/hotline/knowledge/new/"), redirects=STAFF_LOGIN),
        "hotline-knowledge-new#post": PageCase("POST", kb_saved, page("/hotline/knowledge/new/", article_form),
                                               setup=lambda w, r: setup_hotline(w), redirects=STAFF_LOGIN,
                                               check=_check_article_created),
        "hotline-knowledge-edit": PageCase("GET", kb_own, lambda w, r: (f"/hotline/knowledge/{w.article.pk}/edit/",
                                                                        None),
                                           setup=lambda w, r: setup_hotline(w), redirects=STAFF_LOGIN),
        "hotline-knowledge-edit#post": PageCase(
            "POST", kb_own_saved, lambda w, r: (f"/hotline/knowledge/{w.article.pk}/edit/", article_form),
            setup=lambda w, r: setup_hotline(w), redirects=STAFF_LOGIN, check=_check_article(302)),
        "hotline-analytics": PageCase("GET", analytics, page("/hotline/analytics/"), setup=setup_order(),
                                      redirects=STAFF_LOGIN),
    }

    # -- Open311 GeoReport v2: public reads, api_key writes; the signed-in session changes nothing
    def open311_post(with_key: bool):
        def request(w, role):
            data = {"service_code": CATEGORY, "description": "望江路路边摊占道经营", "lat": "32.06", "long": "118.81"}
            if with_key:
                data["api_key"] = w.open311_key
            return "/open311/v2/requests.json", data

        return request

    rows.update({
        "open311-discovery": PageCase("GET", public, page("/open311/v2/discovery.json")),
        "open311-services": PageCase("GET", public, page("/open311/v2/services.json"),
                                     setup=lambda w, r: setup_hotline(w),
                                     check=lambda w, role, r: CATEGORY in _text(r)),
        "open311-service": PageCase("GET", public, page(f"/open311/v2/services/{CATEGORY}.json"),
                                    setup=lambda w, r: setup_hotline(w)),
        "open311-requests": PageCase("GET", public, page("/open311/v2/requests.json"), setup=_setup_both,
                                     check=_check_open311_list),
        "open311-requests#post": PageCase("POST", outside(expect(403), 403), open311_post(False),
                                          setup=lambda w, r: setup_hotline(w), check=_check_open311_post(False)),
        "open311-requests#post-with-key": PageCase("POST", public, open311_post(True),
                                                   setup=lambda w, r: setup_hotline(w),
                                                   check=_check_open311_post(True)),
        "open311-request": PageCase("GET", public,
                                    lambda w, r: (f"/open311/v2/requests/{w.hotline_order.number}.json", None),
                                    setup=setup_order(), check=lambda w, role, r: CALLER_PHONE not in _text(r)),
        "open311-request#anonymous-report": PageCase(
            "GET", outside(expect(404), 404),
            lambda w, r: (f"/open311/v2/requests/{w.hotline_order.number}.json", None),
            setup=setup_order(anonymous=True), check=_check_sealed),
        "open311-token": PageCase("GET", public,
                                  lambda w, r: (f"/open311/v2/tokens/{w.open311_order.open311_token}.json", None),
                                  setup=_setup_open311_order,
                                  check=lambda w, role, r: w.open311_order.number in _text(r)),
        "open311-not-found": PageCase("GET", outside(expect(404), 404), page("/open311/v2/nothing/here.json")),
    })
    return rows
