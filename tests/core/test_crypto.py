"""Personal data at rest: what is in the database columns, how people are still found, key rotation
and tampering (AES-256-GCM field encryption + HMAC blind index)."""

from __future__ import annotations

import base64
import os
from io import StringIO
from datetime import date

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from yiwang.core import crypto
from yiwang.core.identity import make_resident_id

pytestmark = pytest.mark.django_db


def new_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def raw_user_row(user_id: int) -> dict:
    with connection.cursor() as cur:
        cur.execute("SELECT id_number, phone, id_number_bidx, phone_bidx FROM accounts_user WHERE id = %s",
                    [user_id])
        row = cur.fetchone()
    return dict(zip(["id_number", "phone", "id_number_bidx", "phone_bidx"], row))


def id_ending_in_x() -> str:
    for seq in range(1, 1000):
        number = make_resident_id("320102", date(1985, 3, 14), seq)
        if number.endswith("X"):
            return number
    raise AssertionError


def test_columns_hold_ciphertext_not_the_numbers(make_citizen):
    user = make_citizen(id_number=id_ending_in_x(), phone="13912345678")
    row = raw_user_row(user.pk)
    for column, clear in (("id_number", user.id_number), ("phone", "13912345678")):
        stored = row[column]
        assert clear not in stored and clear[-6:] not in stored
        assert stored.startswith(f"v1:{crypto.current_key_id()}:")
    # two encryptions of the same value differ (random nonce): equal numbers are not visible as equal
    other = make_citizen(id_number=make_resident_id("320102", date(1985, 3, 14), 998), phone="13912345678")
    assert raw_user_row(other.pk)["phone"] != row["phone"]
    # the blind indexes do not contain the number either, and equal phones give equal indexes
    assert user.id_number not in row["id_number_bidx"] and "13912345678" not in row["phone_bidx"]
    assert raw_user_row(other.pk)["phone_bidx"] == row["phone_bidx"]
    # reading through the model gives the clear value back
    from yiwang.accounts.models import User

    fresh = User.objects.get(pk=user.pk)
    assert fresh.id_number == user.id_number and fresh.phone == "13912345678"


def test_no_column_of_the_users_table_holds_the_number(make_citizen):
    number = id_ending_in_x()
    user = make_citizen(id_number=number, phone="13912345678")
    with connection.cursor() as cur:
        cur.execute("SELECT * FROM accounts_user WHERE id = %s", [user.pk])
        row = cur.fetchone()
    dump = " ".join(str(v) for v in row)
    assert number not in dump and number[:-1] not in dump and "13912345678" not in dump


def test_blind_index_finds_the_user(make_citizen):
    from yiwang.accounts.models import User

    number = id_ending_in_x()
    user = make_citizen(id_number=number, phone="13912345678")
    make_citizen()  # someone else
    assert User.objects.find_by_id_number(number) == user
    assert User.objects.find_by_id_number(number.lower()) == user
    assert User.objects.find_by_id_number(f"  {number.lower()} ") == user
    assert User.objects.find_by_phone("13912345678") == user
    assert User.objects.find_by_id_number(make_resident_id("320102", date(1985, 3, 14), 997)) is None
    # the index of an ID number is not the index of the same text as a phone
    assert crypto.blind_index("13912345678", "phone") != crypto.blind_index("13912345678", "resident_id")


def test_blind_index_depends_on_the_key():
    value = "11010519491231002X"
    a = crypto.blind_index(value, "resident_id")
    with override_settings(BLIND_INDEX_KEY=new_key()):
        assert crypto.blind_index(value, "resident_id") != a


def test_same_id_number_cannot_register_twice(make_citizen):
    from django.db import IntegrityError, transaction

    number = id_ending_in_x()
    make_citizen(id_number=number)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_citizen(id_number=number.lower())


def test_filtering_on_an_encrypted_field_is_refused(make_citizen):
    from yiwang.accounts.models import User

    user = make_citizen()
    with pytest.raises(TypeError, match="blind index"):
        User.objects.filter(id_number=user.id_number)
    with pytest.raises(TypeError):
        User.objects.filter(phone__startswith="139")
    with pytest.raises(TypeError):
        User.objects.filter(id_number__in=[user.id_number])
    assert User.objects.filter(id_number__isnull=False).count() >= 1


def test_notification_body_and_address_are_encrypted(make_citizen):
    from yiwang.notifications.models import Notification
    from yiwang.notifications.services import notify

    user = make_citizen(phone="13912345678")
    sms = [n for n in notify(user, "login_code", {"code": "428613", "minutes": 5}, channels=["sms"], sensitive=True)
           if n.channel == "sms"][0]
    with connection.cursor() as cur:
        cur.execute("SELECT to_address, body FROM notifications_notification WHERE id = %s", [sms.pk])
        to_address, body = cur.fetchone()
    assert "13912345678" not in to_address and "428613" not in body
    assert "428613" in Notification.objects.get(pk=sms.pk).body


def test_key_rotation(make_citizen):
    from yiwang.accounts.models import User

    old, new = new_key(), new_key()
    number = id_ending_in_x()
    with override_settings(FIELD_ENCRYPTION_KEYS=f"old:{old}"):
        user = make_citizen(id_number=number, phone="13912345678")
        assert raw_user_row(user.pk)["id_number"].startswith("v1:old:")

    with override_settings(FIELD_ENCRYPTION_KEYS=f"new:{new},old:{old}"):
        assert crypto.current_key_id() == "new"
        fresh = User.objects.get(pk=user.pk)  # written under old, still readable
        assert fresh.id_number == number and fresh.phone == "13912345678"
        assert User.objects.find_by_id_number(number) == user  # the blind index does not change
        fresh.name = "张伟伟"
        fresh.save()  # new writes use the new key
        assert raw_user_row(user.pk)["id_number"].startswith("v1:new:")
        assert raw_user_row(user.pk)["phone"].startswith("v1:new:")
        newcomer = make_citizen()
        assert raw_user_row(newcomer.pk)["id_number"].startswith("v1:new:")

    with override_settings(FIELD_ENCRYPTION_KEYS=f"new:{new}"):  # old key retired
        assert User.objects.get(pk=user.pk).id_number == number


def test_rotate_field_keys_command_reencrypts_every_row(make_citizen):
    from yiwang.accounts.models import User
    from yiwang.notifications.models import Notification
    from yiwang.notifications.services import notify

    old, new = new_key(), new_key()
    with override_settings(FIELD_ENCRYPTION_KEYS=f"old:{old}"):
        users = [make_citizen(phone=f"1391234567{i}") for i in range(3)]
        notify(users[0], "welcome")
    with override_settings(FIELD_ENCRYPTION_KEYS=f"new:{new},old:{old}"):
        call_command("rotate_field_keys", stdout=StringIO())
    with override_settings(FIELD_ENCRYPTION_KEYS=f"new:{new}"):
        for u in users:
            assert raw_user_row(u.pk)["id_number"].startswith("v1:new:")
            assert User.objects.get(pk=u.pk).id_number == u.id_number
            assert User.objects.get(pk=u.pk).phone == u.phone
        bodies = [n.body for n in Notification.objects.filter(recipient=users[0])]
        assert bodies and all("您好" in b for b in bodies)


def test_value_under_a_retired_key_cannot_be_read(make_citizen):
    from yiwang.accounts.models import User

    old = new_key()
    with override_settings(FIELD_ENCRYPTION_KEYS=f"old:{old}"):
        user = make_citizen()
    with override_settings(FIELD_ENCRYPTION_KEYS=f"new:{new_key()}"), pytest.raises(crypto.DecryptionError):
        User.objects.get(pk=user.pk)


def _set_raw_id_number(user_id: int, value: str) -> None:
    with connection.cursor() as cur:
        cur.execute("UPDATE accounts_user SET id_number = %s WHERE id = %s", [value, user_id])


def test_tampered_ciphertext_is_refused(make_citizen):
    from yiwang.accounts.models import User

    user = make_citizen()
    stored = raw_user_row(user.pk)["id_number"]
    prefix, kid, b64 = stored.split(":", 2)
    blob = bytearray(base64.b64decode(b64))
    blob[20] ^= 0x01  # flip one bit of the ciphertext
    _set_raw_id_number(user.pk, f"{prefix}:{kid}:{base64.b64encode(bytes(blob)).decode()}")
    with pytest.raises(crypto.DecryptionError):
        User.objects.get(pk=user.pk)


def test_ciphertext_cannot_be_moved_between_key_ids(make_citizen):
    """The key id is authenticated: relabelling a ciphertext with another id (even one that maps to
    the same key bytes) fails instead of decrypting."""
    from yiwang.accounts.models import User

    key = new_key()
    with override_settings(FIELD_ENCRYPTION_KEYS=f"a:{key}"):
        user = make_citizen()
    stored = raw_user_row(user.pk)["id_number"]
    _set_raw_id_number(user.pk, stored.replace("v1:a:", "v1:b:", 1))
    with override_settings(FIELD_ENCRYPTION_KEYS=f"a:{key},b:{key}"), pytest.raises(crypto.DecryptionError):
        User.objects.get(pk=user.pk)


@pytest.mark.parametrize("garbage", ["11010519491231002X", "v1:k1:", "v1:nokey:AAAA", "v2:k1:AAAA", "v1:k1:!!!"])
def test_garbage_in_the_column_is_a_decryption_error(make_citizen, garbage):
    from yiwang.accounts.models import User

    user = make_citizen()
    _set_raw_id_number(user.pk, garbage)
    with pytest.raises(crypto.DecryptionError):
        User.objects.get(pk=user.pk)


def test_bad_key_configuration_is_refused():
    with override_settings(FIELD_ENCRYPTION_KEYS="short:" + base64.b64encode(b"x" * 16).decode()):
        with pytest.raises(ValueError, match="32 bytes"):
            crypto.encrypt("x")


def test_round_trip_of_unicode():
    for text in ["张伟", "😀 emoji", "a" * 10_000]:
        assert crypto.decrypt(crypto.encrypt(text)) == text
