"""Fixtures for case tests: published catalog items built directly (independent of the demo)."""

from __future__ import annotations

import itertools

import pytest

_codes = itertools.count(1)


@pytest.fixture
def make_item(db):
    """make_item(department, case_type="2", promised=5, fee=None, materials=[...], schema=...) ->
    a published ServiceItem whose ``current`` version is what cases file under."""
    from yiwang.catalog.models import ItemVersion, Material, ServiceItem

    def _make(department, *, name="食品经营许可", case_type="2", promised=10, statutory=20, fee=None,
              materials=None, schema=None, licence_type=""):
        n = next(_codes)
        item = ServiceItem.objects.create(code=f"11329002TEST{n:04d}", basic_code=f"0001{n:04d}",
                                          department=department, name=name)
        version = ItemVersion.objects.create(
            item=item, number=1, status="review", name=name, item_type="01", basic_code=item.basic_code,
            legal_basis="《中华人民共和国食品安全法》第三十五条", acceptance_conditions="申请人具备相应条件",
            service_objects="1,2", statutory_limit_days=statutory, promised_limit_days=promised, case_type=case_type,
            visits=0, online_depth=4, fee_required=bool(fee), fees=[{"name": "工本费", "standard": f"{fee}元/件",
                                                                       "amount": str(fee)}] if fee else [],
            handling_place="云溪区政务服务中心", handling_hours="工作日 9:00-17:00", consultation="12345",
            complaint="12345", result_type="1", result_name=f"{name}证", licence_type=licence_type,
            form_schema=schema if schema is not None else {
                "type": "object",
                "properties": {"shop_name": {"type": "string", "title": "店铺名称", "maxLength": 50},
                               "address": {"type": "string", "title": "经营场所"}},
                "required": ["shop_name"],
            },
        )
        for i, (key, mname, required, source) in enumerate(materials if materials is not None else [
            ("application_form", "申请书", True, "applicant"),
            ("id_card", "法定代表人身份证", True, "licence"),
        ]):
            Material.objects.create(version=version, order=i, key=key, name=mname,
                                    requirement="required" if required else "conditional", source=source)
        ItemVersion.objects.filter(pk=version.pk).update(status="published")
        item.current = ItemVersion.objects.get(pk=version.pk)
        item.save()
        return item

    return _make


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def upload(db):
    """upload(actor, key) -> token of a stored PDF for that actor."""
    from yiwang.cases import services

    def _upload(actor, key="application_form", data=PDF, name="申请书.pdf"):
        return services.upload_material(actor, name=name, data=data, key=key).upload_token

    return _upload


@pytest.fixture
def flow(org, make_citizen, make_staff, make_item, client):
    """The people and moves of tests/cases/flows.py (see its docstring)."""
    from .flows import Flow

    return Flow(org, make_citizen, make_staff, make_item, client)
