"""Fictional enterprises and other organisations registered in 云溪区, with valid USCCs.

USCC prefixes (GB 32100-2015): ``91`` companies and other enterprises (市场监管 + 企业), ``92``
个体工商户, ``93`` 农民专业合作社, ``51`` 社会团体 and ``52`` 民办非企业单位 (民政), ``12`` 事业单位
(机构编制). Organisations registered before 2015 keep their old 8-digit organisation code; later ones
get the ``MA…`` codes the registration reform introduced.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache

from yiwang.core.identity import USCC_ALPHABET, make_uscc

from . import DISTRICT
from .geo import COMMUNITIES, Community, street_of
from .people import CitizenSpec, citizens

AGENTS = 30  # enterprises with a current authorised agent (经办人)

TRADE_NAMES = (
    "恒远 鑫隆 瑞丰 汇通 德润 锦程 华瑞 博远 晟达 启航 嘉禾 弘毅 润泽 致远 天合 永信 和顺 盛源 东升 信达 "
    "祥瑞 宏图 金鼎 百川 同创 恒昌 新宇 腾飞 安泰 众诚 立信 聚贤 明远 凯瑞 广源 益康 华晨 卓越 宏发 鼎盛 "
    "佳禾 融通 万象 福瑞 兴邦 荣达 裕丰 海纳 嘉诚 九州 正和 德信 长青 瑞康 春晖 云帆 汇智 睿达 通达 君悦 "
    "欣荣 茂源 星辰 天成 同心 合力 兴旺 宏达 景程 泰和 明辉 鸿运 中和 金桥 吉祥 隆昌 博瑞 恒通 聚福 宜家 "
    "惠民 仁和 安康 鑫源 晶华 禾丰 润和 逸达 乐活 悦来 江帆 溪谷 云岚 澜庭 青禾 沐阳 望舒 景泰 宏远 万通 "
    "康宁 昇平 和美 知行 匠心 拾光 初心 朗润 清源 甘棠"
).split()

_LICENSED = "（依法须经批准的项目，经相关部门批准后方可开展经营活动）"

# (industry, name suffix, business scope, capital range in 万元)
COMPANY_KINDS = (
    ("餐饮", "餐饮管理有限公司", "餐饮服务；食品销售（仅销售预包装食品）；餐饮管理；外卖递送服务。" + _LICENSED, (10, 200)),
    ("科技", "信息科技有限公司", "软件开发；信息系统集成服务；数据处理服务；技术服务、技术开发、技术咨询、技术交流、技术转让、技术推广。", (100, 2000)),
    ("建筑", "建筑工程有限公司", "建设工程施工；住宅室内装饰装修；园林绿化工程施工；建筑材料销售。" + _LICENSED, (500, 5000)),
    ("商贸", "商贸有限公司", "日用百货销售；五金产品零售；针纺织品销售；家用电器销售；食品销售（仅销售预包装食品）。", (50, 500)),
    ("物业", "物业管理有限公司", "物业管理；停车场服务；家政服务；专业保洁、清洗、消毒服务；园林绿化工程施工。", (50, 500)),
    ("医药", "大药房有限公司", "药品零售；第二类医疗器械销售；保健食品（预包装）销售；日用品销售。" + _LICENSED, (50, 300)),
    ("传媒", "文化传媒有限公司", "组织文化艺术交流活动；广告设计、代理；广告制作；会议及展览服务；摄影扩印服务。", (10, 300)),
    ("制造", "机械制造有限公司", "通用设备制造（不含特种设备制造）；机械零件、零部件加工；金属切削加工服务；机械设备销售。", (500, 8000)),
    ("教育", "教育科技有限公司", "教育咨询服务（不含涉许可审批的教育培训活动）；技术服务、技术开发；组织文化艺术交流活动。", (50, 500)),
    ("汽车", "汽车服务有限公司", "机动车修理和维护；汽车零配件零售；洗车服务；二手车经纪。" + _LICENSED, (50, 500)),
    ("家政", "家政服务有限公司", "家政服务；养老服务；护理机构服务（不含医疗服务）；专业保洁、清洗、消毒服务。", (10, 100)),
    ("物流", "物流有限公司", "道路货物运输（不含危险货物）；国内货物运输代理；普通货物仓储服务（不含危险化学品等需许可审批的项目）。" + _LICENSED, (100, 1000)),
    ("酒店", "酒店管理有限公司", "住宿服务；餐饮服务；酒店管理；会议及展览服务。" + _LICENSED, (200, 3000)),
    ("食品", "食品有限公司", "食品生产；食品销售；农副产品销售；食用农产品初加工。" + _LICENSED, (100, 1000)),
    ("环保", "环保科技有限公司", "环境保护专用设备销售；污水处理及其再生利用；固体废物治理；环保咨询服务。", (200, 2000)),
)

# 个体工商户: (name pattern, business scope); {tn} trade name, {s} the operator's surname.
SHOP_KINDS = (
    ("云溪区{tn}小吃店", "小餐饮；食品销售（仅销售预包装食品）。" + _LICENSED),
    ("云溪区老{s}家面馆", "小餐饮。" + _LICENSED),
    ("云溪区{tn}便利店", "食品销售；烟草制品零售；日用百货销售。" + _LICENSED),
    ("云溪区{tn}理发店", "理发服务；美容服务。" + _LICENSED),
    ("云溪区{tn}水果店", "食用农产品零售；水果销售。"),
    ("云溪区{tn}五金店", "五金产品零售；建筑装饰材料销售；电线、电缆经营。"),
    ("云溪区{s}记早餐店", "小餐饮；食品小作坊经营。" + _LICENSED),
    ("云溪区{tn}汽车修理部", "机动车修理和维护；洗车服务。"),
    ("云溪区{tn}服装店", "服装服饰零售；鞋帽零售；针纺织品销售。"),
    ("云溪区{tn}家电维修部", "日用电器修理；家用电器销售；五金产品零售。"),
)

NONPROFIT_KINDS = (  # 民办非企业单位 (52)
    ("云溪区{tn}职业技能培训学校", "开展育婴员、养老护理员、中式烹调师等职业技能培训。"),
    ("云溪区{tn}居家养老服务中心", "为辖区老年人提供助餐、助洁、助浴、助医等居家养老服务。"),
    ("云溪区{tn}社会工作服务中心", "开展社区治理、青少年成长、困境儿童关爱等社会工作服务项目。"),
    ("云溪区{tn}幼儿园", "学前教育。"),
)

SOCIAL_GROUPS = (  # 社会团体 (51)
    ("云溪区餐饮行业协会", "行业自律、业务培训、交流合作、咨询服务。"),
    ("云溪区个体劳动者协会", "服务个体工商户，开展政策宣传、业务培训、权益维护。"),
    ("云溪区志愿者协会", "组织志愿服务活动，开展志愿者培训与交流。"),
)

PUBLIC_INSTITUTIONS = (  # 事业单位 (12): name, 宗旨和业务范围, 开办资金 (万元)
    ("云溪区人民医院", "为人民身体健康提供医疗与护理保健服务。医疗与护理、医学教学、医学研究、卫生医疗人员培训。", 12000),
    ("云溪区妇幼保健院", "为妇女儿童提供医疗保健服务。妇女保健、儿童保健、孕产期保健、相关医疗服务。", 3500),
    ("云溪区疾病预防控制中心", "疾病预防控制、突发公共卫生事件处置、疫情报告与健康教育。", 1800),
    ("云溪区实验小学", "实施小学义务教育，促进基础教育发展。小学学历教育。", 2600),
    ("云溪区第一中学", "实施初中义务教育和普通高中学历教育。", 5200),
    ("云溪区图书馆", "开展图书借阅、阅读推广、地方文献收藏与公共数字文化服务。", 800),
    ("云溪区文化馆", "开展群众文化活动、非物质文化遗产保护与文艺培训。", 600),
)

COOPERATIVES = (  # 农民专业合作社 (93), in 白沙镇
    ("江东市云溪区白沙镇{tn}蔬菜种植专业合作社", "组织采购、供应成员所需的农业生产资料；组织收购、销售成员种植的蔬菜；开展与蔬菜种植有关的技术培训、技术交流。"),
    ("江东市云溪区白沙镇{tn}水产养殖专业合作社", "组织成员开展淡水鱼虾养殖；收购、销售成员养殖的水产品；提供养殖技术信息与培训。"),
    ("江东市云溪区白沙镇{tn}果蔬专业合作社", "组织成员种植、收购、销售果蔬；开展技术培训与农产品初加工。"),
    ("江东市云溪区白沙镇{tn}农机专业合作社", "为成员提供农机作业、农机维修服务；开展农机技术培训。"),
)

SOLE_AND_PARTNERSHIPS = (  # 个人独资企业 / 合伙企业 (91, 非法人企业)
    ("江东{tn}企业管理咨询合伙企业（有限合伙）", "企业管理咨询；信息咨询服务（不含许可类信息咨询服务）；市场营销策划。", (100, 1000)),
    ("江东市云溪区{tn}装饰设计工作室（个人独资）", "住宅室内装饰装修；工程管理服务；平面设计。", (5, 50)),
    ("江东{tn}投资管理合伙企业（普通合伙）", "以自有资金从事投资活动；企业管理咨询。", (500, 3000)),
    ("江东市云溪区{tn}网络工作室（个人独资）", "网络技术服务；软件开发；互联网销售（除销售需要许可的商品）。", (5, 30)),
)

COMPANIES = 58
SHOPS = 26


@dataclass(frozen=True)
class EnterpriseSpec:
    uscc: str
    name: str
    subject_type: str  # Enterprise.SubjectType value
    kind: str  # company | sole | shop | cooperative | nonprofit | social_group | public_institution
    legal_rep: CitizenSpec
    community: Community
    address: str
    established: date
    business_scope: str
    registered_capital: Decimal | None
    agent: CitizenSpec | None = None
    agent_expired: bool = False
    featured: bool = False


class _Codes:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.seen: set[str] = set()

    def make(self, prefix: str, established: date, style: str = "auto") -> str:
        while True:
            if style == "MJ":
                org8 = "MJ" + "".join(self.rng.choice("0123456789") for _ in range(6))
            elif style == "digits" or (style == "auto" and established.year < 2015):
                org8 = "".join(self.rng.choice("0123456789") for _ in range(8))
            else:  # MA + 6 characters of the USCC alphabet (the first one a digit, as issued)
                org8 = "MA" + self.rng.choice("123456789") + "".join(self.rng.choice(USCC_ALPHABET) for _ in range(5))
            uscc = make_uscc(prefix, DISTRICT[0], org8)
            if uscc not in self.seen:
                self.seen.add(uscc)
                return uscc


def _day(rng: random.Random, first: int, last: int) -> date:
    start = date(first, 1, 1)
    return start + timedelta(days=rng.randrange((date(last, 12, 31) - start).days))


def _capital(rng: random.Random, low: int, high: int) -> Decimal:
    value = rng.randint(low, high)
    round_to = 100 if value >= 1000 else 10 if value >= 100 else 5 if value >= 10 else 1
    return Decimal(max(round_to, value // round_to * round_to)).quantize(Decimal("0.01"))


def _business_address(rng: random.Random, community: Community, shop: bool) -> str:
    street = street_of(community)
    road = rng.choice(community.roads)
    if community.is_village:
        return f"江东市云溪区{street.name}{community.name}{road}{rng.randint(1, 88)}号"
    if shop:
        return f"江东市云溪区{street.name}{road}{rng.randint(1, 299)}号（{rng.choice(community.estates)}沿街商铺）"
    return f"江东市云溪区{street.name}{road}{rng.randint(1, 299)}号{rng.randint(1, 12)}幢{rng.randint(1, 20)}{rng.randint(1, 9):02d}室"


@lru_cache(maxsize=1)
def enterprises() -> tuple[EnterpriseSpec, ...]:
    rng = random.Random("yiwang-demo-enterprises")
    codes = _Codes(rng)
    trade_names = list(TRADE_NAMES)
    rng.shuffle(trade_names)
    everyone = citizens()
    reps = [c for c in everyone if 1955 <= c.birth_date.year <= 1998]  # legal representatives
    rng.shuffle(reps)
    towns = [c for c in COMMUNITIES if c.code.startswith(DISTRICT[0] + "100")]
    out: list[dict] = []

    def add(senior: bool = False, **kw):
        # The head of a hospital or a school is not in their twenties.
        pick = next(i for i in range(len(reps) - 1, -1, -1) if not senior or reps[i].birth_date.year <= 1980)
        kw["legal_rep"] = reps.pop(pick)
        out.append(kw)

    for i in range(COMPANIES):
        industry, suffix, scope, (low, high) = COMPANY_KINDS[i % len(COMPANY_KINDS)]
        tn = trade_names.pop()
        name = f"江东云溪{tn}{suffix}" if rng.random() < 0.3 else f"江东{tn}{suffix}"
        est = _day(rng, 2003, 2025)
        community = rng.choice(COMMUNITIES)
        add(uscc=codes.make("91", est), name=name, subject_type="2", kind="company", industry=industry,
            community=community, address=_business_address(rng, community, False), established=est,
            business_scope=scope, registered_capital=_capital(rng, low, high))
    for pattern, scope, (low, high) in SOLE_AND_PARTNERSHIPS:
        est = _day(rng, 2016, 2025)
        community = rng.choice(COMMUNITIES)
        add(uscc=codes.make("91", est), name=pattern.format(tn=trade_names.pop()), subject_type="5", kind="sole",
            community=community, address=_business_address(rng, community, False), established=est,
            business_scope=scope, registered_capital=_capital(rng, low, high))
    for i in range(SHOPS):
        pattern, scope = SHOP_KINDS[i % len(SHOP_KINDS)]
        est = _day(rng, 2010, 2025)
        community = rng.choice(COMMUNITIES)
        kw = dict(uscc=codes.make("92", est), subject_type="9", kind="shop", community=community,
                  address=_business_address(rng, community, True), established=est, business_scope=scope,
                  registered_capital=_capital(rng, 1, 30))
        add(**kw)
        rep = out[-1]["legal_rep"]
        surname = rep.name[:2] if rep.name[:2] in ("欧阳", "司马") else rep.name[0]
        name = pattern.format(tn=trade_names.pop() if "{tn}" in pattern else "", s=surname)
        while any(o["name"] == name for o in out[:-1]):  # two 老王家面馆 in one district: add the road
            name = name.replace("云溪区", f"云溪区{rng.choice(out[-1]['community'].roads)}", 1)
        out[-1]["name"] = name
    for pattern, scope in COOPERATIVES:
        est = _day(rng, 2008, 2022)
        community = rng.choice(towns)
        add(uscc=codes.make("93", est), name=pattern.format(tn=trade_names.pop()), subject_type="9",
            kind="cooperative", community=community, address=_business_address(rng, community, False),
            established=est, business_scope=scope, registered_capital=_capital(rng, 50, 500))
    for i in range(6):
        pattern, scope = NONPROFIT_KINDS[i % len(NONPROFIT_KINDS)]
        est = _day(rng, 2012, 2024)
        community = rng.choice(COMMUNITIES)
        add(uscc=codes.make("52", est, "MJ"), name=pattern.format(tn=trade_names.pop()), subject_type="4",
            kind="nonprofit", community=community, address=_business_address(rng, community, False),
            established=est, business_scope=scope, registered_capital=_capital(rng, 3, 100))
    for name, scope in SOCIAL_GROUPS:
        est = _day(rng, 1998, 2018)
        community = rng.choice(COMMUNITIES)
        add(uscc=codes.make("51", est, "MJ"), name=name, subject_type="4", kind="social_group", community=community,
            address=_business_address(rng, community, False), established=est, business_scope=scope,
            registered_capital=_capital(rng, 3, 10))
    for name, scope, capital in PUBLIC_INSTITUTIONS:
        est = _day(rng, 1952, 2005)
        community = rng.choice(COMMUNITIES)
        add(senior=True, uscc=codes.make("12", est, "digits"), name=name, subject_type="3", kind="public_institution",
            community=community, address=_business_address(rng, community, False), established=est,
            business_scope=scope, registered_capital=Decimal(capital).quantize(Decimal("0.01")))

    # Five shown as demo logins: two with an agent, three signing in as legal representative.
    def first(pred):
        return next(o for o in out if pred(o))

    featured = [
        first(lambda o: o.get("industry") == "餐饮"),
        first(lambda o: o.get("industry") == "科技"),
        first(lambda o: o["kind"] == "shop"),
        first(lambda o: o["kind"] == "nonprofit"),
        first(lambda o: o["kind"] == "cooperative"),
    ]
    for o in featured:
        o["featured"] = True
    with_agent = [featured[0], featured[3]]
    others = [o for o in out if not o.get("featured")]
    rng.shuffle(others)
    with_agent += others[: AGENTS - len(with_agent)]
    expired = others[AGENTS - 2]
    taken = {o["legal_rep"] for o in out}
    agent_pool = [c for c in everyone if 1965 <= c.birth_date.year <= 2002 and c not in taken]
    rng.shuffle(agent_pool)
    for o in with_agent:
        o["agent"] = agent_pool.pop()
    expired["agent"] = agent_pool.pop()
    expired["agent_expired"] = True

    result = []
    for o in out:
        o.pop("industry", None)
        result.append(EnterpriseSpec(**o))
    return tuple(result)
