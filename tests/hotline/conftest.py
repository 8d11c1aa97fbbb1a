from __future__ import annotations

import pytest

from .world import build_district


@pytest.fixture(autouse=True)
def _fresh_classifier():
    from yiwang.hotline import classifier

    classifier.reset()
    yield
    classifier.reset()


@pytest.fixture
def district(db):
    return build_district()


@pytest.fixture
def actor_of():
    from yiwang.accounts.actor import Actor, staff_actor

    def _actor(user):
        if user.kind == "staff":
            return staff_actor(user, otp_verified=True)
        return Actor(user=user)

    return _actor


@pytest.fixture
def people(district, make_staff, make_citizen, actor_of):
    """Staff of the 12345 centre, two departments, a supervisor and a grid worker; a citizen."""
    from types import SimpleNamespace

    from yiwang.core.models import ServicePlace
    from yiwang.grid.models import Grid, GridMember

    d = district.depts
    place = ServicePlace.objects.create(code="YX-JB", name="江滨街道便民服务中心", tier="street",
                                        division_id="329002001000", address="滨江路 18 号")
    operator = make_staff("hotline_operator", d["YX-12345"], name="话务员甲")
    cg = make_staff("handler", d["YX-CG"], name="城管承办")
    cg_head = make_staff("dept_head", d["YX-CG"], name="城管负责人")
    zj = make_staff("handler", d["YX-ZJ"], name="住建承办")
    sthj = make_staff("handler", d["YX-STHJ"], name="环保承办")
    supervisor = make_staff("supervisor", d["YX-ZWB"], name="督查员")
    worker = make_staff("grid_worker", place, name="网格员小王")
    for g in Grid.objects.filter(street_id="329002001000"):
        GridMember.objects.create(grid=g, user=worker)
    citizen = make_citizen(name="王秀英", phone="13900001111")
    return SimpleNamespace(
        operator=actor_of(operator), cg=actor_of(cg), cg_head=actor_of(cg_head), zj=actor_of(zj),
        sthj=actor_of(sthj), supervisor=actor_of(supervisor), worker=actor_of(worker), citizen=actor_of(citizen),
        users=SimpleNamespace(operator=operator, cg=cg, cg_head=cg_head, zj=zj, sthj=sthj, supervisor=supervisor,
                              worker=worker, citizen=citizen),
        place=place,
    )


def jpeg(size: int = 2000) -> bytes:
    return b"\xff\xd8\xff\xe0" + b"\x00" * max(0, size - 4)
