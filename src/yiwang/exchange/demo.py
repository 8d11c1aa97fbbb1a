"""The demo district's data registries, generated deterministically for the demo citizens and
enterprises already in the database (``manage.py load_demo`` first), and the catalog entries,
clients and grants that let the case pipeline use them. ``manage.py load_demo_exchange`` loads it;
a second run creates nothing.

Every value is derived from the person's or enterprise's own record (name, gender, birth date,
address, community) and a random generator seeded by their number, so spouses name each other,
children's birth certificates name their parents, and the enterprise registry is the enterprise
table itself; the name declarations are the enterprises' own, filed by their legal representatives.
Besides the residents, the population registry holds a few who died just before REFERENCE_DAY —
parents in a resident's household, with no platform account, marked 死亡 — whom the death medical
certificates (居民死亡医学证明信息) name.
"""

from __future__ import annotations

import hashlib
import hmac
import random
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

REFERENCE_DAY = date(2026, 1, 1)  # ages are computed on this day, so the data does not drift
PIPELINE_PURPOSE = "一网通办办件“免提交”材料自动调取（申请人授权，按办件记录用途）"
PIPELINE_ITEMS: list[str] = []

# code: (name, provider, subject kind, share class, frequency, licence types, legal basis, conditions, fields)
RESOURCES: dict[str, tuple] = {
    "GA-HJXX": ("人口户籍信息", "YX-GA", "resident_id", "unconditional", "realtime", ["JMSFZ"],
                "《中华人民共和国户口登记条例》；《中华人民共和国居民身份证法》；《政务信息资源共享管理暂行办法》（国发〔2016〕51号）：人口基础信息无条件共享",
                "", [("name", "姓名"), ("gender", "性别"), ("birth_date", "出生日期"), ("ethnicity", "民族"),
                     ("address", "住址"), ("household_division", "户籍地"), ("household_number", "户号"),
                     ("relation", "与户主关系"), ("status", "人员状态")]),
    "MZ-HYDJ": ("婚姻登记信息", "YX-MZ", "resident_id", "conditional", "realtime", ["JHZ"],
                "《婚姻登记条例》；《政务信息资源共享管理暂行办法》（国发〔2016〕51号）",
                "仅用于办理须核验婚姻状况的政务服务事项（户籍、住房保障、社会救助、不动产登记等），不得用于其他用途",
                [("marital_status", "婚姻状况"), ("spouse_name", "配偶姓名"), ("spouse_id", "配偶身份证号码"),
                 ("registered_on", "登记日期"), ("certificate_no", "结婚证字号"), ("registry", "登记机关")]),
    "WJ-CSYXZM": ("出生医学证明信息", "YX-WJW", "resident_id", "conditional", "daily", ["CSYXZM"],
                  "《中华人民共和国母婴保健法》第二十三条；《出生医学证明管理办法》",
                  "用于出生登记、预防接种、入学、医保参保等事项，按最小必要原则申请信息项",
                  [("child_name", "新生儿姓名"), ("gender", "性别"), ("birth_date", "出生日期"),
                   ("birth_place", "出生地点"), ("mother_name", "母亲姓名"), ("father_name", "父亲姓名"),
                   ("certificate_no", "出生医学证明编号")]),
    "SC-QYDJ": ("企业登记信息", "YX-SCJG", "uscc", "unconditional", "realtime", ["YYZZ"],
                "《中华人民共和国市场主体登记管理条例》；《企业信息公示暂行条例》；国发〔2016〕51号：法人单位基础信息无条件共享",
                "", [("name", "名称"), ("subject_type", "主体类型"), ("legal_representative", "法定代表人"),
                     ("address", "住所"), ("established", "成立日期"), ("registered_capital", "注册资本（万元）"),
                     ("business_scope", "经营范围"), ("status", "登记状态")]),
    "RS-CBJF": ("社会保险参保缴费信息", "YX-RS", "resident_id", "conditional", "monthly", [],
                "《中华人民共和国社会保险法》第七十四条；国发〔2016〕51号",
                "用于社会保障待遇、住房保障、积分入学等须核验参保情况的事项",
                [("status", "参保状态"), ("employer", "参保单位"), ("insurance_types", "参保险种"),
                 ("first_enrolled", "首次参保年月"), ("paid_months", "累计缴费月数")]),
    "ZRZY-BDC": ("不动产登记信息", "YX-ZRZY", "resident_id", "conditional", "daily", ["BDCQZS"],
                 "《不动产登记暂行条例》第二十七条；《不动产登记资料查询暂行办法》",
                 "仅限办理与不动产相关的政务服务事项，不得泄露权利人信息",
                 [("certificate_no", "不动产权证号"), ("location", "坐落"), ("area", "建筑面积（平方米）"),
                  ("use", "用途"), ("ownership", "共有情况"), ("co_owner", "共有人"), ("registered_on", "登记日期")]),
    "SW-WSZM": ("税收完税信息", "YX-SWJ", "resident_id", "conditional", "monthly", [],
                "《中华人民共和国税收征收管理法》第八条、第八十六条；国发〔2016〕51号",
                "用于须核验纳税情况的事项（人才认定、住房保障等），不得用于其他用途",
                [("tax_year", "纳税年度"), ("tax_type", "税种"), ("amount", "已缴税额（元）"),
                 ("certificate_no", "完税证明编号")]),
    "JY-XLXX": ("学历学位信息", "YX-JYJ", "resident_id", "conditional", "yearly", [],
                "《中华人民共和国教育法》；《高等学校学生学籍学历电子注册办法》",
                "用于教师资格认定、人才引进、职称评审等须核验学历的事项",
                [("education", "学历"), ("school", "毕业院校"), ("major", "专业"), ("graduated", "毕业年份")]),
    "WJ-JKZM": ("从业人员健康证明信息", "YX-WJW", "resident_id", "conditional", "daily", [],
                "《中华人民共和国食品安全法》第四十五条；《公共场所卫生管理条例》",
                "用于食品经营、公共场所卫生许可等事项核验从业人员健康状况",
                [("certificate_no", "健康证明编号"), ("issued_on", "体检日期"), ("valid_until", "有效期至"),
                 ("result", "体检结论")]),
    "JY-PTH": ("普通话水平测试信息", "YX-JYJ", "resident_id", "conditional", "monthly", [],
               "《中华人民共和国国家通用语言文字法》；《普通话水平测试管理规定》",
               "用于教师资格认定等须核验普通话水平的事项",
               [("level", "测试等级"), ("score", "成绩"), ("tested_on", "测试日期"), ("certificate_no", "证书编号")]),
    "MZ-JJHD": ("居民家庭经济状况核对信息", "YX-MZ", "resident_id", "conditional", "on_change", [],
                "《社会救助暂行办法》第十一条；《江东省居民家庭经济状况核对办法》",
                "仅用于社会救助、住房保障等须核对家庭经济状况的事项，须经申请人书面授权",
                [("conclusion", "核对结论"), ("checked_on", "核对日期"), ("monthly_income_per_capita", "家庭月人均收入（元）"),
                 ("family_size", "共同生活家庭人口")]),
    "ZJ-HTBA": ("工程合同备案信息", "YX-ZJ", "uscc", "conditional", "daily", [],
                "《建筑工程施工发包与承包计价管理办法》第十三条；《江东省建设工程合同备案管理规定》",
                "用于施工许可、竣工验收备案等工程建设事项",
                [("contract_no", "备案编号"), ("project", "工程名称"), ("contractor", "承包单位"),
                 ("amount", "合同价款（万元）"), ("filed_on", "备案日期")]),
    "WJ-SWZM": ("居民死亡医学证明信息", "YX-WJW", "resident_id", "conditional", "daily", [],
                "《人口死亡信息登记管理规范（试行）》；国卫规划发〔2013〕57号",
                "用于户口注销、殡葬、社保待遇终止等身后事事项",
                [("name", "死者姓名"), ("gender", "性别"), ("death_date", "死亡日期"), ("cause", "死亡原因"),
                 ("institution", "出具机构"), ("certificate_no", "证明编号")]),
    # The name declaration is filed by a person before the enterprise (and its USCC) exists, so the
    # subject is the declarant's resident ID; after registration the record names the USCC.
    "SC-MCSB": ("企业名称申报信息", "YX-SCJG", "resident_id", "conditional", "realtime", [],
                "《企业名称登记管理规定》（国务院令第734号）；《企业名称登记管理规定实施办法》（国家市场监督管理总局令第82号）；"
                "《中华人民共和国市场主体登记管理条例》",
                "用于企业开办（设立登记、印章刻制、涉税事项、社保登记）等事项核验名称自主申报结果",
                [("declaration_no", "申报编号"), ("name", "企业名称"), ("organisation_form", "组织形式"),
                 ("declarant", "申报人"), ("declared_on", "申报日期"), ("status", "申报状态"),
                 ("uscc", "统一社会信用代码")]),
    # 交强险 policies are written by insurers, not by a government body; their data is collected by the
    # national vehicle-insurance platform (车险信息平台, run by 中国银保信 under 国家金融监督管理总局), and
    # the traffic police's vehicle registry (车辆管理所) holds each vehicle's 交强险 through its link with
    # that platform: it checks the electronic policy at registration, transfer and inspection instead of
    # the paper 凭证 (条例第四条: 公安交管部门对投保情况实施监督检查). The district has no financial
    # regulator, so the police — the government body that holds the data here — provide it.
    "YB-JQX": ("交强险电子保单信息", "YX-GA", "resident_id", "conditional", "realtime", [],
               "《中华人民共和国道路交通安全法》第十七条；《机动车交通事故责任强制保险条例》第四条；"
               "《机动车登记规定》（公安部令第164号）",
               "用于机动车注册、转移登记、检验合格标志核发和交通事故处理等事项核验交强险投保情况",
               [("policy_no", "保单号"), ("insurer", "承保机构"), ("plate_no", "号牌号码"), ("vin", "车辆识别代号"),
                ("vehicle_type", "车辆类型"), ("period_from", "保险起期"), ("period_until", "保险止期"),
                ("premium", "保险费（元）")]),
    "GA-WFFZ": ("违法犯罪记录信息", "YX-GA", "resident_id", "not_shared", "realtime", [],
                "《中华人民共和国治安管理处罚法》；《公安机关办理犯罪记录查询工作规定》",
                "依《公安机关办理犯罪记录查询工作规定》仅依申请向本人或依法查询的机关出具，不纳入部门间共享",
                [("has_record", "有无犯罪记录")]),
}

#: Grants besides the pipeline's: (resource, grantee, fields or None for all, purpose)
DEPARTMENT_GRANTS = (
    ("RS-CBJF", "YX-MZ", ["status", "employer", "paid_months"], "最低生活保障、临时救助审核时核验家庭成员就业参保情况"),
    ("WJ-CSYXZM", "YX-GA", None, "出生登记（新生儿落户）核验出生医学证明"),
    ("MZ-HYDJ", "YX-ZRZY", ["marital_status", "spouse_name", "registered_on"], "不动产转移、继承登记核验婚姻状况"),
)

#: Pending requests for the supervisor and steward pages: (resource, requester, fields, purpose, working days ago)
PENDING_REQUESTS = (
    ("ZRZY-BDC", "YX-JYJ", ["location", "registered_on"], "义务教育新生入学学区房产核验", 14),
    ("MZ-HYDJ", "YX-GJJ", ["marital_status", "spouse_name"], "住房公积金提取核验配偶关系", 2),
)

HOSPITALS = ("云溪区人民医院", "云溪区妇幼保健院", "江东市第一人民医院", "江东市妇幼保健院")
ETHNICITIES = (("汉族", 920), ("回族", 20), ("满族", 15), ("壮族", 10), ("苗族", 10), ("土家族", 10), ("蒙古族", 8),
               ("彝族", 7))
SCHOOLS = ("江东大学", "江东师范学院", "江东职业技术学院", "南京大学", "东南大学", "江苏大学", "苏州大学",
           "江东市云溪中学", "江东广播电视大学")
MAJORS = ("汉语言文学", "计算机科学与技术", "会计学", "临床医学", "机械设计制造及其自动化", "法学", "护理学",
          "市场营销", "土木工程", "学前教育")
DECEASED = 6  # residents who died shortly before REFERENCE_DAY (a parent in a demo resident's household)
DEATH_CAUSES = ("急性心肌梗死", "脑梗死", "脑出血", "慢性阻塞性肺疾病急性加重", "肺恶性肿瘤", "肝恶性肿瘤", "呼吸衰竭",
                "冠状动脉粥样硬化性心脏病")
DEATH_INSTITUTIONS = ("云溪区人民医院", "江东市第一人民医院", "云溪区望江街道社区卫生服务中心", "云溪区白沙镇卫生院")
PENDING_DECLARATIONS = 4  # name declarations filed, the enterprise not registered yet
INSURERS = (("中国人民财产保险股份有限公司江东市分公司", "PDZA"), ("中国平安财产保险股份有限公司江东分公司", "APJQ"),
            ("中国太平洋财产保险股份有限公司江东中心支公司", "ACPJ"), ("中华联合财产保险股份有限公司江东中心支公司", "CUJQ"))
#: (vehicle type, 交强险 base premium in yuan: 家庭自用汽车 6 座以下 950 元, 非营业货车 2 吨以下 1,200 元)
VEHICLE_TYPES = (("小型轿车", 950, 55), ("小型普通客车", 950, 25), ("小型越野客车", 950, 15), ("轻型普通货车", 1200, 5))
VIN_MAKERS = ("LSV", "LFV", "LVS", "LGB", "LGW", "LRW", "LBV", "LDC")
PLATE_PREFIX = "苏J"  # the demo city's vehicle registry


def demo_client_secret(key_id: str) -> str:
    """Fixed per key id, so the demo clients' printed secrets survive re-runs (demo only)."""
    return hmac.new(b"yiwang-demo-exchange", key_id.encode(), hashlib.sha256).hexdigest()


@dataclass
class Person:
    number: str
    name: str
    gender: str  # M | F
    birth: date
    address: str
    division: str  # community name chain

    @property
    def age(self) -> int:
        b = self.birth
        return REFERENCE_DAY.year - b.year - ((REFERENCE_DAY.month, REFERENCE_DAY.day) < (b.month, b.day))


def _rng(*parts) -> random.Random:
    return random.Random(":".join(["yiwang-exchange", *map(str, parts)]))


def _weighted(rng, pairs):
    items, weights = zip(*pairs)
    return rng.choices(items, weights=weights, k=1)[0]


def _people() -> list[Person]:
    from yiwang.accounts.models import User

    rows = []
    for u in User.objects.filter(kind=User.Kind.CITIZEN).select_related("division", "division__parent"):
        if not u.id_number or not u.birth_date:
            continue
        chain = ""
        if u.division_id:
            street = u.division.parent.name if u.division.parent_id else ""
            chain = f"{street}{u.division.name}"
        rows.append(Person(u.id_number, u.name, u.gender or "M", u.birth_date, u.address, chain))
    rows.sort(key=lambda p: p.number)
    return rows


def _fmt(d: date) -> str:
    return d.isoformat()


def _marriages(people: list[Person]) -> dict[str, dict]:
    """Pairs of demo residents who married each other (some divorced since), deterministic."""
    rng = _rng("marriage")
    men = [p for p in people if p.gender == "M" and p.age >= 23]
    women = [p for p in people if p.gender == "F" and p.age >= 21]
    rng.shuffle(men)
    rng.shuffle(women)
    taken: set[str] = set()
    out: dict[str, dict] = {}
    for man in men:
        if rng.random() > 0.72:
            continue
        partner = next((w for w in women if w.number not in taken and abs(w.birth.year - man.birth.year) <= 5), None)
        if partner is None:
            continue
        taken.add(partner.number)
        youngest = max(man.birth, partner.birth)
        earliest = date(max(youngest.year + 22, 1980), 1, 1)
        latest = date(2025, 12, 31)
        if earliest > latest:
            earliest = latest - timedelta(days=200)
        span = (latest - earliest).days
        registered = earliest + timedelta(days=rng.randrange(max(span, 1)))
        divorced = rng.random() < 0.08
        no = f"J329002-{registered.year}-{rng.randrange(1, 999999):06d}"
        for me, other in ((man, partner), (partner, man)):
            out[me.number] = {
                "marital_status": "离婚" if divorced else "已婚",
                "spouse_name": other.name, "spouse_id": other.number,
                "registered_on": _fmt(registered), "certificate_no": no,
                "registry": "云溪区民政局婚姻登记处",
            }
    return out


_VIN_VALUES = {**{str(d): d for d in range(10)}, **dict(zip("ABCDEFGH", range(1, 9))),
               **dict(zip("JKLMN", range(1, 6))), "P": 7, "R": 9, **dict(zip("STUVWXYZ", range(2, 10)))}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
_VIN_ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
_VIN_YEARS = dict(zip(range(2010, 2027), "ABCDEFGHJKLMNPRST"))


def vin(rng: random.Random, model_year: int) -> str:
    """A 17-character vehicle identification number with its GB 16735 (ISO 3779) check digit."""
    body = (rng.choice(VIN_MAKERS) + "".join(rng.choice(_VIN_ALPHABET) for _ in range(5)) + "0"
            + _VIN_YEARS[model_year] + rng.choice("ABCDEFGHJK") + f"{rng.randrange(10 ** 6):06d}")
    check = sum(_VIN_VALUES[c] * w for c, w in zip(body, _VIN_WEIGHTS)) % 11
    return body[:8] + ("X" if check == 10 else str(check)) + body[9:]


def _legal_reps() -> dict[str, str]:
    """{enterprise USCC: its legal representative's resident ID number} from the demo memberships."""
    from yiwang.accounts.models import EnterpriseMember

    return {uscc: number for uscc, number in EnterpriseMember.objects.filter(kind=EnterpriseMember.Kind.LEGAL_REP)
            .values_list("enterprise__uscc", "user__id_number") if number}


def _organisation_form(name: str) -> str:
    for marker, form in (("有限合伙", "有限合伙企业"), ("普通合伙", "普通合伙企业"), ("个人独资", "个人独资企业"),
                         ("股份有限公司", "股份有限公司")):
        if marker in name:
            return form
    return "有限责任公司"


def demo_registry() -> dict[str, dict[str, dict]]:
    """The demo registries as generated for the residents and enterprises now in the database:
    ``{resource code: {subject number: values}}``. The licence library's demo 结婚证 (MZ-HYDJ),
    居住证 (GA-HJXX, RS-CBJF, ZRZY-BDC) and 执业资格证书 (JY-XLXX) are issued from them, so a licence agrees with
    the records behind it whichever of the two demo loaders runs first."""
    from yiwang.accounts.models import Enterprise

    data = generate(_people(), list(Enterprise.objects.order_by("uscc")), legal_reps=_legal_reps())
    return {code: dict(rows) for code, rows in data.items()}


def generate(people: list[Person], enterprises, legal_reps: dict[str, str] | None = None,
             ) -> dict[str, list[tuple[str, dict]]]:
    """{resource code: [(subject number, values)]} for the demo registries. ``legal_reps`` maps an
    enterprise's USCC to its legal representative's ID number (the name declarant)."""
    from yiwang.core.demo.enterprises import COMPANY_KINDS, TRADE_NAMES
    from yiwang.core.demo.people import NameMaker
    from yiwang.core.identity import make_resident_id

    marriages = _marriages(people)
    by_number = {p.number: p for p in people}
    employers = [e.name for e in enterprises if e.is_active] or ["云溪区人民医院"]
    out: dict[str, list[tuple[str, dict]]] = {code: [] for code in RESOURCES}

    # 人口户籍信息
    for p in people:
        rng = _rng("hj", p.number)
        local = p.number.startswith("329002") or rng.random() < 0.7
        household = f"江苏省江东市云溪区{p.division}" if local else f"外地户籍（行政区划 {p.number[:6]}）"
        wife = marriages.get(p.number, {}).get("marital_status") == "已婚" and p.gender == "F"
        out["GA-HJXX"].append((p.number, {
            "name": p.name, "gender": "男" if p.gender == "M" else "女", "birth_date": _fmt(p.birth),
            "ethnicity": _weighted(rng, ETHNICITIES), "address": p.address, "household_division": household,
            "household_number": f"{p.number[:6]}{rng.randrange(10 ** 6):06d}",
            "relation": "子女" if p.age < 18 else ("配偶" if wife else "户主"), "status": "正常",
        }))

    # 居民死亡医学证明信息: a parent living in a demo resident's household died in the weeks before
    # REFERENCE_DAY. The deceased have no platform account; the population registry keeps them, in
    # the household of the child who reports the death, marked 死亡 (their 户口 is not cancelled yet).
    household = dict(out["GA-HJXX"])
    numbers = set(household)
    candidates = [p for p in people if 45 <= p.age <= 72 and household[p.number]["relation"] == "户主"
                  and household[p.number]["household_division"].startswith("江苏省江东市云溪区")]
    rng = _rng("swzm")
    for child in rng.sample(candidates, min(DECEASED, len(candidates))):
        gender = rng.choice("MF")
        birth = date(max(child.birth.year - rng.randint(24, 34), 1925), 1, 1) + timedelta(days=rng.randrange(365))
        name = NameMaker(rng).name(gender, birth.year)
        if gender == "M":  # the father passed his surname on
            surname = child.name[:2] if child.name[:2] in ("欧阳", "司马") else child.name[0]
            name = surname + name[2 if name[:2] in ("欧阳", "司马") else 1:]
        while True:
            seq = rng.randrange(0, 500) * 2 + (1 if gender == "M" else 0)  # the 17th digit: odd for men
            number = make_resident_id("329002", birth, seq)
            if number not in numbers:
                numbers.add(number)
                break
        died = REFERENCE_DAY - timedelta(days=rng.randint(5, 60))
        row = household[child.number]
        out["GA-HJXX"].append((number, {
            "name": name, "gender": "男" if gender == "M" else "女", "birth_date": _fmt(birth),
            "ethnicity": row["ethnicity"], "address": row["address"], "household_division": row["household_division"],
            "household_number": row["household_number"], "relation": "父亲" if gender == "M" else "母亲",
            "status": "死亡"}))
        out["WJ-SWZM"].append((number, {
            "name": name, "gender": "男" if gender == "M" else "女", "death_date": _fmt(died),
            "cause": rng.choice(DEATH_CAUSES), "institution": rng.choice(DEATH_INSTITUTIONS),
            "certificate_no": f"S329002{died:%Y}{rng.randrange(10 ** 6):06d}"}))

    # 婚姻登记信息
    for number in sorted(marriages):
        out["MZ-HYDJ"].append((number, marriages[number]))

    # 出生医学证明信息: residents born in 2000 or later, parents found among registered couples
    couples = {}
    for number, m in marriages.items():
        me = by_number[number]
        if me.gender == "F" and m["marital_status"] == "已婚":
            couples[number] = (me, by_number.get(m["spouse_id"]), date.fromisoformat(m["registered_on"]))
    mothers = sorted(couples.values(), key=lambda c: c[0].number)
    for p in people:
        if p.birth.year < 2000:
            continue
        rng = _rng("birth", p.number)
        fitting = [c for c in mothers if c[2] <= p.birth and 20 <= (p.birth.year - c[0].birth.year) <= 42]
        if fitting:
            mother, father, _reg = rng.choice(fitting)
            mother_name, father_name = mother.name, father.name if father else ""
        else:
            names = NameMaker(rng)
            mother_name, father_name = names.name("F", p.birth.year - 28), p.name[0] + names.name("M", p.birth.year - 30)[1:]
        out["WJ-CSYXZM"].append((p.number, {
            "child_name": p.name, "gender": "男" if p.gender == "M" else "女", "birth_date": _fmt(p.birth),
            "birth_place": rng.choice(HOSPITALS), "mother_name": mother_name, "father_name": father_name,
            "certificate_no": f"{'NOPQ'[p.birth.year % 4]}{rng.randrange(10 ** 9):09d}",
        }))

    # 企业登记信息: the enterprise table itself
    for e in enterprises:
        out["SC-QYDJ"].append((e.uscc, {
            "name": e.name, "subject_type": e.get_subject_type_display(),
            "legal_representative": e.legal_representative, "address": e.address,
            "established": _fmt(e.established) if e.established else "",
            "registered_capital": str(e.registered_capital) if e.registered_capital is not None else "",
            "business_scope": e.business_scope, "status": "存续" if e.is_active else "注销",
        }))

    for p in people:
        rng = _rng("rs", p.number)
        retired = p.age >= (60 if p.gender == "M" else 55)
        employed = None
        if 18 <= p.age and not retired and rng.random() < 0.9:
            employed = rng.choice(employers) if rng.random() < 0.85 else "灵活就业人员"
            start = max(p.birth.year + 20, 1995)
            months = max(1, (2025 - start) * 12 + 12 - rng.randrange(0, 24))
            out["RS-CBJF"].append((p.number, {
                "status": "正常参保缴费", "employer": employed,
                "insurance_types": "养老、医疗" if employed == "灵活就业人员" else "养老、医疗、失业、工伤、生育",
                "first_enrolled": f"{start}-{rng.randrange(1, 13):02d}", "paid_months": months,
            }))
        elif retired:
            out["RS-CBJF"].append((p.number, {
                "status": "退休（按月领取基本养老金）", "employer": "", "insurance_types": "养老、医疗",
                "first_enrolled": f"{max(p.birth.year + 20, 1992)}-01", "paid_months": rng.randrange(180, 480),
            }))
        # 税收完税信息
        if employed and employed != "灵活就业人员" and rng.random() < 0.6:
            out["SW-WSZM"].append((p.number, {
                "tax_year": "2025", "tax_type": "个人所得税（工资薪金所得）",
                "amount": f"{rng.randrange(300, 48000)}.{rng.randrange(100):02d}",
                "certificate_no": f"(2025)苏电完{rng.randrange(10 ** 10):010d}",
            }))
        # 学历学位信息
        if p.age >= 22 and rng.random() < 0.7:
            level = _weighted(rng, (("大学本科", 40), ("大学专科", 30), ("硕士研究生", 10), ("高中", 20)))
            grad = p.birth.year + {"大学本科": 22, "大学专科": 21, "硕士研究生": 25, "高中": 18}[level]
            out["JY-XLXX"].append((p.number, {
                "education": level, "school": rng.choice(SCHOOLS[-2:] if level == "高中" else SCHOOLS[:-2]),
                "major": "" if level == "高中" else rng.choice(MAJORS), "graduated": str(grad),
            }))
        # 普通话水平测试信息
        if 18 <= p.age < 60 and rng.random() < 0.2:
            tested = date(rng.randrange(max(p.birth.year + 18, 2005), 2026), rng.randrange(1, 13), rng.randrange(1, 29))
            score = rng.randrange(80, 98)
            level = "一级乙等" if score >= 92 else "二级甲等" if score >= 87 else "二级乙等"
            out["JY-PTH"].append((p.number, {"level": level, "score": f"{score}.{rng.randrange(10)}",
                                             "tested_on": _fmt(tested),
                                             "certificate_no": f"32{tested.year}{rng.randrange(10 ** 9):09d}"}))
        # 居民家庭经济状况核对信息 (those who applied for assistance)
        if p.age >= 18 and rng.random() < 0.08:
            income = rng.randrange(400, 2600)
            out["MZ-JJHD"].append((p.number, {
                "conclusion": "符合最低生活保障条件" if income < 1000 else "不符合最低生活保障条件",
                "checked_on": _fmt(date(2025, rng.randrange(1, 13), rng.randrange(1, 29))),
                "monthly_income_per_capita": income, "family_size": rng.randrange(1, 6)}))
        # 从业人员健康证明信息
        if 18 <= p.age < 60 and rng.random() < 0.12:
            issued = date(2025, 1, 1) + timedelta(days=rng.randrange(365))
            out["WJ-JKZM"].append((p.number, {
                "certificate_no": f"JK329002{issued:%Y}{rng.randrange(10 ** 6):06d}", "issued_on": _fmt(issued),
                "valid_until": _fmt(issued + timedelta(days=365)), "result": "合格",
            }))

    # 企业名称申报信息: each demo enterprise's name was declared by its legal representative a few
    # days before it was established; a few residents have declared a name and not registered yet
    by_uscc = {e.uscc: e for e in enterprises}
    declarants: set[str] = set()
    for uscc, number in sorted((legal_reps or {}).items()):
        e = by_uscc.get(uscc)
        if e is None or number not in by_number or e.subject_type not in ("2", "5") or not e.established:
            continue
        rng = _rng("mcsb", uscc)
        declared = e.established - timedelta(days=rng.randint(2, 20))
        declarants.add(number)
        out["SC-MCSB"].append((number, {
            "declaration_no": f"MC329002{declared:%Y%m%d}{rng.randrange(10 ** 4):04d}", "name": e.name,
            "organisation_form": _organisation_form(e.name), "declarant": by_number[number].name,
            "declared_on": _fmt(declared), "status": "已使用（已办理设立登记）", "uscc": uscc}))
    rng = _rng("mcsb", "pending")
    free_names = [t for t in TRADE_NAMES if not any(t in e.name for e in enterprises)]
    hopefuls = [p for p in people if 25 <= p.age <= 55 and p.number not in declarants]
    for p, trade_name in zip(rng.sample(hopefuls, min(PENDING_DECLARATIONS, len(hopefuls))),
                             rng.sample(free_names, min(PENDING_DECLARATIONS, len(free_names)))):
        _industry, suffix, _scope, _capital = rng.choice(COMPANY_KINDS)
        declared = REFERENCE_DAY - timedelta(days=rng.randint(3, 20))
        out["SC-MCSB"].append((p.number, {
            "declaration_no": f"MC329002{declared:%Y%m%d}{rng.randrange(10 ** 4):04d}",
            "name": f"江东{trade_name}{suffix}", "organisation_form": "有限责任公司", "declarant": p.name,
            "declared_on": _fmt(declared), "status": "已申报，待办理设立登记", "uscc": ""}))

    # 交强险电子保单信息: residents' cars (a few brand new, insured before their registration)
    for p in people:
        rng = _rng("jqx", p.number)
        if not 20 <= p.age <= 75 or rng.random() >= 0.3:
            continue
        new_car = rng.random() < 0.1
        vehicle_type, base, _w = _weighted(rng, [((t, b, w), w) for t, b, w in VEHICLE_TYPES])
        start = REFERENCE_DAY - timedelta(days=rng.randint(0, 20) if new_car else rng.randint(0, 330))
        insurer, prefix = rng.choice(INSURERS)
        factor = 1.0 if new_car else rng.choice((1.0, 0.9, 0.8, 0.7, 0.7, 0.6, 1.1))
        plate = "新车未上牌" if new_car else f"{PLATE_PREFIX}·{rng.choice('ABCDEFGHJK')}{rng.randrange(10 ** 4):04d}"
        try:
            until = start.replace(year=start.year + 1) - timedelta(days=1)
        except ValueError:  # 29 February
            until = start.replace(year=start.year + 1, day=28)
        model_year = start.year if new_car else rng.randint(max(2010, start.year - 12), start.year)
        out["YB-JQX"].append((p.number, {
            "policy_no": f"{prefix}{start:%Y}329002{rng.randrange(10 ** 8):08d}", "insurer": insurer,
            "plate_no": plate, "vin": vin(rng, model_year),
            "vehicle_type": vehicle_type, "period_from": _fmt(start), "period_until": _fmt(until),
            "premium": f"{base * factor:.2f}"}))

    # 工程合同备案信息: construction companies
    for e in enterprises:
        if "建筑" not in e.name and "建设" not in e.name:
            continue
        rng = _rng("htba", e.uscc)
        filed = date(2025, rng.randrange(1, 13), rng.randrange(1, 29))
        out["ZJ-HTBA"].append((e.uscc, {
            "contract_no": f"HT329002{filed:%Y%m}{rng.randrange(10 ** 4):04d}",
            "project": f"云溪区{rng.choice(['望江', '白沙', '翠屏', '锦绣', '观澜'])}{rng.choice(['安置房', '学校', '社区服务中心', '道路提升'])}工程",
            "contractor": e.name, "amount": f"{rng.randrange(200, 9000)}.00", "filed_on": _fmt(filed)}))

    # 不动产登记信息: couples first (most own jointly), then single adults
    done: set[str] = set()
    for number in sorted(marriages):
        m = marriages[number]
        if number in done or m["marital_status"] != "已婚":
            continue
        me, spouse = by_number[number], by_number[m["spouse_id"]]
        done.update({number, spouse.number})
        rng = _rng("bdc", min(number, spouse.number))
        if rng.random() >= 0.7:
            continue
        husband = me if me.gender == "M" else spouse
        year = rng.randrange(max(date.fromisoformat(m["registered_on"]).year, 2016), 2026)
        cert = f"苏（{year}）江东市不动产权第{rng.randrange(10 ** 7):07d}号"
        area = f"{rng.randrange(55, 180)}.{rng.randrange(100):02d}"
        registered = date(year, rng.randrange(1, 13), rng.randrange(1, 29))
        for a, b in ((me, spouse), (spouse, me)):
            out["ZRZY-BDC"].append((a.number, {
                "certificate_no": cert, "location": husband.address, "area": area, "use": "住宅",
                "ownership": "共同共有", "co_owner": b.name, "registered_on": _fmt(registered)}))
    for p in people:
        if p.number in done or p.age < 25:
            continue
        rng = _rng("bdc", p.number)
        if rng.random() >= 0.45:
            continue
        year = rng.randrange(2016, 2026)
        out["ZRZY-BDC"].append((p.number, {
            "certificate_no": f"苏（{year}）江东市不动产权第{rng.randrange(10 ** 7):07d}号", "location": p.address,
            "area": f"{rng.randrange(45, 160)}.{rng.randrange(100):02d}", "use": "住宅", "ownership": "单独所有",
            "co_owner": "", "registered_on": _fmt(date(year, rng.randrange(1, 13), rng.randrange(1, 29)))}))
    return out


def load(stdout=None) -> dict[str, dict[str, int]]:
    """Load (or complete) the demo exchange. Returns ``{what: {"created": n, "existing": m}}``."""
    from yiwang.accounts.models import Enterprise
    from yiwang.core import audit
    from yiwang.core.models import Department
    from yiwang.core.workdays import add_working_days, end_of_day

    from . import services
    from .models import (
        DataResource,
        ExchangeClient,
        Grant,
        RequestStatus,
        ResourceStatus,
        ShareClass,
        ShareRequest,
    )

    counts: dict[str, dict[str, int]] = {}

    def count(key, created, existing):
        counts[key] = {"created": created, "existing": existing}
        if stdout is not None:
            stdout.write(f"  {key}: {created} created, {existing} existing\n")

    depts = {d.code: d for d in Department.objects.all()}
    platform_code = services.platform_department_code()
    needed = {spec[1] for spec in RESOURCES.values()} | {platform_code}
    missing = sorted(needed - set(depts))
    if missing:
        raise RuntimeError("demo departments missing (run `manage.py load_demo` first): " + ", ".join(missing))
    now = timezone.now()
    today = timezone.localdate()
    until = today + timedelta(days=3 * 365)
    with transaction.atomic():
        # catalog
        have = {r.code: r for r in DataResource.objects.filter(code__in=list(RESOURCES))}
        created = 0
        for code, (name, provider, kind, share, freq, licences, basis, conditions, fields) in RESOURCES.items():
            if code in have:
                continue
            have[code] = DataResource.objects.create(
                code=code, name=name, provider=depts[provider], subject_kind=kind, share_class=share,
                update_frequency=freq, licence_types=licences, legal_basis=basis, share_conditions=conditions,
                description=f"{depts[provider].name}提供的{name}。",
                fields=[{"key": k, "name": n} for k, n in fields], status=ResourceStatus.PUBLISHED, published_at=now)
            created += 1
        count("resources", created, len(RESOURCES) - created)

        # clients: one per provider department and the platform's (the case pipeline)
        wanted = sorted({spec[1] for spec in RESOURCES.values()} | {platform_code})
        existing_clients = set(ExchangeClient.objects.values_list("key_id", flat=True))
        created = 0
        for code in wanted:
            key_id = f"{code.lower()}-demo"
            if key_id in existing_clients:
                continue
            name = "一网通办平台（办件自动调取）" if code == platform_code else f"{depts[code].short_name or depts[code].name}业务系统"
            ExchangeClient.objects.create(key_id=key_id, name=name, department=depts[code],
                                          secret=demo_client_secret(key_id), rate_per_minute=1200)
            created += 1
        count("clients", created, len(wanted) - created)

        # registries (pushed once: a resource that already has records is left as it is)
        people = _people()
        enterprises = list(Enterprise.objects.order_by("uscc"))
        data = generate(people, enterprises, legal_reps=_legal_reps())
        created = existing = 0
        for code, rows in data.items():
            resource = have[code]
            if not rows or resource.records.exists():
                existing += resource.records.count()
                continue
            kind = resource.subject_kind
            batch = services.store_records(
                resource, "full", [(services.subject_bidx(kind, n), dict(sorted(v.items())), None) for n, v in rows])
            created += batch.upserted
        count("records", created, existing)

        # grants: the pipeline's (platform department) for every shared resource, and a few others
        created = existing = 0
        plan = [(code, platform_code, None, PIPELINE_PURPOSE) for code, spec in RESOURCES.items()
                if spec[3] != ShareClass.NOT_SHARED]
        plan += list(DEPARTMENT_GRANTS)
        for code, grantee, fields, purpose in plan:
            resource = have[code]
            if Grant.objects.filter(resource=resource, grantee=depts[grantee]).exists():
                existing += 1
                continue
            fields = fields or resource.field_keys
            req = ShareRequest.objects.create(
                resource=resource, requester=depts[grantee], purpose=purpose, items=[], fields=fields,
                requested_until=until, status=RequestStatus.APPROVED, created_at=now, decided_at=now,
                reason="演示数据：已同意" if resource.share_class == ShareClass.CONDITIONAL else "无条件共享资源，自动同意。")
            Grant.objects.create(resource=resource, grantee=depts[grantee], request=req, fields=fields,
                                 purpose=purpose, items=[], expires_at=end_of_day(until))
            created += 1
        count("grants", created, existing)

        # pending requests (one of them past its 10-working-day answer date)
        created = existing = 0
        for code, requester, fields, purpose, days_ago in PENDING_REQUESTS:
            resource = have[code]
            if ShareRequest.objects.filter(resource=resource, requester=depts[requester]).exists():
                existing += 1
                continue
            at = now - timedelta(days=days_ago * 7 // 5 + 1)
            ShareRequest.objects.create(
                resource=resource, requester=depts[requester], purpose=purpose, fields=fields,
                requested_until=until, created_at=at, due_at=add_working_days(at, services.ANSWER_WORKING_DAYS))
            created += 1
        count("pending_requests", created, existing)
        if any(c["created"] for c in counts.values()):
            audit.record("demo.exchange_loaded", ("demo", "exchange"), data=counts, role="system")
    services.flag_overdue_requests()
    count("sample_queries", _sample_queries(), 0)
    return counts


#: Real signed gateway calls made once, so the featured citizens' 我的数据使用记录 is not empty:
#: (caller department, resource, featured citizen index, purpose)
SAMPLE_QUERIES = (
    ("YX-MZ", "RS-CBJF", 0, "最低生活保障审核：核验申请人就业参保情况"),
    ("YX-ZRZY", "MZ-HYDJ", 0, "不动产转移登记：核验婚姻状况"),
    ("YX-MZ", "RS-CBJF", 1, "临时救助审核：核验申请人就业参保情况"),
)


def _sample_queries() -> int:
    """Make the sample queries through the real gateway (signed, logged), once."""
    import json as _json

    from django.test import RequestFactory

    from yiwang.accounts.models import User

    from . import gateway, signing
    from .models import ExchangeClient, QueryLog

    if QueryLog.objects.exists():
        return 0
    people = list(User.objects.filter(kind=User.Kind.CITIZEN, username__startswith="demo_c").order_by("username")[:3])
    made = 0
    for dept, code, index, purpose in SAMPLE_QUERIES:
        client = ExchangeClient.objects.filter(department__code=dept, key_id__endswith="-demo").first()
        if client is None:
            key_id = f"{dept.lower()}-demo"
            from yiwang.core.models import Department

            client = ExchangeClient.objects.create(key_id=key_id, name="业务系统", secret=demo_client_secret(key_id),
                                                   department=Department.objects.get(code=dept), rate_per_minute=1200)
        if index >= len(people):
            continue
        path = "/api/v1/exchange/gateway/query"
        body = _json.dumps({"resource": code, "subject": people[index].id_number, "purpose": purpose},
                           ensure_ascii=False).encode()
        request = RequestFactory().post(path, body, content_type="application/json",
                                        headers=signing.sign(client.key_id, client.secret, "POST", path, body))
        try:
            gateway.query(request)
        except Exception:  # noqa: BLE001 - a subject without a record is logged as such; that is fine
            pass
        made += 1
    return made


def client_credentials() -> list[dict]:
    """The demo clients with their (demo-only) secrets, for scripts and the docs."""
    from .models import ExchangeClient

    return [{"key_id": c.key_id, "secret": demo_client_secret(c.key_id), "department": c.department.code,
             "name": c.name}
            for c in ExchangeClient.objects.select_related("department").filter(key_id__endswith="-demo")]
