from yiwang.accounts.actor import Actor, staff_actor
from yiwang.cases import services
from yiwang.cases.models import Status


def test_promised_case_end_to_end(org, make_citizen, make_staff, make_item, upload):
    item = make_item(org["dept"])
    citizen = make_citizen()
    applicant = Actor(user=citizen)
    token = upload(applicant)
    case, created = services.submit(applicant, item_code=item.code, form={"shop_name": "望江小吃店"},
                                    materials=[{"key": "application_form", "upload": token}], idempotency_key="k1")
    assert created and case.status == Status.SUBMITTED and case.number.startswith("329002")
    again, created2 = services.submit(applicant, item_code=item.code, form={"shop_name": "望江小吃店"},
                                      materials=[{"key": "application_form", "upload": token}], idempotency_key="k1")
    assert not created2 and again.pk == case.pk

    clerk = staff_actor(make_staff("clerk", org["centre"]))
    services.accept(clerk, case.number)
    reviewer = staff_actor(make_staff("reviewer", org["dept"]))
    head = staff_actor(make_staff("dept_head", org["dept"], username="head"))
    services.review(reviewer, case.number, "材料齐全，符合条件")
    case = services.decide(head, case.number, True, "")
    assert case.status == Status.APPROVED
    case = services.deliver(clerk, case.number, "pickup")
    assert case.status == Status.DELIVERED
    assert [e.action for e in case.events.order_by("at", "id")] == ["submit", "accept", "review", "approve", "deliver"]
