"""The two national identity numbers (GB 11643 resident ID, GB 32100 USCC) as a person meets them:
typing their number into a form, or an app calling POST /api/v1/identity/validate.

Check characters are computed here from the standards' formulas (not with the module's own
helpers), so a wrong weight table or alphabet in the code under test makes these tests fail.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from yiwang.core.identity import (
    classify,
    make_uscc,
    mask_id_number,
    mask_phone,
    validate_resident_id,
    validate_uscc,
)

# --- independent oracles, straight from the standards -------------------------------------------

# GB 11643-1999 / ISO 7064 MOD 11-2: weight of position i (1-based from the left) is 2^(18-i) mod 11.
ID_WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]
assert ID_WEIGHTS == [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def id_check(first17: str) -> str:
    c = (12 - sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS)) % 11) % 11
    return "X" if c == 10 else str(c)


def resident_id(division: str, birth: date, seq: int) -> str:
    first17 = f"{division}{birth:%Y%m%d}{seq:03d}"
    return first17 + id_check(first17)


def with_wrong_check(number: str) -> str:
    good = number[17]
    wrong = next(c for c in "0123456789X" if c != good)
    return number[:17] + wrong


# GB 32100-2015: 31-character alphabet without I O Z S V; weight of position i is 3^i mod 31.
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_W = [pow(3, i, 31) for i in range(17)]
assert USCC_W == [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def uscc_check(first17: str) -> str:
    return USCC_CHARS[(31 - sum(USCC_CHARS.index(c) * w for c, w in zip(first17, USCC_W)) % 31) % 31]


def uscc(first17: str) -> str:
    return first17 + uscc_check(first17)


# --- resident ID ---------------------------------------------------------------------------------


def test_published_gb11643_example_is_valid():
    v = validate_resident_id("11010519491231002X")
    assert v.valid and v.error is None
    assert v.kind == "resident_id"
    assert v.details["gender"] == "F"
    assert v.details["birth_date"] == date(1949, 12, 31)
    assert v.details["division"] == "110105"


@pytest.mark.parametrize(
    "division, birth, seq, gender",
    [
        ("320102", date(1985, 3, 14), 101, "M"),  # 南京市玄武区
        ("110105", date(2000, 2, 29), 2, "F"),  # leap day
        ("440305", date(1999, 12, 31), 999, "M"),  # 深圳市南山区
        ("500101", date(1880, 1, 1), 20, "F"),  # oldest date accepted
        ("350100", date(2012, 7, 1), 357, "M"),
        ("650102", date(1970, 1, 1), 4, "F"),
    ],
)
def test_constructed_resident_ids_are_valid(division, birth, seq, gender):
    number = resident_id(division, birth, seq)
    v = validate_resident_id(number)
    assert v.valid, (number, v.error)
    assert v.number == number
    assert v.details["birth_date"] == birth
    assert v.details["gender"] == gender


def test_every_check_character_value_is_computed_right():
    """Sweep sequence numbers until each of the 11 possible check characters (0-9 and X) has
    appeared; the right one is accepted and every other one is refused as check_digit."""
    seen = set()
    seq = 0
    while len(seen) < 11:
        number = resident_id("320102", date(1990, 5, 17), seq)
        seen.add(number[17])
        assert validate_resident_id(number).valid, number
        for c in "0123456789X":
            if c != number[17]:
                assert validate_resident_id(number[:17] + c).error == "check_digit"
        seq += 1


def test_wrong_check_digit():
    v = validate_resident_id(with_wrong_check("11010519491231002X"))
    assert not v.valid and v.error == "check_digit"
    assert "校验位" in str(v.message)


def test_lowercase_x_is_normalised():
    v = validate_resident_id("11010519491231002x")
    assert v.valid and v.number == "11010519491231002X"


def test_whitespace_and_full_width_input_are_normalised():
    assert validate_resident_id("  11010519491231002X\n").number == "11010519491231002X"
    assert validate_resident_id("\t11010519491231002x ").valid
    # as copied from a form that groups the digits
    assert validate_resident_id("110105 19491231 002X").valid
    # typed with a Chinese input method in full-width mode
    v = classify("１１０１０５１９４９１２３１００２ｘ")
    assert v.valid and v.kind == "resident_id" and v.number == "11010519491231002X"


@pytest.mark.parametrize("mmdd", ["0230", "1301", "0001", "0431", "0100"])
def test_impossible_birth_date(mmdd):
    first17 = f"110105 1990{mmdd} 123".replace(" ", "")
    v = validate_resident_id(first17 + id_check(first17))
    assert not v.valid and v.error == "invalid_birth_date"


def test_feb_29_only_in_leap_years():
    assert validate_resident_id(resident_id("110105", date(2004, 2, 29), 12)).valid
    first17 = "11010519000229" + "012"  # 1900 is not a leap year
    assert validate_resident_id(first17 + id_check(first17)).error == "invalid_birth_date"


def test_future_birth_date_is_implausible():
    tomorrow = date.today() + timedelta(days=1)
    v = validate_resident_id(resident_id("110105", tomorrow, 11))
    assert not v.valid and v.error == "implausible_birth_date"
    # born today is fine (a newborn's number)
    assert validate_resident_id(resident_id("110105", date.today(), 11)).valid


def test_future_is_relative_to_the_day_given():
    number = resident_id("110105", date(2030, 1, 1), 11)
    assert validate_resident_id(number, today=date(2029, 12, 31)).error == "implausible_birth_date"
    assert validate_resident_id(number, today=date(2030, 1, 1)).valid


@pytest.mark.parametrize("birth", [date(1800, 6, 1), date(1879, 12, 31)])
def test_too_old_birth_date_is_implausible(birth):
    v = validate_resident_id(resident_id("110105", birth, 11))
    assert not v.valid and v.error == "implausible_birth_date"


@pytest.mark.parametrize("division", ["990101", "000000", "100101", "300101", "800101"])
def test_unknown_province(division):
    v = validate_resident_id(resident_id(division, date(1985, 1, 1), 11))
    assert not v.valid and v.error == "unknown_division"


@pytest.mark.django_db
def test_unknown_county_in_a_valid_province_needs_a_division_row():
    from yiwang.core.models import Division

    number = resident_id("329902", date(1985, 1, 1), 11)
    assert validate_resident_id(number).error == "unknown_division"
    Division.objects.create(code="329902", name="旧云溪县", level="district")
    v = validate_resident_id(number)
    assert v.valid and v.details["division"] == "329902"


@pytest.mark.django_db
def test_gb11643_second_example_with_a_merged_away_county():
    """The standard's other example (汕头市潮阳县, since abolished) is valid once the admin enters
    the old county code, as numbers keep the code of the place of first issue."""
    from yiwang.core.models import Division

    assert validate_resident_id("440524188001010014").error == "unknown_division"
    Division.objects.create(code="440524", name="潮阳县（已撤销）", level="district")
    v = validate_resident_id("440524188001010014")
    assert v.valid and v.details["gender"] == "M" and v.details["birth_date"] == date(1880, 1, 1)


@pytest.mark.django_db
def test_org_fixture_district_is_known(org):
    assert validate_resident_id(resident_id("329002", date(1985, 1, 1), 11)).valid


@pytest.mark.parametrize(
    "raw, error",
    [
        ("", "empty"),
        ("   ", "empty"),
        (None, "empty"),
        ("11010519491231002", "wrong_length"),
        ("11010519491231002X1", "wrong_length"),
        ("1101051949123100XX", "bad_characters"),
        ("11010519491231002Y", "bad_characters"),
        ("A1010519491231002X", "bad_characters"),
        ("11010519491231-02X", "bad_characters"),
        ("١١٠١٠٥١٩٤٩١٢٣١٠٠٢X", "bad_characters"),  # Arabic-Indic digits are not ASCII digits
    ],
)
def test_malformed_resident_ids(raw, error):
    v = validate_resident_id(raw)
    assert not v.valid and v.error == error
    assert v.kind == "resident_id"
    assert str(v.message)


# --- USCC ---------------------------------------------------------------------------------------


def test_published_gb32100_example_is_valid():
    v = validate_uscc("91350100M000100Y43")
    assert v.valid and v.kind == "uscc" and v.details["division"] == "350100"


def test_independent_check_agrees_with_published_example():
    assert uscc("91350100M000100Y4") == "91350100M000100Y43"


@pytest.mark.parametrize(
    "authority_kind",
    ["N1", "N2", "N3", "N9", "Y1", "A1", "A9", "51", "52", "53", "12", "13", "31", "35", "61", "62",
     "71", "72", "81", "91", "92", "93"],
)
def test_every_registration_kind_of_gb32100_table_1_is_accepted(authority_kind):
    """Including codes whose first characters are letters (python-stdnum refuses those)."""
    number = make_uscc(authority_kind, "320102", "MA1XK7P0")
    assert number[17] == uscc_check(number[:17])  # make_uscc agrees with the standard
    v = validate_uscc(number)
    assert v.valid, (number, v.error)
    assert classify(number).kind == "uscc" and classify(number).valid


@pytest.mark.parametrize("authority_kind", ["94", "99", "Y2", "Y9", "N4", "A2", "22", "B1", "M1", "15", "63"])
def test_unknown_authority_or_kind(authority_kind):
    v = validate_uscc(uscc(f"{authority_kind}320102MA1XK7P06"))
    assert not v.valid and v.error == "unknown_registration_kind"


def test_wrong_uscc_check_character():
    good = "91350100M000100Y43"
    for c in "0123456789ABCDEFGHJKLMNPQRTUWXY":
        if c != "3":
            v = validate_uscc(good[:17] + c)
            assert not v.valid and v.error == "check_digit"


@pytest.mark.parametrize("letter", ["I", "O", "Z", "S", "V"])
def test_forbidden_letters(letter):
    number = "91350100M000100Y43"
    v = validate_uscc(number[:9] + letter + number[10:])
    assert not v.valid and v.error == "bad_characters"


def test_uscc_lowercase_and_spaces_are_normalised():
    v = validate_uscc(" 91350100m000100y43 ")
    assert v.valid and v.number == "91350100M000100Y43"


@pytest.mark.parametrize("number", [
    "53100000500019795A",  # a national foundation registered with 民政部
    "51100000500002862F",  # a national society (社会团体) registered with 民政部
    "12100000400009127B",  # a university under a central ministry (中央编办)
])
def test_uscc_of_a_central_registration_authority(number):
    """Codes issued at national level carry 100000 where a division code would be."""
    assert uscc_check(number[:17]) == number[17]
    v = validate_uscc(number)
    assert v.valid, v.error
    assert classify(number).kind == "uscc" and classify(number).valid


def test_uscc_bad_division():
    v = validate_uscc(uscc("9199010" + "0MA1XK7P06"))
    assert v.error == "unknown_division"
    v = validate_uscc(uscc("91A20100MA1XK7P06"))
    assert v.error == "unknown_division"
    v = validate_uscc(uscc("91100100MA1XK7P06"))  # only exactly 100000 is the national level
    assert v.error == "unknown_division"


@pytest.mark.parametrize("raw, error", [("", "empty"), ("91350100M000100Y4", "wrong_length"),
                                        ("91350100M000100Y433", "wrong_length")])
def test_malformed_uscc(raw, error):
    assert validate_uscc(raw).error == error


# --- classify -----------------------------------------------------------------------------------


def all_digit_uscc(authority_kind="91") -> str:
    for n in range(10_000_000, 10_001_000):
        number = make_uscc(authority_kind, "320102", str(n)[:8])
        if number.isdigit():
            return number
    raise AssertionError("no all-digit USCC found")


def test_classify_decides_the_kind():
    assert classify("11010519491231002X").kind == "resident_id"
    assert classify("11010519491231002X").valid
    assert classify("91350100M000100Y43").kind == "uscc"
    assert classify("91350100M000100Y43").valid
    assert classify(make_uscc("N2", "320102", "MA1XK7P0")).kind == "uscc"


@pytest.mark.parametrize("authority_kind", ["91", "12", "51", "31"])
def test_classify_all_digit_uscc(authority_kind):
    number = all_digit_uscc(authority_kind)
    assert number.isdigit() and len(number) == 18
    v = classify(number)
    assert v.valid and v.kind == "uscc", (number, v.error)


@pytest.mark.parametrize(
    "raw, kind, error",
    [
        ("", None, "empty"),
        ("   ", None, "empty"),
        ("hello", None, "unknown_kind"),
        ("11010519491231002", None, "unknown_kind"),  # 17 characters
        ("9135010M000100Y43", None, "unknown_kind"),
        ("11010519491231002X11010519491231002X", None, "unknown_kind"),
        # looks like an ID (province + birth century): explained as an ID
        (with_wrong_check("11010519491231002X"), "resident_id", "check_digit"),
        ("110105" + "19490230" + "002" + "X", "resident_id", "invalid_birth_date"),
        # contains letters: only a USCC can
        ("91350100M000100Y44", "uscc", "check_digit"),
        ("ABCDEFGHIJKLMNOPQR", "uscc", "bad_characters"),
        ("😀" * 18, "uscc", "bad_characters"),
        # all digits but neither kind: no birth year where an ID has one → explained as USCC
        ("999999999999999999", "uscc", "unknown_registration_kind"),
    ],
)
def test_classify_explains_what_is_wrong(raw, kind, error):
    v = classify(raw)
    assert not v.valid
    assert (v.kind, v.error) == (kind, error)
    assert str(v.message)


# --- the public validation endpoint -------------------------------------------------------------

URL = "/api/v1/identity/validate"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "number, valid, kind, error",
    [
        ("11010519491231002X", True, "resident_id", None),
        ("11010519491231002x", True, "resident_id", None),
        ("91350100M000100Y43", True, "uscc", None),
        ("N2320102MA1XK7P06G", True, "uscc", None),
        ("110105194912310021", False, "resident_id", "check_digit"),
        ("", False, None, "empty"),
        ("1" * 2000, False, None, "unknown_kind"),
        ("😀", False, None, "unknown_kind"),
        ("😀" * 18, False, "uscc", "bad_characters"),
        ("'; DROP TABLE accounts_user; --", False, None, "unknown_kind"),
        ("1' OR '1'='1' -- 0000", False, None, "unknown_kind"),
        ("<script>alert(1)</script>", False, None, "unknown_kind"),
    ],
)
def test_validate_endpoint(api, number, valid, kind, error):
    r = api.post(URL, {"number": number})
    assert r.status_code == 200, r.content
    body = r.json()
    assert set(body) == {"valid", "kind", "error", "message"}
    assert (body["valid"], body["kind"], body["error"]) == (valid, kind, error)
    assert isinstance(body["message"], str) and body["message"]


def test_validate_endpoint_refuses_nul_characters_precisely(api):
    """NUL never reaches the validator (or the database): the core middleware names the field."""
    r = api.post(URL, {"number": "\x00" * 18})
    assert r.status_code == 422
    assert r.json()["code"] == "invalid_characters" and list(r.json()["fields"]) == ["number"]


@pytest.mark.django_db
@pytest.mark.parametrize("payload", [{}, {"number": None}, {"id": "11010519491231002X"}, {"number": ["1"]},
                                     {"number": {"a": 1}}])
def test_validate_endpoint_rejects_a_missing_field(api, payload):
    r = api.post(URL, payload)
    assert r.status_code == 422, r.content
    assert r.json()["code"] == "validation_error"


@pytest.mark.django_db
@pytest.mark.parametrize("body", ["not json", "{\"number\": ", "[]", "null", "\"11010519491231002X\""])
def test_validate_endpoint_survives_broken_bodies(client, body):
    r = client.post(URL, body, content_type="application/json")
    assert r.status_code in (400, 422), (r.status_code, r.content)
    assert "code" in r.json()


@pytest.mark.django_db
def test_validate_endpoint_needs_no_login_and_no_csrf():
    from django.test import Client

    r = Client(enforce_csrf_checks=True).post(URL, {"number": "11010519491231002X"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["valid"] is True


# --- masking ------------------------------------------------------------------------------------


def test_mask_id_number():
    assert mask_id_number("32010219850314123X") == "3201**********123X"
    assert mask_id_number("91350100M000100Y43") == "9135**********0Y43"
    assert mask_id_number("") == "" and mask_id_number(None) == ""
    assert "1234" not in mask_id_number("12345678")[1:]


def test_mask_phone():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("") == "" and mask_phone(None) == ""
    assert mask_phone("12345") == "*****"


@pytest.mark.django_db
def test_masked_numbers_shown_to_the_user(make_citizen):
    user = make_citizen(id_number=resident_id("320102", date(1985, 3, 14), 123), phone="13812345678")
    assert user.masked_phone == "138****5678"
    masked = user.masked_id_number
    assert masked[:4] == "3201" and masked[4:14] == "*" * 10 and masked[-4:] == user.id_number[-4:]
