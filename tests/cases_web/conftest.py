"""Fixtures for the cases pages: signed-in test clients for every role (staff sessions carry their
verified TOTP device), the people of the stories and a promised item with a rich form. ``make_item``
and ``upload`` come from tests/conftest.py."""

from __future__ import annotations

import pytest
from cases.samples import PDF  # tests/cases/samples.py
from django.test import Client

BACKEND = "yiwang.accounts.backends.IdentityBackend"


def signed_in(user, enterprise=None) -> Client:
    """A test client with a session for ``user``; staff sessions are OTP-verified."""
    client = Client()
    client.force_login(user, backend=BACKEND)
    session = client.session
    device = getattr(user, "device", None)
    if device is not None:
        session["otp_device_id"] = device.persistent_id
    if enterprise is not None:
        from yiwang.accounts.middleware import SESSION_ENTERPRISE

        session[SESSION_ENTERPRISE] = enterprise.pk
    session.save()
    return client


@pytest.fixture
def login():
    return signed_in


@pytest.fixture
def people(org, make_citizen, make_staff):
    """A citizen, a second citizen, a counter clerk, a reviewer and the department head."""
    from yiwang.core.models import Counter

    Counter.objects.create(place=org["centre"], number="02", name="综合受理二号窗", kind="comprehensive")
    return {
        "citizen": make_citizen(name="王秀英", address="望江路 8 号 3 栋 201 室"),
        "other": make_citizen(name="赵强", phone="13900139000"),
        "clerk": make_staff("clerk", org["centre"], username="clerk1", name="陈静"),
        "clerk2": make_staff("clerk", org["centre"], username="clerk2", name="刘洋"),
        "reviewer": make_staff("reviewer", org["dept"], username="reviewer1", name="周敏"),
        "reviewer2": make_staff("reviewer", org["dept"], username="reviewer2", name="吴磊"),
        "head": make_staff("dept_head", org["dept"], username="head1", name="孙海"),
    }


@pytest.fixture
def item(org, make_item):
    """A promised item (承诺件) with a form that asks for the applicant's name, ID, phone and address,
    one material to upload and one fetched from the licence library."""
    return make_item(org["dept"], name="食品经营许可", promised=10, schema={
        "type": "object",
        "properties": {
            "applicant_name": {"type": "string", "title": "申请人姓名", "maxLength": 30},
            "applicant_id": {"type": "string", "title": "申请人身份证号码", "format": "resident_id"},
            "phone": {"type": "string", "title": "联系电话", "format": "phone"},
            "address": {"type": "string", "title": "现居住地址", "maxLength": 120},
            "shop_name": {"type": "string", "title": "店铺名称", "maxLength": 50, "description": "与营业执照一致"},
            "floor_area": {"type": "number", "title": "经营面积（平方米）", "minimum": 1},
            "staff_count": {"type": "integer", "title": "从业人数", "minimum": 0, "maximum": 1000},
            "category": {"type": "string", "title": "经营类别", "enum": ["餐饮服务", "食品销售"]},
            "chain": {"type": "boolean", "title": "连锁经营"},
        },
        "required": ["applicant_name", "applicant_id", "phone", "shop_name", "category"],
        "x-order": ["applicant_name", "applicant_id", "phone", "address", "shop_name", "category", "floor_area",
                    "staff_count", "chain"],
    })


def answers(**extra) -> dict:
    """A valid POST for the ``item`` form (the identity fields are filled in by the server)."""
    data = {"f_applicant_name": "王秀英", "f_phone": "13800138000", "f_address": "望江路 8 号",
            "f_shop_name": "望江小吃店", "f_category": "餐饮服务", "f_floor_area": "35.5", "f_staff_count": "3",
            "idempotency_key": "key-1", "action": "submit"}
    data.update(extra)
    return data


def pdf_file(name="申请书.pdf", data=None):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data if data is not None else PDF, content_type="application/pdf")


_ids = {"n": 0}


def new_id_number() -> str:
    """A valid resident ID number nobody else in the tests uses (born 1990-06-01 in 320102)."""
    from datetime import date

    from yiwang.core.identity import make_resident_id

    _ids["n"] += 1
    return make_resident_id("320102", date(1990, 6, 1), 100 + _ids["n"] % 800)
