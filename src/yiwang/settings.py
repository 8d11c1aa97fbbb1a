"""Settings for Yiwang.

Everything that differs between the embedded default (``make run``: SQLite, in-process tasks,
local files) and a production deployment comes from the environment. See ``docs/deployment.md``
and ``deploy/production.env.example``.
"""

from __future__ import annotations

import json
import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent  # repository root
SRC_DIR = BASE_DIR / "src"
VAR_DIR = Path(os.environ.get("YIWANG_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value in (None, "") else value


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [x.strip() for x in (env(name, default) or "").split(",") if x.strip()]


PRODUCTION = env_bool("YIWANG_PRODUCTION")
DEBUG = env_bool("DEBUG", default=False)
DEMO_MODE = env_bool("YIWANG_DEMO", default=not PRODUCTION)
TESTING = env_bool("YIWANG_TESTING")


def _local_secrets() -> dict:
    """Keys for the embedded default, generated once into var/ (never used in production)."""
    path = VAR_DIR / "local-secrets.json"
    if path.exists():
        return json.loads(path.read_text())
    import base64

    data = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEYS": "k1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
        "BLIND_INDEX_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
    }
    path.write_text(json.dumps(data))
    path.chmod(0o600)
    return data


if PRODUCTION:
    from django.core.exceptions import ImproperlyConfigured

    _missing = [
        k
        for k in ("SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "BLIND_INDEX_KEY", "DATABASE_URL", "ALLOWED_HOSTS")
        if not env(k)
    ]
    if _missing:
        raise ImproperlyConfigured("Missing production settings: " + ", ".join(_missing))
    _secrets = {}
else:
    _secrets = _local_secrets()

SECRET_KEY = env("SECRET_KEY") or _secrets["SECRET_KEY"]
# "kid:base64key,kid2:base64key" — the first key encrypts, all keys decrypt (rotation).
FIELD_ENCRYPTION_KEYS = env("FIELD_ENCRYPTION_KEYS") or _secrets["FIELD_ENCRYPTION_KEYS"]
BLIND_INDEX_KEY = env("BLIND_INDEX_KEY") or _secrets["BLIND_INDEX_KEY"]

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "oauth2_provider",
    "django_tasks",
    "django_tasks_db",
    "django_htmx",
    "csp",
    "yiwang.core",
    "yiwang.accounts",
    "yiwang.notifications",
    "yiwang.catalog",
    "yiwang.cases",
    "yiwang.licences",
    "yiwang.grid",
    "yiwang.hotline",
    "yiwang.exchange",
    "yiwang.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "yiwang.core.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "yiwang.accounts.middleware.ActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    "yiwang.core.middleware.RejectNulMiddleware",
]

ROOT_URLCONF = "yiwang.urls"
WSGI_APPLICATION = "yiwang.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "yiwang.web.context_processors.shell",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------
_default_sqlite = f"sqlite:///{VAR_DIR / 'yiwang.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(env("DATABASE_URL", _default_sqlite), conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # Writers queue instead of failing with "database is locked".
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA busy_timeout=20000;"
            "PRAGMA foreign_keys=ON;"
        ),
    }
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-yiwang.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, tasks ---------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_PREFIX", "yiwang"),
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "yiwang_cache",
        }
    }

# The tasks API (django-tasks backport of Django 6's django.tasks). The database backend is the
# embedded default: `make run` runs its worker in-process (see gunicorn.conf.py); a deployment
# runs `manage.py db_worker` processes.
TASKS = {
    "default": {
        "BACKEND": env("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default", "notifications"],
    }
}

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "yiwang.accounts.backends.IdentityBackend",
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/me/"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

API_TOKEN_TTL = timedelta(hours=int(env("API_TOKEN_TTL_HOURS", "8")))
SMS_LOGIN_CODE_TTL = timedelta(minutes=5)
REGISTRATION_CODE_TTL = timedelta(minutes=10)
SESSION_COOKIE_AGE = 8 * 3600
SESSION_ENGINE = "yiwang.core.sessions"  # database sessions; forged keys are no session (see the module)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# django-axes: lock a login (per login name and address) after 5 failures for 15 minutes.
AXES_FAILURE_LIMIT = int(env("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "yiwang.accounts.lockout.lockout_response"
# Never store ID numbers in axes' tables: it keeps the blind index instead.
AXES_USERNAME_CALLABLE = "yiwang.accounts.lockout.axes_username"
AXES_CLIENT_IP_CALLABLE = "yiwang.accounts.lockout.client_ip"
AXES_VERBOSE = False
# Axes keeps the GET/POST data of failed attempts: mask every field that carries an identity
# number, a phone number or a one-time code (the password is always masked).
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "login", "id_number", "agent", "uscc", "phone", "sms_code",
                             "otp"]

OTP_TOTP_ISSUER = "一网通办"

# --- OpenID Connect provider (django-oauth-toolkit) -----------------------------------------
def _oidc_key() -> str:
    pem = env("OIDC_RSA_PRIVATE_KEY")
    if pem:
        return pem.replace("\\n", "\n")
    pem_file = env("OIDC_RSA_PRIVATE_KEY_FILE")
    if pem_file:
        return Path(pem_file).read_text()
    if PRODUCTION:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("OIDC_RSA_PRIVATE_KEY is required in production")
    path = VAR_DIR / "oidc-rsa.pem"
    if not path.exists():
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        path.chmod(0o600)
    return path.read_text()


OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": _oidc_key(),
    "OAUTH2_VALIDATOR_CLASS": "yiwang.accounts.oidc.YiwangOAuth2Validator",
    "SCOPES": {
        "openid": "OpenID Connect",
        "profile": "姓名（脱敏证件号）",
        "identity": "证件类型与证件号码",
        "one_number": "一号（身份证号码；未同时授权“证件号码”时为脱敏号码）",
    },
    # A client that names no scope gets only "openid" (DOT's default would be every scope).
    "DEFAULT_SCOPES": ["openid"],
    "PKCE_REQUIRED": True,
    "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,
    # RFC 9700 (OAuth 2.0 Security BCP): no implicit or password grant, S256 PKCE only, no tokens
    # in URLs, `iss` in responses, hashed token storage, refresh-token replay protection.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"] if PRODUCTION else ["http", "https"],
}

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [SRC_DIR / "yiwang" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files --------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/bpmn-js", BASE_DIR / "node_modules" / "bpmn-js" / "dist"),
    ("vendor/leaflet", BASE_DIR / "node_modules" / "leaflet" / "dist"),
]
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": env("FILE_STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage")},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = TESTING
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Cases: fetch licence and shared-data materials when a case is submitted (免提交).
CASE_FETCH_ON_SUBMIT = env_bool("CASE_FETCH_ON_SUBMIT", True)

# --- Notifications --------------------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "noreply@yiwang.invalid")
NOTIFY_SENDERS = {
    "sms": env("SMS_SENDER", "yiwang.notifications.senders.ConsoleSender"),
    "email": env("EMAIL_SENDER", "yiwang.notifications.senders.EmailSender"),
    "site": "yiwang.notifications.senders.SiteSender",
}
SMS_GATEWAY_URL = env("SMS_GATEWAY_URL")
SMS_GATEWAY_KEY = env("SMS_GATEWAY_KEY", "")
SMS_GATEWAY_SIGN = env("SMS_GATEWAY_SIGN", "一网通办")
NOTIFY_MAX_ATTEMPTS = int(env("NOTIFY_MAX_ATTEMPTS", "6"))

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# Number of reverse proxies in front of the app whose X-Forwarded-For is trusted (0 = none).
TRUSTED_PROXY_HOPS = int(env("TRUSTED_PROXY_HOPS", "0"))

# API rate limits (django-ninja throttling): anonymous callers and authenticated callers.
API_ANON_RATE = env("API_ANON_RATE", "120/m")
API_AUTH_RATE = env("API_AUTH_RATE", "1200/m")
API_LOGIN_RATE = env("API_LOGIN_RATE", "30/m")
# Abuse limits for what anyone may ask without signing in (web and API alike, see core.ratelimit):
# SMS login codes and registrations per client address, SMS codes of any kind per phone number.
SMS_CODE_RATE_PER_IP = env("SMS_CODE_RATE_PER_IP", "20/h")
REGISTER_RATE_PER_IP = env("REGISTER_RATE_PER_IP", "10/h")
SMS_RATE_PER_PHONE = env("SMS_RATE_PER_PHONE", "5/h,10/d")

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django_tasks_db": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "spiff": {"level": "WARNING"},
    },
}

CSRF_FAILURE_VIEW = "yiwang.web.views.csrf_failure"

SILENCED_SYSTEM_CHECKS: list[str] = []
