"""Streets, communities, service places and counters of the demo district 云溪区 (329002).

Streets and towns use the 12-digit statistical division codes: the district's 6 digits, a 3-digit
乡级 code (001–099 街道, 100–199 镇) and ``000``; communities add a 3-digit 村级 code (001–199
居委会/社区, 200–399 村委会). All names are fictional.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import DISTRICT

AREA_CODE = "0529"  # fictional long-distance code for 江东市


@dataclass(frozen=True)
class Community:
    code: str  # 12 digits
    name: str
    roads: tuple[str, ...]  # streets (路) for addresses
    estates: tuple[str, ...]  # residential estates (小区); for villages: groups (组)
    is_village: bool = False

    @property
    def station_name(self) -> str:
        return f"{self.name}便民服务站"


@dataclass(frozen=True)
class Street:
    seq: str  # 3-digit 乡级 code
    name: str
    slug: str  # ASCII, used in place/department codes and staff usernames
    road: str  # main road of the street office and its service centre
    communities: tuple[Community, ...] = field(default_factory=tuple)

    @property
    def code(self) -> str:
        return f"{DISTRICT[0]}{self.seq}000"

    @property
    def is_town(self) -> bool:
        return self.name.endswith("镇")

    @property
    def centre_name(self) -> str:
        return f"{self.name}便民服务中心"

    @property
    def office_name(self) -> str:
        return f"云溪区{self.name}人民政府" if self.is_town else f"云溪区{self.name}办事处"


def _street(seq: str, name: str, slug: str, road: str, communities: list[tuple]) -> Street:
    built = []
    for item in communities:
        cseq, cname, roads, estates = item[:4]
        built.append(
            Community(
                code=f"{DISTRICT[0]}{seq}{cseq}",
                name=cname,
                roads=tuple(roads),
                estates=tuple(estates),
                is_village=cname.endswith("村"),
            )
        )
    return Street(seq=seq, name=name, slug=slug, road=road, communities=tuple(built))


STREETS: tuple[Street, ...] = (
    _street("001", "江滨街道", "JB", "滨江路", [
        ("001", "滨江社区", ("滨江路", "江滨大道"), ("滨江花园", "江畔人家")),
        ("002", "江月社区", ("江月路", "揽月街"), ("江月华庭", "月湖小区")),
        ("003", "渡口社区", ("渡口路", "老码头街"), ("渡口新村", "港湾小区")),
        ("004", "新港社区", ("新港大道", "海棠路"), ("新港嘉园", "海棠湾")),
    ]),
    _street("002", "望江街道", "WJ", "望江路", [
        ("001", "望江社区", ("望江路", "江景街"), ("望江苑", "江景名邸")),
        ("002", "观澜社区", ("观澜路", "听涛街"), ("观澜府", "听涛苑")),
        ("003", "临江社区", ("临江路", "沿江东路"), ("临江新村", "沿江花园")),
    ]),
    _street("003", "溪口街道", "XK", "府前街", [
        ("001", "溪口社区", ("溪口路", "云溪大道"), ("溪口新村", "云溪名苑")),
        ("002", "文昌社区", ("文昌路", "学府路"), ("文昌苑", "学府花园")),
        ("003", "桂花社区", ("桂花路", "丹桂街"), ("桂花园", "丹桂小区")),
        ("004", "府前社区", ("府前街", "人民路"), ("府前小区", "人民新村")),
    ]),
    _street("004", "翠屏街道", "CP", "翠屏路", [
        ("001", "翠屏社区", ("翠屏路", "青松路"), ("翠屏山庄", "青松苑")),
        ("002", "锦绣社区", ("锦绣路", "华锦街"), ("锦绣家园", "华锦城")),
        ("003", "凤鸣社区", ("凤鸣路", "凤栖街"), ("凤鸣苑", "凤栖花园")),
    ]),
    _street("005", "石桥街道", "SQ", "石桥路", [
        ("001", "石桥社区", ("石桥路", "古桥街"), ("石桥新村", "古桥人家")),
        ("002", "运河社区", ("运河路", "漕运街"), ("运河嘉苑", "漕运小区")),
        ("003", "永安社区", ("永安路", "安康街"), ("永安里", "安康花园")),
        ("004", "花园社区", ("花园路", "玉兰街"), ("花园新村", "玉兰苑")),
    ]),
    _street("006", "梅林街道", "ML", "梅林路", [
        ("001", "梅林社区", ("梅林路", "红梅街"), ("梅林小区", "红梅新村")),
        ("002", "梅园社区", ("梅园路", "腊梅街"), ("梅园新村", "腊梅苑")),
        ("003", "香樟社区", ("香樟路", "樟树街"), ("香樟园", "樟树湾")),
    ]),
    _street("100", "白沙镇", "BS", "白沙大道", [
        ("001", "白沙社区", ("白沙大道", "沙洲路"), ("白沙新村", "沙洲花园")),
        ("201", "沙洲村", ("沙洲路",), ("一组", "二组", "三组", "四组")),
        ("202", "柳塘村", ("柳塘路",), ("一组", "二组", "三组")),
        ("203", "青山村", ("青山路",), ("一组", "二组", "三组", "五组")),
    ]),
)

COMMUNITIES: tuple[Community, ...] = tuple(c for s in STREETS for c in s.communities)


def street_of(community: Community) -> Street:
    return next(s for s in STREETS if community in s.communities)


# -- service places -------------------------------------------------------------------------------

HOURS_DISTRICT = "周一至周五 9:00-12:00，13:30-17:00；周六上午 9:00-12:00（法定节假日除外）"
HOURS_STREET = "周一至周五 8:30-12:00，13:30-17:00（法定节假日除外）"
HOURS_COMMUNITY = "周一至周五 8:30-11:30，14:00-17:00；周六上午预约服务"


@dataclass(frozen=True)
class PlaceSpec:
    code: str
    name: str
    tier: str  # district | street | community
    division: str
    address: str
    hours: str
    phone: str
    slug: str  # for staff usernames: yx_<slug>_clerk1
    counters: tuple[tuple[str, str, str, str | None], ...]  # (number, name, kind, department code)
    departments: tuple[str, ...] = ()


DISTRICT_CENTRE_CODE = "YX-ZWFW"

DISTRICT_COUNTERS = (
    ("01", "综合受理一号窗（企业开办）", "comprehensive", None),
    ("02", "综合受理二号窗（工程建设项目）", "comprehensive", None),
    ("03", "综合受理三号窗（社会事务）", "comprehensive", None),
    ("04", "综合受理四号窗（一件事）", "comprehensive", None),
    ("05", "综合受理五号窗（跨省通办）", "comprehensive", None),
    ("06", "公安户政出入境专窗", "department", "YX-GA"),
    ("07", "税务专窗", "department", "YX-SWJ"),
    ("08", "不动产登记专窗", "department", "YX-ZRZY"),
    ("09", "医保社保专窗", "department", "YX-YB"),
    ("10", "住房公积金专窗", "department", "YX-GJJ"),
    ("11", "统一出件窗口", "delivery", None),
    ("12", "帮办代办窗口", "help", None),
)


def _phone(n: int) -> str:
    return f"{AREA_CODE}-{n:08d}"


def service_places(district_department_codes: tuple[str, ...]) -> list[PlaceSpec]:
    """Every service place, district centre first. The district centre hosts the given departments."""
    places = [
        PlaceSpec(
            code=DISTRICT_CENTRE_CODE,
            name="云溪区政务服务中心",
            tier="district",
            division=DISTRICT[0],
            address="江东市云溪区江滨大道 1 号（市民中心 A 座 1–3 层）",
            hours=HOURS_DISTRICT,
            phone=_phone(87612345),
            slug="zwfw",
            counters=DISTRICT_COUNTERS,
            departments=district_department_codes,
        )
    ]
    for i, street in enumerate(STREETS):
        counters = [
            ("01", "综合受理窗口（社会事务）", "comprehensive", None),
            ("02", "综合受理窗口（社保医保）", "comprehensive", None),
            ("03", "帮办代办窗口", "help", None),
        ]
        if i % 2 == 0:
            counters.append(("04", "统一出件窗口", "delivery", None))
        places.append(
            PlaceSpec(
                code=f"YX-{street.slug}",
                name=street.centre_name,
                tier="street",
                division=street.code,
                address=f"江东市云溪区{street.name}{street.road} {18 + i * 11} 号",
                hours=HOURS_STREET,
                phone=_phone(87620000 + (i + 1) * 111),
                slug=street.slug.lower(),
                counters=tuple(counters),
                departments=(f"YX-{street.slug}-BSC", "YX-RS", "YX-YB", "YX-MZ"),
            )
        )
        for j, community in enumerate(street.communities, start=1):
            counters = [("01", "综合受理窗口", "comprehensive", None)]
            if j % 2 == 1:
                counters.append(("02", "帮办代办窗口", "help", None))
            if community.is_village:
                address = f"江东市云溪区{street.name}{community.name}{community.roads[0]} {j * 6} 号（村党群服务中心）"
            else:
                address = f"江东市云溪区{street.name}{community.roads[0]} {20 + j * 8} 号（{community.estates[0]}东门）"
            places.append(
                PlaceSpec(
                    code=f"YX-{street.slug}-{j:02d}",
                    name=community.station_name,
                    tier="community",
                    division=community.code,
                    address=address,
                    hours=HOURS_COMMUNITY,
                    phone=_phone(87630000 + (i + 1) * 100 + j * 7),
                    slug=f"{street.slug.lower()}{j:02d}",
                    counters=tuple(counters),
                    departments=(f"YX-{street.slug}-BSC",),
                )
            )
    return places
