"""An anonymous report (匿名举报) keeps its reporter's identity from every department, through every
way they could look: the API, the pages, the order list, the map data, the history and the audit
trail (whose events a supervisor reads in full and a department head reads for their department).

The reporter files, adds a photo and rates the reply themselves, over real HTTP requests, so the
per-request audit context (user, IP, request id) is in play exactly as in production."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from yiwang.hotline import services
from yiwang.hotline.models import Event, Status, WorkOrder

from .conftest import jpeg
from .test_pages import signed_in
from .world import INSIDE

REPORTER_IP = "203.0.113.77"


def _bearer(user):
    from yiwang.accounts.services import issue_token

    return {"Authorization": f"Bearer {issue_token(user)[0]}"}


@pytest.fixture
def report(people):
    """An anonymous 举报 filed on the portal with a photo, dispatched to 城管 with 住建 assisting,
    replied, rated 不满意 by the reporter on the order page (reopened), replied again with more
    photos from the reporter in between, and rated 满意 over the API (closed)."""
    citizen = people.users.citizen
    web = signed_in(citizen)
    r = web.post("/hotline/report/", {
        "kind": "report", "text": "翠屏路 9 号一家小作坊无证生产豆制品，卫生条件很差。", "anonymous": "on",
        "callback_preference": "sms", "lat": str(INSIDE["lat"]), "lng": str(INSIDE["lng"]),
        "photos": [SimpleUploadedFile("a.jpg", jpeg(), content_type="image/jpeg")]}, REMOTE_ADDR=REPORTER_IP)
    assert r.status_code == 302, r.content.decode()[:2000]
    order = WorkOrder.objects.get()
    number = order.number
    services.dispatch(people.operator, number, department="YX-CG", category="SC03", assisting=["YX-ZJ"])
    services.accept(people.cg, number)
    services.reply(people.cg, number, "已到现场检查，责令停产。")
    r = web.post(f"/hotline/orders/{number}/act/", {"action": "rate", "result": "unsatisfied", "resolved": "no",
                                                     "note": "晚上还在偷偷生产"}, REMOTE_ADDR=REPORTER_IP)
    assert r.status_code == 302 and WorkOrder.objects.get(pk=order.pk).status == Status.IN_PROGRESS
    api = Client()
    r = api.post(f"/api/v1/hotline/orders/{number}/photos",
                 {"photos": [SimpleUploadedFile("night.jpg", jpeg(), content_type="image/jpeg")]},
                 headers=_bearer(citizen), REMOTE_ADDR=REPORTER_IP)
    assert r.status_code == 201, r.content
    services.reply(people.cg, number, "联合市场监管夜查，已查封设备。")
    r = api.post(f"/api/v1/hotline/orders/{number}/actions", {"action": "rate", "result": "satisfied",
                                                              "resolved": True},
                 content_type="application/json", headers=_bearer(citizen), REMOTE_ADDR=REPORTER_IP)
    assert r.status_code == 200 and r.json()["status"] == "closed", r.content
    return order, people.users.cg_head


def _identity(user) -> list[str]:
    return [user.name, user.name[0] + "*", user.phone, user.phone[-4:] + "<", "****" + user.phone[-4:],
            user.id_number, user.username]


def _assert_clean(text: str, citizen, where: str) -> None:
    for needle in _identity(citizen):
        assert needle not in text, f"{where} shows {needle!r} of the anonymous reporter"


def test_the_reporter_follows_their_own_report(people, report):
    order, _head = report
    r = Client().get(f"/api/v1/hotline/orders/{order.number}", headers=_bearer(people.users.citizen))
    assert r.status_code == 200 and r.json()["status"] == "closed" and r.json()["caller"]["own"]


@pytest.mark.parametrize("who", ["cg", "cg_head", "zj", "supervisor", "worker"])
def test_no_department_sees_who_reported(people, report, who):
    order, head = report
    user = head if who == "cg_head" else getattr(people.users, who)
    citizen = people.users.citizen
    n = order.number
    api = Client()
    detail = api.get(f"/api/v1/hotline/orders/{n}", headers=_bearer(user))
    assert detail.status_code == 200, (who, detail.content)
    _assert_clean(detail.content.decode(), citizen, f"{who}: API detail")
    body = detail.json()
    assert body["caller"]["anonymous"] and body["caller"]["name"] == "匿名举报人"
    assert {h["actor"] for h in body["history"] if h["action"] in ("create", "callback", "attach", "reopen",
                                                                      "close")} <= {"匿名举报人", "系统", "回访满意",
                                                                                    "回访不满意"}
    _assert_clean(api.get("/api/v1/hotline/orders", headers=_bearer(user)).content.decode(), citizen,
                  f"{who}: API list")
    web = signed_in(user)
    for path in (f"/hotline/orders/{n}/", "/hotline/orders/?queue=all", "/grid/map/orders.json"):
        r = web.get(path)
        assert r.status_code == 200, (who, path, r.status_code)
        _assert_clean(r.content.decode(), citizen, f"{who}: {path}")


@pytest.mark.parametrize("who", ["supervisor", "cg_head"])
def test_the_audit_trail_does_not_name_or_trace_the_reporter(people, report, who):
    from yiwang.core.models import AuditEvent

    order, head = report
    citizen = people.users.citizen
    user = head if who == "cg_head" else people.users.supervisor
    r = Client().get("/api/v1/audit/events", {"limit": 500}, headers=_bearer(user))
    assert r.status_code == 200, r.content
    _assert_clean(r.content.decode(), citizen, f"{who}: audit events")
    # the events of this order: none by the reporter's account, and those the reporter caused carry
    # nothing that ties them to the reporter's other requests (address, request id)
    events = list(AuditEvent.objects.filter(object_id=order.number))
    assert {e.action for e in events} >= {"hotline.create", "hotline.attach", "hotline.callback", "hotline.reopen",
                                          "hotline.close"}
    assert not [e.action for e in events if e.actor_id == citizen.pk]
    assert not [e.action for e in events if e.ip == REPORTER_IP]
    sealed = [e for e in events if e.actor_label == "匿名举报人"]
    assert {e.action for e in sealed} >= {"hotline.create", "hotline.attach", "hotline.callback"}
    assert all(e.request_id == "" and e.role in ("", "reporter") for e in sealed)
    # nor can any other event of those requests be joined to them
    for e in AuditEvent.objects.filter(actor_id=citizen.pk):
        assert order.number not in json.dumps([e.object_id, e.data], ensure_ascii=False), e.action


def test_the_order_history_never_records_the_reporter(people, report):
    order, _head = report
    citizen = people.users.citizen
    rows = list(Event.objects.filter(order=order))
    assert not [e.action for e in rows if e.actor_id == citizen.pk]
    assert not [e.action for e in rows if e.role in ("citizen", "enterprise_agent")]
    for e in rows:
        _assert_clean(f"{e.actor_label} {e.note} {json.dumps(e.data, ensure_ascii=False)}", citizen,
                      f"event {e.action}")
    assert all(a.uploaded_by_id is None for a in order.attachments.all())
    ratings = list(order.callbacks.all())
    assert len(ratings) == 2 and all(c.by_caller and c.by_id is None for c in ratings)


def test_a_phone_report_is_sealed_too_and_only_the_centre_opens_it(people, report):
    order, head = report
    call = services.create_order(people.operator, channel="phone", kind="report", anonymous=True,
                                 text="举报某网吧接纳未成年人上网。", caller_name="赵敏", caller_phone="13700007777",
                                 **INSIDE)
    services.dispatch(people.operator, call.number, department="YX-CG", category="SC03")
    for user in (people.users.cg, head, people.users.supervisor):
        r = Client().get(f"/api/v1/hotline/orders/{call.number}", headers=_bearer(user))
        assert r.status_code == 200 and "赵敏" not in r.content.decode() and "7777" not in r.content.decode()
        r = Client().post(f"/api/v1/hotline/orders/{call.number}/reveal", {"purpose": "核实"},
                          content_type="application/json", headers=_bearer(user))
        assert r.status_code == 403
    r = Client().post(f"/api/v1/hotline/orders/{call.number}/reveal", {"purpose": "回访举报人"},
                      content_type="application/json", headers=_bearer(people.users.operator))
    assert r.status_code == 200 and r.json() == {"name": "赵敏", "phone": "13700007777"}


def _photo(fmt: str) -> bytes:
    """A small photo in ``fmt`` whose metadata names its owner (Exif Artist; a PNG text chunk)."""
    import io

    from PIL import Image, PngImagePlugin

    image = Image.new("RGB", (24, 16), (200, 30, 30))
    exif = Image.Exif()
    exif[0x013B] = "Wang Xiuying 13900001111"  # Artist
    exif[0x010F] = "PhoneMaker"  # Make
    buffer = io.BytesIO()
    if fmt == "PNG":
        info = PngImagePlugin.PngInfo()
        info.add_text("Author", "Wang Xiuying 13900001111")
        image.save(buffer, format="PNG", pnginfo=info, exif=exif)
    else:
        image.save(buffer, format=fmt, exif=exif, **({"quality": 95} if fmt == "JPEG" else {"lossless": True}))
    return buffer.getvalue()


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_an_anonymous_reporters_photos_lose_their_metadata_and_name(people, fmt):
    import io

    from PIL import Image

    original = _photo(fmt)
    assert b"Wang Xiuying" in original
    anonymous = services.create_order(people.citizen, channel="web", kind="report", anonymous=True,
                                      text="举报无证经营", photos=[("王秀英家门口.jpg", original)], **INSIDE)
    named = services.create_order(people.citizen, channel="web", kind="report", text="举报无证经营",
                                  photos=[("王秀英家门口.jpg", original)], **INSIDE)
    stored = anonymous.attachments.get()
    data = stored.file.open("rb").read()
    assert b"Wang Xiuying" not in data and b"PhoneMaker" not in data and stored.name == "photo"
    assert stored.size == len(data) and stored.sha256 != named.attachments.get().sha256
    with Image.open(io.BytesIO(data)) as clean, Image.open(io.BytesIO(original)) as before:
        assert clean.format == fmt and clean.size == (24, 16) and not clean.getexif()
        if fmt == "JPEG":  # not re-encoded: the compressed image data is byte for byte the same
            assert data[data.index(b"\xff\xda"):] == original[original.index(b"\xff\xda"):]
        else:  # lossless formats: the very same pixels
            assert clean.convert("RGB").tobytes() == before.convert("RGB").tobytes()
    # a named report keeps its photo as taken (evidence), and the reporter sees their own file name
    assert named.attachments.get().file.open("rb").read() == original


def test_a_grid_worker_reports_on_duty_never_anonymously(people):
    from yiwang.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as e:
        services.create_order(people.worker, channel="grid", kind="report", anonymous=True, text="井盖缺失", **INSIDE)
    assert e.value.code == "anonymous_not_allowed"
    assert not WorkOrder.objects.exists()
