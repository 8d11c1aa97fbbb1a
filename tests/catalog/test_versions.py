"""Items, their data elements and materials, and the version lifecycle: drafted by the owning
department, reviewed, published by its head, immutable once published, retired — with history."""

from __future__ import annotations

import pytest

from yiwang.accounts.actor import Actor, staff_actor
from yiwang.catalog import selectors, services
from yiwang.catalog.models import ItemVersion, Material, ServiceItem
from yiwang.core.errors import Conflict, PermissionDeniedError, ValidationFailed
from yiwang.core.models import AuditEvent

from .factories import item

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(org, make_staff, make_citizen):
    return {
        "editor": staff_actor(make_staff("reviewer", org["dept"])),
        "head": staff_actor(make_staff("dept_head", org["dept"])),
        "other_head": staff_actor(make_staff("dept_head", org["other_dept"])),
        "admin": staff_actor(make_staff("platform_admin", org["other_dept"], username="admin1")),
        "clerk": staff_actor(make_staff("clerk", org["centre"])),
        "citizen": Actor(user=make_citizen()),
    }


def publish_new(people, **changes):
    v = services.create_item(people["editor"], item(**changes))
    services.submit_for_review(people["editor"], v)
    return services.publish(people["head"], v)


def test_a_new_item_is_a_draft_with_every_data_element(people):
    v = services.create_item(people["editor"], item())
    assert v.status == "draft" and v.number == 1
    assert v.item.code == "329002010001700001" and v.item.department.code == "YX-SCJG"
    assert v.item.current is None  # not public until published
    assert v.statutory_limit_days == 10 and v.promised_limit_days == 3 and v.case_type == "2"
    assert v.tiers == ["district"] and v.citywide is True
    assert v.service_object_labels == ["自然人", "企业法人", "非法人企业"]
    mats = list(v.materials.all())
    assert [m.source for m in mats] == ["licence", "shared_data", "applicant", "applicant"]
    assert mats[3].requirement == "conditional" and mats[3].condition == "委托他人代办时提供"
    assert AuditEvent.objects.filter(action="catalog.item_created", object_id=str(v.pk)).exists()


@pytest.mark.parametrize("who", ["other_head", "clerk", "citizen"])
def test_only_the_owning_department_and_the_admin_may_create_or_edit(people, who):
    with pytest.raises(PermissionDeniedError):
        services.create_item(people[who], item())
    v = services.create_item(people["admin"], item())  # the platform admin may
    with pytest.raises(PermissionDeniedError):
        services.update_draft(people[who], v, {"name": "改名"})
    assert ServiceItem.objects.count() == 1


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"name": ""}, "name"),
        ({"item_type": "99"}, "item_type"),
        ({"promised_limit_days": 20}, "promised_limit_days"),  # more than the statutory 10
        ({"case_type": "1"}, "promised_limit_days"),  # immediate but 3 days promised
        ({"visits": 2}, "visits"),  # Ⅳ 全程网办 means no visit
        ({"fee_required": True}, "fees"),
        ({"service_objects": []}, "service_objects"),
        ({"tiers": ["province"]}, "tiers"),
        ({"online_depth": 7}, "online_depth"),
        ({"result_type": "1", "licence_type": ""}, "licence_type"),
        ({"form_schema": {"type": "object", "properties": {"Bad Key": {"type": "string", "title": "x"}}}},
         "form_schema"),
        ({"code": "12"}, "code"),
        ({"department": "NO-SUCH"}, "department"),
    ],
)
def test_invalid_data_elements_are_refused_with_the_field_named(people, changes, field):
    with pytest.raises(ValidationFailed) as exc:
        services.create_item(people["admin"], item(**changes))
    assert field in exc.value.fields
    assert ServiceItem.objects.count() == 0


def test_material_rules(people):
    bad = item()
    bad["materials"][3]["condition"] = ""  # conditional without its condition
    bad["materials"][0]["source_ref"] = ""  # licence without its type
    with pytest.raises(ValidationFailed) as exc:
        services.create_item(people["editor"], bad)
    assert set(exc.value.fields) == {"materials[4].condition", "materials[1].source_ref"}


def test_review_and_publish_by_the_department_head(people):
    v = services.create_item(people["editor"], item())
    with pytest.raises(Conflict) as exc:
        services.publish(people["head"], v)  # a draft must be reviewed first
    assert exc.value.code == "illegal_transition"
    services.submit_for_review(people["editor"], v)
    assert services.submit_for_review(people["editor"], v).status == "review"  # idempotent
    with pytest.raises(PermissionDeniedError):
        services.publish(people["editor"], v)  # reviewers draft, heads publish
    with pytest.raises(PermissionDeniedError):
        services.publish(people["other_head"], v)
    services.publish(people["head"], v)
    v.refresh_from_db()
    assert v.status == "published" and v.published_by == people["head"].user
    assert selectors.published_item(v.item.code).current == v


def test_send_back_returns_a_version_to_draft(people):
    v = services.create_item(people["editor"], item())
    services.submit_for_review(people["editor"], v)
    with pytest.raises(Conflict):
        services.update_draft(people["editor"], v, {"name": "改"})  # in review: not editable
    services.send_back(people["head"], v, "请补充收费依据")
    v.refresh_from_db()
    assert v.status == "draft" and v.review_note == "请补充收费依据"
    services.update_draft(people["editor"], v, {"summary": "新的说明"})


def test_a_published_version_never_changes_in_place(people):
    v = publish_new(people)
    with pytest.raises(Conflict) as exc:
        services.update_draft(people["editor"], v, {"name": "改名"})
    assert exc.value.code == "version_not_editable"
    fresh = ItemVersion.objects.get(pk=v.pk)
    fresh.name = "直接改数据库对象"
    with pytest.raises(Conflict) as exc:
        fresh.save()
    assert exc.value.code == "version_frozen"
    with pytest.raises(Conflict):
        Material(version=fresh, name="偷偷加的材料").save()
    with pytest.raises(Conflict):
        fresh.delete()
    assert ItemVersion.objects.get(pk=v.pk).name == "食品经营许可"


def test_a_revision_copies_the_guide_and_publishing_it_retires_the_old_one(people):
    v1 = publish_new(people)
    v2 = services.start_revision(people["editor"], v1.item, change_note="调整承诺时限")
    assert v2.number == 2 and v2.status == "draft"
    assert services.start_revision(people["editor"], v1.item).pk == v2.pk  # one open draft at a time
    assert [m.name for m in v2.materials.all()] == [m.name for m in v1.materials.all()]
    services.update_draft(people["editor"], v2, {"promised_limit_days": 1,
                                                 "materials": item()["materials"][:3]})
    # the public still sees version 1 while version 2 is worked on
    assert selectors.published_item(v1.item.code).current_id == v1.pk
    services.submit_for_review(people["editor"], v2)
    services.publish(people["head"], v2)
    v1.refresh_from_db()
    v2.refresh_from_db()
    assert v1.status == "retired" and "第 2 版" in v1.retired_reason
    assert v2.status == "published" and v2.promised_limit_days == 1 and v2.materials.count() == 3
    # the old guide is still there, exactly as it was: a case filed under it shows it
    old = selectors.guide(selectors.item_version(v1.item.code, 1))
    assert old["time_limits"]["promised_days"] == 3 and len(old["materials"]) == 4
    public = [h.number for h in selectors.history(v1.item)]
    assert public == [2, 1]


def test_drafts_are_visible_only_to_editors(people):
    v1 = publish_new(people)
    services.start_revision(people["editor"], v1.item)
    assert [h.number for h in selectors.history(v1.item, people["citizen"])] == [1]
    assert [h.number for h in selectors.history(v1.item, people["editor"])] == [2, 1]
    from yiwang.core.errors import NotFound

    with pytest.raises(NotFound):
        selectors.item_version(v1.item.code, 2, people["citizen"])
    assert selectors.item_version(v1.item.code, 2, people["head"]).status == "draft"


def test_retiring_an_item_takes_it_off_the_public_catalog(people):
    v = publish_new(people)
    with pytest.raises(ValidationFailed):
        services.retire_item(people["head"], v.item, "")
    with pytest.raises(PermissionDeniedError):
        services.retire_item(people["editor"], v.item, "职能调整")
    services.retire_item(people["head"], v.item, "职能调整")
    v.refresh_from_db()
    assert v.status == "retired" and v.retired_reason == "职能调整"
    assert not selectors.published_items().exists()
    with pytest.raises(Conflict):
        services.retire_item(people["head"], v.item, "再次停用")
    actions = list(AuditEvent.objects.filter(action__startswith="catalog.").values_list("action", flat=True))
    assert actions == ["catalog.item_created", "catalog.version_submitted", "catalog.version_published",
                       "catalog.item_retired"]


def test_code_and_department_cannot_change(people):
    v = services.create_item(people["editor"], item())
    with pytest.raises(ValidationFailed):
        services.update_draft(people["editor"], v, {"department": "YX-MZ"})
