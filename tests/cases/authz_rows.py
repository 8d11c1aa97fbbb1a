"""Rows of the authorization matrix (tests/authz/test_matrix.py) for cases: the cases and inbox API
operations and the pages of yiwang.cases.urls (applying, 我的办件, the case page, the department
workbench, the counter). The matrix owns the harness; plug these in after its tables are defined::

    from cases.authz_rows import api_rows, page_rows  # noqa: E402
    API.update(api_rows(ApiCase, expect, only))
    HTML_CASES.update(page_rows(PageCase, expect, only))

The world's staff sit in the market-regulation department (YX-SCJG), the clerk at the district
centre; the case is the world's citizen's, filed under an item of YX-SCJG. Who may do what
(yiwang.cases.selectors / services):
* applicants (a citizen, an enterprise's agent) apply, upload materials and see and act on their
  own cases only; another applicant gets 404 (a case's existence is not confirmed);
* the front desk (clerk) accepts for every department; the implementing department's reviewer or
  head accepts, reviews and decides; its other roles read; hotline operators and oversight read;
* the same roles in another department (民政局), a grid worker and anyone without a department
  get 404 for the case and for its tasks;
* the workbench is the reviewers' and heads' (each sees only their department's tasks), the
  counter the clerks'.
Every row also names the outsiders (tests/authz/conftest.py ``OUTSIDERS``).
"""

from __future__ import annotations

ROLES_ALL = ["anonymous", "citizen", "enterprise_agent", "clerk", "reviewer", "dept_head", "hotline_operator",
             "handler", "grid_worker", "supervisor", "data_steward", "editor", "platform_admin"]
OUTSIDERS = ["other_citizen", "other_reviewer", "other_handler", "other_dept_head", "other_grid_worker"]
APPLICANTS = ("citizen", "enterprise_agent")
LOGIN = {"anonymous": "/accounts/login/?next="}
STAFF_LOGIN = {"anonymous": "/accounts/login/staff/?next="}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def outside(table: dict, default: int, **overrides: int) -> dict:
    """``table`` with every outsider: ``default`` unless overridden."""
    out = {**table, **{o: default for o in OUTSIDERS}}
    for name, status in overrides.items():
        assert name in OUTSIDERS, name
        out[name] = status
    return out


# -- the world's objects ------------------------------------------------------------------------
def item(w):
    """A published item (and a bundle of it) of the market-regulation department, no materials."""
    if getattr(w, "cases_item", None) is None:
        from yiwang.catalog.models import Bundle, BundleItem, ItemVersion, ServiceItem

        it = ServiceItem.objects.create(code="11329002MATRIX01", basic_code="00019999", department=w.org["dept"],
                                        name="食品经营许可")
        version = ItemVersion.objects.create(
            item=it, number=1, status="review", name="食品经营许可", item_type="01", basic_code=it.basic_code,
            legal_basis="《中华人民共和国食品安全法》", acceptance_conditions="具备条件", service_objects="1,2",
            statutory_limit_days=20, promised_limit_days=10, case_type="2", visits=0, online_depth=4,
            handling_place="云溪区政务服务中心", handling_hours="工作日", consultation="12345", complaint="12345",
            result_type="1", result_name="食品经营许可证",
            form_schema={"type": "object", "properties": {"shop_name": {"type": "string", "title": "店铺名称"}},
                         "required": ["shop_name"]})
        ItemVersion.objects.filter(pk=version.pk).update(status="published")
        it.current = ItemVersion.objects.get(pk=version.pk)
        it.save()
        bundle = Bundle.objects.create(code="matrix-bundle", name="我要开店", life_event="startup",
                                       department=w.org["dept"], status="published")
        BundleItem.objects.create(bundle=bundle, item=it, order=1)
        w.cases_item = it
    return w.cases_item


def setup_case(state: str):
    """A case of the world's citizen in ``state``: submitted, correction, accepted (in review, with
    its review task open) or awaiting_payment."""

    def setup(w, role):
        from yiwang.accounts.actor import Actor, staff_actor
        from yiwang.cases import services
        from yiwang.cases.models import Case

        case, _ = services.submit(Actor(user=w.user("citizen")), item_code=item(w).code,
                                  form={"shop_name": "望江小吃店"}, idempotency_key="matrix")
        clerk = staff_actor(w.user("clerk"))
        if state == "correction":
            services.request_correction(clerk, case.number, ["经营场所平面图"])
        elif state in ("accepted", "awaiting_payment"):
            services.accept(clerk, case.number)
        if state == "awaiting_payment":
            Case.objects.filter(pk=case.pk).update(status="awaiting_payment", fee_amount=50)
        w.cases_number = case.number

    return setup


def _review_task(w):
    from yiwang.cases.models import CaseTask

    return CaseTask.objects.get(case__number=w.cases_number, step="review")


def _case_page(suffix: str = "", data: dict | None = None):
    return lambda w, r: (f"/cases/{w.cases_number}/{suffix}", data)


def _page(path: str, data: dict | None = None):
    return lambda w, r: (path, data)


# -- checks -------------------------------------------------------------------------------------
def _status_kept(expected_status: str, done: int):
    """Only an allowed request (answer ``done``) moves the case; a refused one leaves it as it was."""

    def check(w, role, r):
        from yiwang.cases.models import Case

        if r.status_code != done or role == "anonymous":  # the anonymous 302 is to the login page
            assert Case.objects.get(number=w.cases_number).status == expected_status, role

    return check


def _pdf(w, role, r):
    if r.status_code == 200:
        assert r["Content-Type"] == "application/pdf" and r.content.startswith(b"%PDF")


def _no_personal_numbers(w, role, r):
    """Whoever sees the case sees the applicant's name, never their ID number or phone."""
    import json

    citizen = w.user("citizen")
    text = (json.dumps(r.json(), ensure_ascii=False) if r.get("Content-Type", "").startswith("application/json")
            else r.content.decode(errors="replace"))
    assert citizen.id_number not in text and citizen.phone not in text, role


def _check_case_api(w, role, r):
    _no_personal_numbers(w, role, r)
    if r.status_code == 200:
        body = r.json()
        assert body["number"] == w.cases_number and body["applicant"] == "王芳"


def _check_submitted(w, role, r):
    from yiwang.cases.models import Case

    if r.status_code == 201:
        case = Case.objects.get(number=r.json()["number"])
        assert case.applicant_id == w.user(role).pk
        assert (case.enterprise_id is not None) == (role == "enterprise_agent")
    else:
        assert not Case.objects.exists(), f"{role}: a refused submission must create nothing"


def _check_upload(w, role, r):
    from yiwang.cases.models import CaseMaterial

    stored = CaseMaterial.objects.filter(case__isnull=True)
    if r.status_code == 201:
        assert list(stored.values_list("uploaded_by", flat=True)) == [w.user(role).pk]
    else:
        assert not stored.exists(), f"{role}: a refused upload must store nothing"


def _check_inbox(w, role, r):
    numbers = {t["case_number"] for t in r.json()}
    assert (w.cases_number in numbers) == (role in ("reviewer", "dept_head")), (role, numbers)


def _check_claim(w, role, r):
    task = _review_task(w)
    if r.status_code == 200:
        assert task.claimed_by_id == w.user(role).pk and r.json()["claimed_by"]
    else:
        assert task.claimed_by_id is None, f"{role}: a refused claim must leave the task open"


def _check_mine(w, role, r):
    if r.status_code == 200:
        assert (w.cases_number in r.content.decode()) == (role == "citizen"), role


def _check_work(w, role, r):
    """Each department's workbench lists its own tasks and acceptance queue only."""
    if r.status_code == 200:
        assert (w.cases_number in r.content.decode()) == (role in ("reviewer", "dept_head")), role


def _check_counter_citizen(w, role, r):
    from yiwang.core.models import AuditEvent

    identified = AuditEvent.objects.filter(action="counter.applicant_identified", object_id=str(w.subject.pk))
    assert identified.exists() == (role == "clerk"), role


# -- expectations -------------------------------------------------------------------------------
#: Who sees a case the citizen submitted: the applicant, the front desk (it waits for acceptance),
#: the implementing department's staff, the hotline (by number) and oversight; not another
#: applicant, nor a grid worker, nor another department.
def _case_view(expect, seen: int, anonymous: int) -> dict:
    return outside(expect(seen, anonymous=anonymous, enterprise_agent=404, grid_worker=404), 404)


def api_rows(ApiCase, expect, only) -> dict:
    applicants = outside(only(201, APPLICANTS), 403, other_citizen=201)

    def _submit(w, role):
        return "/api/v1/cases", {"item_code": item(w).code, "form": {"shop_name": "望江小吃店"}}

    def _upload(w, role):
        from django.core.files.uploadedfile import SimpleUploadedFile

        return "/api/v1/cases/uploads", {"file": SimpleUploadedFile("申请书.pdf", PDF, content_type="application/pdf"),
                                         "key": "application_form"}

    # 受理 over the API: the front desk or the implementing department's reviewer or head; those
    # who can see the case but not accept it are refused (403), the rest do not find it (404)
    accept = outside(expect(403, anonymous=401, clerk=200, reviewer=200, dept_head=200, enterprise_agent=404,
                            grid_worker=404), 404)
    # claiming a task: the department's reviewer (the task's role) or head; the department's other
    # roles are refused; whoever is not in the department does not find the task
    claim = outside(expect(403, anonymous=401, reviewer=200, dept_head=200, citizen=404, enterprise_agent=404,
                           clerk=404), 404)
    return {
        ("POST", "/api/v1/cases"): ApiCase(
            applicants, _submit, setup=lambda w, r: item(w), headers=lambda w, r: {"Idempotency-Key": f"mx-{r}"},
            codes={403: "applicant_only"}, check=_check_submitted),
        ("POST", "/api/v1/cases/uploads"): ApiCase(
            applicants, _upload, multipart=True, codes={403: "applicant_only"}, check=_check_upload,
            notes="materials are the applicant's: staff file at the counter as the identified citizen"),
        ("GET", "/api/v1/cases/{number}"): ApiCase(
            _case_view(expect, 200, 401), lambda w, r: (f"/api/v1/cases/{w.cases_number}", None),
            setup=setup_case("submitted"), codes={404: "case_not_found"}, check=_check_case_api),
        ("POST", "/api/v1/cases/{number}/actions"): ApiCase(
            accept, lambda w, r: (f"/api/v1/cases/{w.cases_number}/actions", {"action": "accept"}),
            setup=setup_case("submitted"), codes={403: "action_forbidden", 404: "case_not_found"},
            check=_status_kept("submitted", 200)),
        ("GET", "/api/v1/inbox"): ApiCase(
            outside(expect(200, anonymous=401), 200), lambda w, r: ("/api/v1/inbox", None),
            setup=setup_case("accepted"), check=lambda w, role, r: role == "anonymous" or _check_inbox(w, role, r)),
        ("POST", "/api/v1/inbox/{task_id}"): ApiCase(
            claim, lambda w, r: (f"/api/v1/inbox/{_review_task(w).pk}", {"action": "claim"}),
            setup=setup_case("accepted"), codes={403: "action_forbidden", 404: "task_not_found"},
            check=_check_claim),
    }


def page_rows(PageCase, expect, only) -> dict:
    case_view = _case_view(expect, 200, 302)
    applicant_page = outside(only(200, APPLICANTS, anonymous=302), 403, other_citizen=200)
    # applicant-only actions on a case: 302 done, 403 for staff who can see it, 404 for who cannot
    applicant_action = outside(expect(403, anonymous=302, citizen=302, enterprise_agent=404, grid_worker=404), 404)
    clerk_only = outside(only(200, ("clerk",), anonymous=302), 403)
    clerk_post = outside(only(302, ("clerk",), anonymous=302), 403)
    public = outside(expect(200), 200)

    return {
        "cases-apply": PageCase("GET", applicant_page, lambda w, r: (f"/cases/apply/{item(w).code}/", None),
                                redirects=LOGIN),
        "cases-apply-bundle": PageCase("GET", applicant_page, _page("/cases/apply/bundle/matrix-bundle/"),
                                       setup=lambda w, r: item(w), redirects=LOGIN),
        "cases-mine": PageCase("GET", applicant_page, _page("/cases/mine/"), setup=setup_case("submitted"),
                               redirects=LOGIN, check=_check_mine),
        "cases-detail": PageCase("GET", case_view, _case_page(), setup=setup_case("submitted"), redirects=LOGIN,
                                 check=_no_personal_numbers),
        "cases-submitted": PageCase("GET", case_view, _case_page("submitted/"), setup=setup_case("submitted"),
                                    redirects=LOGIN),
        "cases-receipt": PageCase("GET", case_view, _case_page("receipt.pdf"), setup=setup_case("submitted"),
                                  redirects=LOGIN, check=_pdf),
        "cases-notice": PageCase("GET", case_view, _case_page("notice.pdf"), setup=setup_case("correction"),
                                 redirects=LOGIN, check=_pdf),
        "cases-process": PageCase("GET", case_view, _case_page("process.bpmn"), setup=setup_case("accepted"),
                                  redirects=LOGIN),
        # 受理: the front desk or the implementing department; others who can see the case are refused
        "cases-act": PageCase("POST", outside(expect(403, anonymous=302, enterprise_agent=404, grid_worker=404,
                                                     clerk=302, reviewer=302, dept_head=302), 404),
                              _case_page("act/", {"action": "accept"}), setup=setup_case("submitted"),
                              redirects=LOGIN, check=_status_kept("submitted", 302)),
        "cases-resubmit": PageCase("POST", applicant_action, _case_page("resubmit/", {"confirm": "1"}),
                                   setup=setup_case("correction"), redirects=LOGIN,
                                   check=_status_kept("correction", 302)),
        "cases-pay": PageCase("POST", applicant_action, _case_page("pay/"), setup=setup_case("awaiting_payment"),
                              redirects=LOGIN, check=_status_kept("awaiting_payment", 302)),
        # the workbench: reviewers and heads, each of their own department's tasks
        "work": PageCase("GET", outside(only(200, ("reviewer", "dept_head"), anonymous=302), 403,
                                        other_reviewer=200, other_dept_head=200),
                         _page("/work/"), setup=setup_case("accepted"), redirects=STAFF_LOGIN, check=_check_work),
        "work-task": PageCase("POST", outside(only(302, ("reviewer", "dept_head"), anonymous=302), 403,
                                              other_reviewer=404, other_dept_head=404),
                              lambda w, r: (f"/work/tasks/{_review_task(w).pk}/", {"action": "claim"}),
                              setup=setup_case("accepted"), redirects=STAFF_LOGIN,
                              check=lambda w, role, r: r.status_code == 302 or _check_claim(w, role, r)),
        "counter": PageCase("GET", clerk_only, _page("/counter/"), redirects=STAFF_LOGIN),
        "counter-seat": PageCase("POST", clerk_post, lambda w, r: ("/counter/seat/", {"counter": w.org["counter"].pk}),
                                 redirects=STAFF_LOGIN),
        "counter-queue": PageCase("POST", clerk_post, _page("/counter/queue/", {"action": "call"}),
                                  redirects=STAFF_LOGIN),
        "counter-citizen": PageCase("POST", clerk_post,
                                    lambda w, r: ("/counter/citizen/", {"id_number": w.subject.id_number}),
                                    redirects=STAFF_LOGIN, check=_check_counter_citizen),
        # without an identified citizen the clerk is sent back to the counter page
        "counter-apply": PageCase("GET", clerk_post, lambda w, r: (f"/counter/apply/{item(w).code}/", None),
                                  redirects={**STAFF_LOGIN, "clerk": "/counter/"}),
        "counter-kiosk": PageCase("GET", public, _page("/counter/YX-ZWFW/take/")),
        "counter-screen": PageCase("GET", public, _page("/counter/YX-ZWFW/screen/")),
    }
