"""Departments (委办局 and others) of the demo district and the staff who work in them.

Department USCCs follow GB 32100-2015: ``11`` 机构编制 + 机关, ``12`` 机构编制 + 事业单位,
``91`` 市场监管 + 企业 (the public utilities). All are registered in 329002.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from yiwang.core.identity import make_uscc

from . import DISTRICT
from .geo import AREA_CODE, DISTRICT_CENTRE_CODE, STREETS, service_places


@dataclass(frozen=True)
class DepartmentSpec:
    code: str
    name: str
    short_name: str
    kind: str  # bureau | centre | street_office | public_service
    uscc: str
    division: str
    phone: str
    address: str
    at_district_centre: bool = True


CIVIC = "江东市云溪区行政中心"

# (code, name, short name, kind, USCC authority+kind, phone, address)
_DEPARTMENTS: list[tuple[str, str, str, str, str, str, str]] = [
    ("YX-ZWB", "云溪区政务服务管理办公室（区行政审批局）", "区政务办", "centre", "11", "87612345", "江东市云溪区江滨大道 1 号市民中心 A 座 4 层"),
    ("YX-SCJG", "云溪区市场监督管理局", "区市场监管局", "bureau", "11", "87601315", "江东市云溪区人民路 66 号"),
    ("YX-GA", "江东市公安局云溪分局", "云溪公安分局", "bureau", "11", "87603110", "江东市云溪区府前街 9 号"),
    ("YX-RS", "云溪区人力资源和社会保障局", "区人社局", "bureau", "11", "87612333", f"{CIVIC} 3 号楼"),
    ("YX-MZ", "云溪区民政局", "区民政局", "bureau", "11", "87602345", f"{CIVIC} 2 号楼"),
    ("YX-YB", "云溪区医疗保障局", "区医保局", "bureau", "11", "87612393", f"{CIVIC} 3 号楼"),
    ("YX-SWJ", "国家税务总局江东市云溪区税务局", "云溪区税务局", "bureau", "11", "87612366", "江东市云溪区文昌路 120 号"),
    ("YX-ZRZY", "江东市自然资源和规划局云溪分局", "云溪自然资源分局", "bureau", "11", "87605678", "江东市云溪区学府路 18 号"),
    ("YX-ZJ", "云溪区住房和城乡建设局", "区住建局", "bureau", "11", "87606789", f"{CIVIC} 5 号楼"),
    ("YX-FGJ", "云溪区发展和改革局", "区发改局", "bureau", "11", "87601001", f"{CIVIC} 1 号楼"),
    ("YX-JYJ", "云溪区教育局", "区教育局", "bureau", "11", "87601234", "江东市云溪区学府路 2 号"),
    ("YX-SF", "云溪区司法局", "区司法局", "bureau", "11", "87612348", f"{CIVIC} 2 号楼"),
    ("YX-CZ", "云溪区财政局", "区财政局", "bureau", "11", "87601100", f"{CIVIC} 1 号楼"),
    ("YX-STHJ", "江东市生态环境局云溪分局", "云溪生态环境分局", "bureau", "11", "87612369", "江东市云溪区香樟路 33 号"),
    ("YX-JT", "云溪区交通运输局", "区交通运输局", "bureau", "11", "87612328", "江东市云溪区运河路 58 号"),
    ("YX-NY", "云溪区农业农村局", "区农业农村局", "bureau", "11", "87612316", "江东市云溪区白沙大道 8 号"),
    ("YX-SL", "云溪区水务局", "区水务局", "bureau", "11", "87601566", "江东市云溪区运河路 12 号"),
    ("YX-SW", "云溪区商务局", "区商务局", "bureau", "11", "87601588", f"{CIVIC} 4 号楼"),
    ("YX-WGL", "云溪区文化广电和旅游局", "区文广旅局", "bureau", "11", "87612318", "江东市云溪区文昌路 9 号"),
    ("YX-WJW", "云溪区卫生健康委员会", "区卫健委", "bureau", "11", "87612320", "江东市云溪区桂花路 16 号"),
    ("YX-TYJR", "云溪区退役军人事务局", "区退役军人局", "bureau", "11", "87601899", f"{CIVIC} 2 号楼"),
    ("YX-YJ", "云溪区应急管理局", "区应急局", "bureau", "11", "87612350", f"{CIVIC} 5 号楼"),
    ("YX-XF", "江东市云溪区消防救援大队", "云溪消防救援大队", "bureau", "11", "87603119", "江东市云溪区永安路 119 号"),
    ("YX-CG", "云溪区城市管理局（区综合行政执法局）", "区城管局", "bureau", "11", "87612319", "江东市云溪区石桥路 77 号"),
    ("YX-SJJ", "云溪区数据资源管理局", "区数据局", "bureau", "11", "87601666", "江东市云溪区江滨大道 1 号市民中心 B 座"),
    ("YX-YC", "江东市烟草专卖局云溪分局", "云溪烟草专卖局", "bureau", "11", "87601812", "江东市云溪区锦绣路 28 号"),
    ("YX-GJJ", "江东市住房公积金管理中心云溪分中心", "云溪公积金分中心", "public_service", "12", "87612329", "江东市云溪区江滨大道 1 号市民中心 A 座 2 层"),
    ("YX-12345", "云溪区12345政务服务便民热线中心", "12345热线中心", "centre", "12", "12345", "江东市云溪区江滨大道 1 号市民中心 B 座 6 层"),
    ("YX-GD", "国网江东供电公司云溪供电分公司", "云溪供电", "public_service", "91", "95598", "江东市云溪区观澜路 88 号"),
    ("YX-SWGS", "江东云溪水务有限公司", "云溪水务", "public_service", "91", "87609600", "江东市云溪区运河路 100 号"),
    ("YX-RQ", "江东港华燃气有限公司云溪分公司", "云溪燃气", "public_service", "91", "87609988", "江东市云溪区翠屏路 66 号"),
]

# Not present at the district centre's windows (the hotline and the data bureau work behind it).
_NOT_AT_CENTRE = {"YX-12345", "YX-SJJ"}


def _org_code(auth: str, i: int) -> str:
    # 机关/事业单位: "MB" + 6 digits; enterprises: "MA" + 6 characters.
    return f"MB{2026 * 10 + i:06d}" if auth[0] == "1" else f"MA{7302 * 10 + i:06d}"


def _phone(local: str) -> str:
    return local if len(local) <= 5 else f"{AREA_CODE}-{local}"


def departments() -> list[DepartmentSpec]:
    specs = []
    for i, (code, name, short, kind, auth, phone, address) in enumerate(_DEPARTMENTS, start=1):
        specs.append(
            DepartmentSpec(
                code=code,
                name=name,
                short_name=short,
                kind=kind,
                uscc=make_uscc(auth, DISTRICT[0], _org_code(auth, i)),
                division=DISTRICT[0],
                phone=_phone(phone),
                address=address,
                at_district_centre=code not in _NOT_AT_CENTRE,
            )
        )
    base = len(_DEPARTMENTS)
    for j, street in enumerate(STREETS, start=1):
        specs.append(
            DepartmentSpec(
                code=f"YX-{street.slug}-BSC",
                name=street.office_name,
                short_name=f"{street.name}{'政府' if street.is_town else '办事处'}",
                kind="street_office",
                uscc=make_uscc("11", DISTRICT[0], _org_code("11", base + j)),
                division=street.code,
                phone=_phone(f"8762{j:02d}00"),
                address=f"江东市云溪区{street.name}{street.road} {8 + j * 11} 号",
                at_district_centre=False,
            )
        )
    return specs


def district_centre_departments() -> tuple[str, ...]:
    return tuple(d.code for d in departments() if d.at_district_centre)


def places():
    return service_places(district_centre_departments())


# -- staff ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class StaffSpec:
    username: str
    name: str
    role: str
    unit_scope: str  # "department" | "place"
    unit_code: str
    is_admin: bool = False


#: Every bureau, public-service unit and the 政务办 get this set (role, how many).
STANDARD_ROLES = (("reviewer", 2), ("dept_head", 1), ("handler", 1), ("data_steward", 1), ("editor", 1))
STREET_OFFICE_ROLES = (("handler", 1), ("dept_head", 1))
HOTLINE_ROLES = (("hotline_operator", 3), ("dept_head", 1))
DISTRICT_CLERKS = 6


def slug_of(code: str) -> str:
    """YX-SCJG → yx_scjg; YX-JB-01 → yx_jb01; YX-JB-BSC → yx_jbbsc."""
    return "yx_" + code.split("-", 1)[1].replace("-", "").lower()


def staff() -> list[StaffSpec]:
    from .people import NameMaker

    names = NameMaker(random.Random("yiwang-demo-staff"))
    specs: list[StaffSpec] = []

    def add(unit_scope: str, unit_code: str, role: str, count: int, admin: bool = False):
        for n in range(1, count + 1):
            name, _gender = names.adult()
            specs.append(StaffSpec(f"{slug_of(unit_code)}_{role}{n}", name, role, unit_scope, unit_code, admin))

    for dept in departments():
        if dept.kind in ("bureau", "public_service") or dept.code == "YX-ZWB":
            for role, count in STANDARD_ROLES:
                add("department", dept.code, role, count)
        if dept.kind == "street_office":
            for role, count in STREET_OFFICE_ROLES:
                add("department", dept.code, role, count)
        if dept.code == "YX-12345":
            for role, count in HOTLINE_ROLES:
                add("department", dept.code, role, count)
        if dept.code == "YX-ZWB":
            add("department", dept.code, "supervisor", 2)
        if dept.code == "YX-SJJ":
            add("department", dept.code, "platform_admin", 1, admin=True)
    for place in places():
        if place.code == DISTRICT_CENTRE_CODE:
            add("place", place.code, "clerk", DISTRICT_CLERKS)
        else:
            add("place", place.code, "clerk", 1)
        if place.tier == "street":
            add("place", place.code, "grid_worker", 2)
    return specs
