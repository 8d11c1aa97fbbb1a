"""Demo licence types and a licence library for the demo district's people and enterprises.

Types use the short type codes of the demo catalog (YYZZ, SPJYXKZ, JHZ, …). Licences are created
in bulk with valid GB/T 36904 identifiers; their PDFs are rendered and signed when first opened.
Idempotent: a holder never gets a second licence of the same type from this loader. The 结婚证 are
issued to the couples of the exchange's demo marriage registry (``yiwang.exchange.demo``, MZ-HYDJ), so a
licence and the registry record behind it name the same spouse and date. Likewise the 居住证 go to
the residents whose household registration the population registry places outside the district
(with a job or home here), and the 执业资格证书 to the doctors, nurses, lawyers and engineers whose
degree the education registry holds, each granted by the department in charge of the profession.
"""

from __future__ import annotations

import json
import random
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from yiwang.core.crypto import blind_index

from . import identifier as ident
from .models import Licence, LicenceType

# code: (name, holder kind, issuing department code, validity years or None, fields)
TYPES: dict[str, tuple[str, str, str, int | None, list]] = {
    "YYZZ": ("营业执照", "organisation", "YX-SCJG", None,
             [{"key": "legal_representative", "label": "法定代表人"}, {"key": "address", "label": "住所"},
              {"key": "business_scope", "label": "经营范围"}]),
    "SPJYXKZ": ("食品经营许可证", "organisation", "YX-SCJG", 5,
                [{"key": "address", "label": "经营场所"}, {"key": "main_body", "label": "主体业态"}]),
    "YPJYXKZ": ("药品经营许可证", "organisation", "YX-SCJG", 5, []),
    "GGCSWSXKZ": ("公共场所卫生许可证", "organisation", "YX-WJW", 4, []),
    "YLJYXKZ": ("娱乐经营许可证", "organisation", "YX-WGL", 2, []),
    "YCZMLSXKZ": ("烟草专卖零售许可证", "organisation", "YX-YC", 5, []),
    "DLYSJYXKZ": ("道路运输经营许可证", "organisation", "YX-JT", 4, []),
    "PWXKZ": ("排污许可证", "organisation", "YX-STHJ", 5, []),
    "DWZLXKZ": ("动物诊疗许可证", "organisation", "YX-NY", None, []),
    "JZGCSGXKZ": ("建筑工程施工许可证", "organisation", "YX-ZJ", None, []),
    "JSGCGHXKZ": ("建设工程规划许可证", "organisation", "YX-ZRZY", None, []),
    "HWGGSZXKZ": ("户外广告设施设置许可证", "organisation", "YX-CG", 3, []),
    "GZJJCSXFHG": ("公众聚集场所投入使用、营业前消防安全检查合格证", "organisation", "YX-XF", None, []),
    "JMSFZ": ("居民身份证", "person", "YX-GA", 20, [{"key": "address", "label": "住址"}]),
    "JZZ": ("江东省居住证", "person", "YX-GA", 1, [{"key": "address", "label": "居住地址"},
                                                {"key": "household", "label": "户籍地"}]),
    "JHZ": ("结婚证", "person", "YX-MZ", None, [{"key": "spouse", "label": "配偶姓名"},
                                              {"key": "registered_on", "label": "登记日期"},
                                              {"key": "certificate_no", "label": "结婚证字号"}]),
    "LHZ": ("离婚证", "person", "YX-MZ", None, []),
    "CSYXZM": ("出生医学证明", "person", "YX-WJW", None, []),
    "BDCQZS": ("不动产权证书", "person", "YX-ZRZY", None, [{"key": "location", "label": "坐落"},
                                                       {"key": "area", "label": "面积"}]),
    "CJRZ": ("中华人民共和国残疾人证", "person", "YX-MZ", 10, []),
    "SHBZK": ("中华人民共和国社会保障卡", "person", "YX-RS", 10, []),
    "JYCYZ": ("就业创业证", "person", "YX-RS", None, []),
    "JSZGZS": ("教师资格证书", "person", "YX-JYJ", None, []),
    "YSZYZS": ("医师执业证书", "person", "YX-WJW", None, []),
    "WFZJLZM": ("无犯罪记录证明", "person", "YX-GA", None, []),
    "JDCJSZ": ("中华人民共和国机动车驾驶证", "person", "YX-GA", 6, []),
    "PTHZ": ("中华人民共和国普通护照", "person", "YX-GA", 10, []),
    "GATXZ": ("往来港澳通行证", "person", "YX-GA", 10, []),
    # 执业资格证书: the catalog's one source for every professional qualification. 人社 keeps the
    # national 职业资格目录, so it is the type's issuer; each licence names the department that
    # granted it (see QUALIFICATIONS).
    "ZYZG": ("执业资格证书", "person", "YX-RS", None, [{"key": "qualification", "label": "资格名称"},
                                                 {"key": "category", "label": "类别（专业）"},
                                                 {"key": "certificate_no", "label": "管理号"}]),
}

#: 执业资格证书 of the demo residents, by the major of their degree in the exchange's 学历学位信息
#: (JY-XLXX): major: (qualification, category, issuing department, degree levels that qualify,
#: years from graduation to the certificate, first year it was granted, certificate number prefix).
#: The first years: 护士执业资格考试 1995, 医师资格考试 1999 (执业医师法), 法律职业资格证书 2002
#: (国家司法考试), 二级建造师 2004; those who graduated earlier qualified in the first years.
QUALIFICATIONS: dict[str, tuple[str, str, str, tuple[str, ...], int, int, str]] = {
    "临床医学": ("医师资格", "临床", "YX-WJW", ("大学本科", "硕士研究生"), 2, 1999, "YS"),
    "护理学": ("护士执业资格", "护理", "YX-WJW", ("大学专科", "大学本科", "硕士研究生"), 1, 1995, "HS"),
    "法学": ("法律职业资格", "A类", "YX-SF", ("大学本科", "硕士研究生"), 1, 2002, "A"),
    "土木工程": ("二级建造师执业资格", "建筑工程", "YX-ZJ", ("大学专科", "大学本科", "硕士研究生"), 4, 2004, "JZS"),
}
QUALIFIED_SHARE = 0.6  # of the residents whose degree would allow it, the share who passed


def ensure_types() -> int:
    from yiwang.core.models import Department

    depts = {d.code: d for d in Department.objects.all()}
    fallback = depts.get("YX-ZWB") or next(iter(depts.values()), None)
    if fallback is None:
        return 0
    created = 0
    for code, (name, kind, dept, years, fields) in TYPES.items():
        _, was = LicenceType.objects.get_or_create(
            code=code, defaults={"name": name, "holder_kind": kind, "issuer": depts.get(dept, fallback),
                                 "validity_years": years, "fields": fields})
        created += was
    # types the catalog names that this table does not know yet: issued by the item's department
    try:
        from yiwang.catalog.models import ServiceItem

        for item in ServiceItem.objects.filter(current__isnull=False).exclude(current__licence_type="").select_related(
                "current", "department"):
            code = item.current.licence_type
            if not LicenceType.objects.filter(code=code).exists():
                LicenceType.objects.create(code=code, name=item.current.result_name[:100], holder_kind="organisation"
                                           if "2" in item.current.service_objects else "person",
                                           issuer=item.department)
                created += 1
    except Exception:  # noqa: BLE001 - the catalog app may not be loaded yet
        pass
    return created


def _registry() -> dict[str, dict[str, dict]]:
    """The exchange's demo registries (``yiwang.exchange.demo.demo_registry``), or none without it."""
    try:
        from yiwang.exchange.demo import demo_registry
    except ImportError:
        return {}
    return demo_registry()


def _make(ltype, serial_by_type, *, user=None, enterprise=None, valid_from: date, data: dict,
          issuer=None) -> Licence:
    issuer = issuer or ltype.issuer
    serial_by_type[ltype.code] = serial_by_type.get(ltype.code, 0) + 1
    number = f"{valid_from.year}{serial_by_type[ltype.code]:07d}"
    code = user.id_number if user is not None else enterprise.uscc
    code_type = "resident_id" if user is not None else "uscc"
    valid_until = None
    if ltype.validity_years:
        try:
            valid_until = valid_from.replace(year=valid_from.year + ltype.validity_years)
        except ValueError:
            valid_until = valid_from.replace(year=valid_from.year + ltype.validity_years, day=28)
    issued = timezone.make_aware(timezone.datetime.combine(valid_from, timezone.datetime.min.time()).replace(hour=10))
    return Licence(
        identifier=str(ident.build(ltype.code, issuer.uscc, number, 1)), type=ltype, number=number,
        holder_user=user, holder_enterprise=enterprise,
        holder_name=user.display_name if user is not None else enterprise.name, holder_code=code,
        holder_code_bidx=blind_index(code, code_type), holder_code_type=code_type, issuer=issuer,
        issuer_code=issuer.uscc, issued_at=issued, valid_from=valid_from, valid_until=valid_until,
        data=json.dumps(data, ensure_ascii=False),
    )


def _adult(person, today: date) -> bool:
    sixteen = today.replace(year=today.year - 16, day=min(today.day, 28))  # 29 February has no anniversary
    return person.birth_date is not None and person.birth_date <= sixteen


@transaction.atomic
def load(stdout=None) -> dict:
    from yiwang.accounts.models import Enterprise, User
    from yiwang.core import audit
    from yiwang.core.models import Department

    ensure_types()
    types = {t.code: t for t in LicenceType.objects.select_related("issuer")}
    if not types:
        return {"licences": 0}
    rng = random.Random(20261121)
    have = set(Licence.objects.values_list("holder_code_bidx", "type__code"))
    serial_by_type: dict[str, int] = {}
    for t in types.values():
        serial_by_type[t.code] = Licence.objects.filter(type=t).count()
    today = timezone.localdate()
    new: list[Licence] = []

    def add(code, *, user=None, enterprise=None, data=None, valid_from=None, issuer=None):
        start = valid_from or today - timedelta(days=rng.randint(30, 3000))  # drawn first: re-runs stay in step
        holder = user.id_number if user is not None else enterprise.uscc
        bidx = blind_index(holder, "resident_id" if user is not None else "uscc")
        if code not in types or (bidx, code) in have:
            return
        have.add((bidx, code))
        new.append(_make(types[code], serial_by_type, user=user, enterprise=enterprise, valid_from=start,
                         data=data or {}, issuer=issuer))

    for ent in Enterprise.objects.order_by("pk"):
        add("YYZZ", enterprise=ent, valid_from=ent.established or None,
            data={"legal_representative": ent.legal_representative, "address": ent.address,
                  "business_scope": ent.business_scope[:120]})
        if any(w in ent.name for w in ("餐饮", "小吃", "饭店", "面馆", "食品", "超市", "烘焙", "茶")):
            add("SPJYXKZ", enterprise=ent, data={"address": ent.address, "main_body": "餐饮服务经营者"})
    citizens = list(User.objects.filter(kind="citizen", id_number_bidx__isnull=False).order_by("pk"))
    for person in citizens:
        age_ok = person.birth_date is None or person.birth_date <= today.replace(year=today.year - 16)
        if age_ok:
            add("JMSFZ", user=person, data={"address": person.address})
        if age_ok and rng.random() < 0.3:
            add("BDCQZS", user=person, data={"location": person.address or "云溪区", "area": f"{rng.randint(45, 160)}㎡"})
    # 结婚证: the couples of the exchange's demo marriage registry (婚姻登记信息), with the same
    # spouses, registration dates and certificate numbers; the divorced hold none
    registry = _registry()
    by_number = {p.id_number: p for p in citizens}
    for number, m in sorted(registry.get("MZ-HYDJ", {}).items()):
        person = by_number.get(number)
        if person is None or m.get("marital_status") != "已婚":
            continue
        day = date.fromisoformat(m["registered_on"])
        add("JHZ", user=person, valid_from=day, data={"spouse": m["spouse_name"], "registered_on": m["registered_on"],
                                                      "certificate_no": m.get("certificate_no", "")})
    # 居住证: residents whose household registration (人口户籍信息) is outside the district and who
    # meet the condition of a stable job (参保缴费) or home (不动产登记); renewed (签注) every year
    households, insured, homes = (registry.get(c, {}) for c in ("GA-HJXX", "RS-CBJF", "ZRZY-BDC"))
    for person in citizens:
        hj = households.get(person.id_number)
        if hj is None or not hj["household_division"].startswith("外地户籍") or not _adult(person, today):
            continue
        if insured.get(person.id_number, {}).get("status") != "正常参保缴费" and person.id_number not in homes:
            continue
        day = today - timedelta(days=random.Random(f"jzz:{person.id_number}").randint(10, 330))
        add("JZZ", user=person, valid_from=day, data={"address": person.address, "household": hj["household_division"]})
    # 执业资格证书: doctors, nurses, lawyers and engineers, by the degree the education registry
    # (学历学位信息) holds for them, granted by the department in charge of the profession
    depts = {d.code: d for d in Department.objects.filter(code__in={q[2] for q in QUALIFICATIONS.values()})}
    for person in citizens:
        degree = registry.get("JY-XLXX", {}).get(person.id_number)
        spec = QUALIFICATIONS.get((degree or {}).get("major", ""))
        if spec is None or degree["education"] not in spec[3] or spec[2] not in depts:
            continue
        qualification, category, dept, _levels, years, since, prefix = spec
        pick = random.Random(f"zyzg:{person.id_number}")
        year = max(int(degree["graduated"]) + years, since + pick.randint(0, 3))
        if pick.random() >= QUALIFIED_SHARE or year >= today.year or year - person.birth_date.year > 55:
            continue
        day = date(year, pick.choice((1, 3, 4, 6)), pick.randint(1, 28))
        add("ZYZG", user=person, valid_from=day, issuer=depts[dept],
            data={"qualification": qualification, "category": category, "major": degree["major"],
                  "certificate_no": f"{prefix}{year}{pick.randrange(10 ** 8):08d}"})
    # one revoked and one expired licence, so verification shows every state
    Licence.objects.bulk_create(new, batch_size=500)
    if new:
        revoked = Licence.objects.filter(type__code="SPJYXKZ").order_by("pk").first()
        if revoked is not None:
            revoked.status, revoked.revoked_at, revoked.revoke_reason = "revoked", timezone.now(), "经营者申请注销"
            revoked.save(update_fields=["status", "revoked_at", "revoke_reason"])
        audit.record("demo.licences_loaded", ("licences", "demo"), role="system", data={"count": len(new)})
    if stdout is not None:
        stdout.write(f"licence types: {len(types)}; licences created: {len(new)}")
    return {"licences": len(new), "types": len(types)}
