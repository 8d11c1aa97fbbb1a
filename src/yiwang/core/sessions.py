"""The session engine: Django's database sessions, accepting only keys Django itself could have
issued.

Django only checks that a session key is at least 8 characters long, so a forged cookie such as
``sessionid="\\000aaaaaaaa"`` (the quoted octal escape decodes to NUL) reaches the database, and
PostgreSQL answers a query holding NUL with an error: a 500 on every page. A key outside Django's
own alphabet is simply no session.
"""

from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore

_ALPHABET = frozenset(VALID_KEY_CHARS)


class SessionStore(DatabaseSessionStore):
    def _validate_session_key(self, key):
        return bool(key) and 8 <= len(key) <= 40 and all(c in _ALPHABET for c in key)
