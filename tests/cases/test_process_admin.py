"""The platform admin replaces a process model and binds items to processes in the admin (/admin/):
a model that cannot run is refused with the reason and nothing is stored; a new version applies to
new cases; a binding to a process or department that does not exist is refused."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from yiwang.cases.models import Case, ProcessBinding, ProcessModel
from yiwang.core.models import AuditEvent

from .test_process_models import STRICT, chain, lane, model

pytestmark = pytest.mark.django_db

ADD_MODEL = "/admin/cases/processmodel/add/"
ADD_BINDING = "/admin/cases/processbinding/add/"


def admin_client(flow, who="admin") -> Client:
    """The person signed in with their second factor, allowed into /admin/ (is_staff)."""
    user = flow.user(who)
    user.is_staff = user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    client = Client()
    client.force_login(user, backend="yiwang.accounts.backends.IdentityBackend")
    session = client.session
    session["otp_device_id"] = user.device.persistent_id
    session.save()
    return client


def bpmn(xml: str, name="strict.bpmn"):
    return SimpleUploadedFile(name, xml.encode(), content_type="application/xml")


def test_the_platform_admin_uploads_a_new_version_that_new_cases_run(flow):
    client = admin_client(flow)
    page = client.get(ADD_MODEL)
    assert page.status_code == 200 and 'name="bpmn_file"' in page.content.decode()
    running = flow.drive(flow.submit(flow.item()), "in_review")
    r = client.post(ADD_MODEL, {"key": "promised", "bpmn_file": bpmn(STRICT)})
    assert r.status_code == 302, r.content.decode()[:2000]
    active = ProcessModel.objects.get(key="promised", is_active=True)
    assert (active.version, active.uploaded_by, active.lane_roles["legal_review"]) == (2, flow.user("admin"), "reviewer")
    assert AuditEvent.objects.filter(action="process_model.uploaded").exists()
    # the list shows both versions; a version cannot be edited or deleted
    listing = client.get("/admin/cases/processmodel/").content.decode()
    assert listing.count("promised") >= 2
    assert client.post(f"/admin/cases/processmodel/{active.pk}/delete/", {"post": "yes"}).status_code == 403
    assert ProcessModel.objects.filter(pk=active.pk).exists()
    # a new case runs the new version; the running one stays on version 1
    newer = flow.drive(flow.submit(flow.item()), "in_review")
    assert newer.process_model_id == active.pk
    assert Case.objects.get(pk=running.pk).process_model.version == 1


@pytest.mark.parametrize(("xml", "says"), [
    ("<bpmn:definitions", "不是有效的 XML"),
    (model(chain("review", "decide"), lane("reviewer", "review")), "不在任何泳道中"),
    (model(chain("review", "decide"), lane("reviewer", "review") + lane("janitor", "decide")), "不是平台的工作人员角色"),
])
def test_a_model_that_cannot_run_is_refused_with_the_reason(flow, xml, says):
    client = admin_client(flow)
    r = client.post(ADD_MODEL, {"key": "promised", "bpmn_file": bpmn(xml)})
    assert r.status_code == 200 and says in r.content.decode()
    assert not ProcessModel.objects.filter(uploaded_by__isnull=False).exists()


def test_only_the_platform_admin_role_uploads(flow):
    """A department head with is_staff is not let in to upload (the admin is the platform admin's)."""
    client = admin_client(flow, "head")
    r = client.post(ADD_MODEL, {"key": "promised", "bpmn_file": bpmn(STRICT)})
    assert r.status_code in (302, 403)
    assert not ProcessModel.objects.filter(uploaded_by__isnull=False).exists()


def test_binding_an_item_to_parallel_approval(flow):
    client = admin_client(flow)
    item = flow.item()
    r = client.post(ADD_BINDING, {"item_code": item.code, "process_key": "parallel",
                                  "departments": f'["{flow.other_dept.code}"]'})
    assert r.status_code == 302, r.content.decode()[:2000]
    assert ProcessBinding.objects.get(item_code=item.code).departments == [flow.other_dept.code]
    case = flow.drive(flow.submit(item), "in_review")
    assert case.process_model.key == "parallel"
    assert sorted(t.department.code for t in flow.open_tasks(case)) == sorted([flow.dept.code, flow.other_dept.code])


@pytest.mark.parametrize(("field", "value", "says"), [
    ("process_key", "no-such-process", "流程不存在"),
    ("departments", '["NO-SUCH-DEPT"]', "部门不存在或已停用：NO-SUCH-DEPT"),
    ("departments", '{"a": 1}', "请填写部门编码的列表"),
    ("item_code", "NOPE", "事项实施编码不存在"),
])
def test_a_binding_to_what_does_not_exist_is_refused(flow, field, value, says):
    client = admin_client(flow)
    data = {"item_code": flow.item().code, "process_key": "parallel", "departments": "[]", field: value}
    r = client.post(ADD_BINDING, data)
    assert r.status_code == 200 and says in r.content.decode()
    assert not ProcessBinding.objects.exists()
