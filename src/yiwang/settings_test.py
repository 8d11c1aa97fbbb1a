"""Test settings: the real settings with fast password hashing and generous API rate limits.
The database is still whatever DATABASE_URL names (SQLite by default, PostgreSQL in CI)."""

import os

os.environ["YIWANG_TESTING"] = "1"
os.environ.setdefault("API_ANON_RATE", "100000/m")
os.environ.setdefault("API_AUTH_RATE", "100000/m")
os.environ.setdefault("API_LOGIN_RATE", "100000/m")
os.environ.setdefault("YIWANG_VAR_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "var", "test"))

from .settings import *  # noqa: E402,F401,F403
from .settings import REDIS_URL  # noqa: E402

if not REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "yiwang-tests"}}
