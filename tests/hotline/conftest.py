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


ROLES = ["anonymous", "citizen", "enterprise_agent", "clerk", "reviewer", "dept_head", "hotline_operator", "handler",
         "grid_worker", "supervisor", "data_steward", "editor", "platform_admin"]


@pytest.fixture
def role_world(district, make_staff, make_citizen):
    """One person per role for the authorization walks (the delegated rows of tests/authz): the
    department roles in 城管局 (YX-CG), the 12345 operator, oversight in 政务办/数据局, the clerk and
    the grid worker at 江滨街道's centre (the grid worker covers its grids). A citizen has filed an
    order (with a photo) in 江滨街道 and it is dispatched to YX-CG; YX-CG keeps a knowledge article."""
    from types import SimpleNamespace

    from yiwang.accounts.actor import Actor, staff_actor
    from yiwang.accounts.models import Enterprise, EnterpriseMember
    from yiwang.accounts.services import issue_token
    from yiwang.core.identity import make_uscc
    from yiwang.core.models import ServicePlace
    from yiwang.grid.models import Grid, GridMember
    from yiwang.hotline import services
    from yiwang.hotline.models import KnowledgeArticle

    d = district.depts
    place = ServicePlace.objects.create(code="YX-JB", name="江滨街道便民服务中心", tier="street",
                                        division_id="329002001000", address="滨江路 18 号")
    units = {"clerk": place, "grid_worker": place, "hotline_operator": d["YX-12345"], "supervisor": d["YX-ZWB"],
             "platform_admin": d["YX-SJJ"]}
    users = {"citizen": make_citizen(name="王秀英", phone="13900001111")}
    rep = make_citizen(name="陈刚", phone="13900139002")
    enterprise = Enterprise.objects.create(uscc=make_uscc("91", "329002", "MA1XYK01"), name="云溪示范科技有限公司",
                                           legal_representative="陈刚")
    EnterpriseMember.objects.create(enterprise=enterprise, user=rep, kind=EnterpriseMember.Kind.LEGAL_REP)
    users["enterprise_agent"] = rep
    for role in ROLES[3:]:
        users[role] = make_staff(role, units.get(role, d["YX-CG"]), name=f"测试{role}")
    for g in Grid.objects.filter(street_id="329002001000"):
        GridMember.objects.create(grid=g, user=users["grid_worker"])
    actors = {r: (staff_actor(u, otp_verified=True) if u.kind == "staff" else Actor(user=u)) for r, u in users.items()}
    actors["enterprise_agent"] = Actor(user=rep, enterprise=enterprise)

    def new_order(text="滨江路路灯不亮已经一周了"):
        o = services.create_order(actors["citizen"], channel="api", kind="complaint", text=text, lat=32.06,
                                  lng=118.81, photos=[("a.jpg", jpeg())])
        services.dispatch(actors["hotline_operator"], o.number, department="YX-CG", category="CG05")
        return o

    tokens = {r: issue_token(u, enterprise=enterprise if r == "enterprise_agent" else None)[0]
              for r, u in users.items()}
    article = KnowledgeArticle.objects.create(department=d["YX-CG"], title="路灯坏了找谁", answer="城管局负责。")
    return SimpleNamespace(users=users, actors=actors, tokens=tokens, new_order=new_order, order=new_order(),
                           article=article, enterprise=enterprise)
