"""The demo district: 江东市云溪区 (fictional names, real code formats).

``manage.py load_demo`` loads it (idempotently) and ``manage.py demo_accounts --json`` prints its
logins. The data modules (:mod:`.geo`, :mod:`.orgs`, :mod:`.people`, :mod:`.enterprises`) are pure
and deterministic, so every run describes the same district; :mod:`.loader` writes what is missing.
"""

DEMO_PASSWORD = "Yiwang@2026"

PROVINCE = ("320000", "江苏省")
CITY = ("329000", "江东市")
DISTRICT = ("329002", "云溪区")
