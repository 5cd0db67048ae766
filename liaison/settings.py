"""One settings module, configured from the environment only (see .env.example).

LIAISON_MODE picks the safety rules, not the features:
- production (default): SECRET_KEY is required and DEBUG must be off;
- demo: `liaison demo` on a laptop; the secret key is generated once and kept in the data folder;
- test: the test suite (liaison/test_settings.py sets it).
A bad value fails loudly at start-up with ImproperlyConfigured.
"""

import ipaddress
import os
import secrets
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dj_database_url
import holidays
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent

MODES = ("production", "demo", "test")


def env(name: str, default: str = "") -> str:
    """A value from the environment, or from the file named by NAME_FILE (for secrets)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE: cannot read {path}: {exc.strerror}") from exc
    return os.environ.get(name, default)


def envbool(name: str, default: str = "false") -> bool:
    value = env(name, default).strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def envint(name: str, default: str) -> int:
    value = env(name, default)
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


MODE = env("LIAISON_MODE", "production")
if MODE not in MODES:
    raise ImproperlyConfigured(f"LIAISON_MODE must be one of {', '.join(MODES)}, not {MODE!r}")

DATA_DIR = Path(env("LIAISON_DATA_DIR", str(Path.cwd() / "var"))).resolve()

DEBUG = envbool("DEBUG")
if MODE == "production" and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off in production (unset DEBUG or set LIAISON_MODE=demo).")


def _demo_secret_key() -> str:
    """The demo keeps its own secret key, made once, in the data folder."""
    path = DATA_DIR / "secret_key"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if MODE == "production":
        raise ImproperlyConfigured("SECRET_KEY is required in production (or SECRET_KEY_FILE).")
    SECRET_KEY = _demo_secret_key() if MODE == "demo" else "test-only-" + secrets.token_urlsafe(20)
elif MODE == "production" and len(SECRET_KEY) < 40:
    raise ImproperlyConfigured("SECRET_KEY must be at least 40 characters long.")
# Keys retired by a rotation: still accepted for signed links and sessions, and by `liaison audit_verify`.
SECRET_KEY_FALLBACKS = envlist("SECRET_KEY_FALLBACKS")

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")

TIME_ZONE = env("TIME_ZONE", "America/New_York")
try:
    ZoneInfo(TIME_ZONE)
except (ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(f"TIME_ZONE {TIME_ZONE!r} is not a known time zone (e.g. America/New_York).") from None
# The practice's state (two letters): its public holidays are days business-hour deadlines skip.
CLINIC_STATE = env("CLINIC_STATE", "NY").strip().upper()
if CLINIC_STATE not in holidays.US.subdivisions:
    raise ImproperlyConfigured(f"CLINIC_STATE {CLINIC_STATE!r} is not a US state or territory code (e.g. NY).")
USE_TZ = True
LANGUAGE_CODE = "en-us"
USE_I18N = False

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "liaison.core",
    "liaison.accounts",
    "liaison.directory",
    "liaison.referrals",
    "liaison.crm",
    "liaison.care",
    "ninja",
    "liaison.api",
    "liaison.comms",
    "liaison.notify",
    "liaison.search",
    "liaison.demo",
    # Sign-in: allauth's accounts and MFA (TOTP, recovery codes, passkeys), axes for lockout (decision 0016).
    # After our apps, so that our templates for their pages come first.
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # The JSON API's errors in its own shape, and its 413 before anything reads an oversized body.
    "liaison.api.errors.ApiErrorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "liaison.core.middleware.RequestContextMiddleware",
    "liaison.core.middleware.SecurityHeadersMiddleware",
    "liaison.accounts.middleware.MFARequiredMiddleware",
    # Last, as axes asks: it turns a refused sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "liaison.urls"
WSGI_APPLICATION = "liaison.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "liaison.core.context_processors.clinic",
            ],
        },
    },
]

DATABASE_URL = env("DATABASE_URL", f"sqlite:///{DATA_DIR / 'liaison.sqlite3'}")
try:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=envint("DATABASE_CONN_MAX_AGE", "0"))}
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a database address Liaison understands: {exc}") from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # One writer at a time, taken at BEGIN: conditional updates then see each other's commits.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    if DATABASE_URL.startswith("sqlite:///") and MODE != "test":
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Decision 0011. The planner's cost of a random read: Liaison's working set (directory, relationships,
    # open referrals) lives in memory or on SSD, where PostgreSQL's default of 4 makes it scan whole tables
    # instead of looking fifty rows up by key. An operator who has set it server-wide can pass "" to keep theirs.
    # Options given in DATABASE_URL (?sslmode=require&options=...) are kept and come first.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    if page_cost := env("DATABASE_RANDOM_PAGE_COST", "1.1").strip():
        try:
            setting = f"-c random_page_cost={float(page_cost)}"
        except ValueError:
            raise ImproperlyConfigured(f"DATABASE_RANDOM_PAGE_COST must be a number, not {page_cost!r}") from None
        options["options"] = f"{options['options']} {setting}" if options.get("options") else setting
    # psycopg prepares a statement the fifth time a connection runs it, so PostgreSQL parses it once. Turn it
    # off behind a pooler in transaction mode (PgBouncer), which cannot keep prepared statements.
    if envbool("DATABASE_PREPARED_STATEMENTS", "true"):
        options.setdefault("server_side_binding", True)
        options.setdefault("prepare_threshold", 5)
else:
    raise ImproperlyConfigured("DATABASE_URL must point at SQLite or PostgreSQL.")

# A new referral's follow-up (the referrer's relationship and health, the letters it makes owed): "worker"
# records it in the intake transaction and the background worker runs it seconds later, so intake stays
# quick; "inline" runs it inside the intake request (no worker needed, slower intake). Decision 0010.
# Who runs background work: "builtin" (the thread of `liaison demo`, or `liaison run_worker`) or "celery".
WORKER = env("LIAISON_WORKER", "builtin")
if WORKER not in ("builtin", "celery"):
    raise ImproperlyConfigured(f"LIAISON_WORKER must be builtin or celery, not {WORKER!r}")
INTAKE_FOLLOWUP = env("LIAISON_INTAKE_FOLLOWUP", "worker")
if INTAKE_FOLLOWUP not in ("worker", "inline"):
    raise ImproperlyConfigured(f"LIAISON_INTAKE_FOLLOWUP must be worker or inline, not {INTAKE_FOLLOWUP!r}")

# The store every web process shares: rate-limit counts (liaison.core.ratelimit) and sign-in limits. Redis when
# CACHE_URL (or REDIS_URL) names one; otherwise a table in the database (made by `liaison migrate`), so several
# gunicorn workers share their counts even without Redis.
CACHE_URL = env("CACHE_URL") or env("REDIS_URL")
if CACHE_URL and not CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured(f"CACHE_URL must be a redis://, rediss:// or unix:// address, not {CACHE_URL!r}")
SHARED_CACHE = (
    {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL, "KEY_PREFIX": "liaison"}
    if CACHE_URL
    else {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "liaison_cache",
        # Counters must not be culled while they count: expired rows go first, live ones only past this many.
        "OPTIONS": {"MAX_ENTRIES": 100_000},
    }
)
CACHES = {"default": SHARED_CACHE, "shared": SHARED_CACHE}

# Request limits, counted in the shared store (liaison.core.ratelimit): over the limit, a 429 with Retry-After.


def _limit(name: str, default: str) -> int:
    value = envint(name, default)
    if value < 1:
        raise ImproperlyConfigured(f"{name} must be at least 1, not {value}")
    return value


API_RATE_LIMIT = _limit("API_RATE_LIMIT", "120")  # requests per API token per minute
FORM_RATE_LIMIT = _limit("FORM_RATE_LIMIT", "20")  # public referral form posts per address per window
FORM_RATE_WINDOW = _limit("FORM_RATE_WINDOW", "600")  # seconds
QUESTIONNAIRE_RATE_LIMIT = _limit("QUESTIONNAIRE_RATE_LIMIT", "30")  # questionnaire page loads per address
QUESTIONNAIRE_RATE_WINDOW = _limit("QUESTIONNAIRE_RATE_WINDOW", "600")  # seconds
# The largest request body read into memory (the API's JSON, a form's text fields; uploaded files are streamed):
# an API referral with one 10 MB PDF, base64-encoded, fits. A larger one is answered 413.
DATA_UPLOAD_MAX_MEMORY_SIZE = _limit("MAX_REQUEST_BYTES", str(16 * 1024 * 1024))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # zxcvbn's estimate: keyboard walks, repeats, and the user's own names with digits are refused.
    {"NAME": "liaison.accounts.passwords.GuessablePasswordValidator"},
]

# Sign-in (decision 0016). axes comes first: it refuses a locked-out account or address before any password
# is checked, and counts every failure in the database, so that every web process sees the same count.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# A second step at sign-in (an authenticator app's code or a passkey) for every account. On unless switched off
# here; `liaison check --deploy` warns when it is off in production. The demo's own accounts may skip it.
LIAISON_MFA_REQUIRED = envbool("LIAISON_MFA_REQUIRED", "true")
ACCOUNT_ADAPTER = "liaison.accounts.adapters.AccountAdapter"
ACCOUNT_FORMS = {"login": "liaison.accounts.forms.SignInForm"}
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_SESSION_REMEMBER = False
# Password attempts are counted by axes (in the database); allauth's own limits still apply to MFA codes.
ACCOUNT_RATE_LIMITS = {"login": None}
MFA_ADAPTER = "liaison.accounts.adapters.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_TOTP_ISSUER = env("MFA_TOTP_ISSUER", "Liaison")
# Passkeys work over HTTPS, and on http://localhost (not http://127.0.0.1: a passkey belongs to a name, not an
# address). The origin is always checked (MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN stays off).
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", "10")
if AXES_FAILURE_LIMIT < 1:
    raise ImproperlyConfigured(f"AXES_FAILURE_LIMIT must be at least 1, not {AXES_FAILURE_LIMIT}")
# Minutes before a lock lifts by itself; 0 keeps it until an administrator unlocks it.
AXES_COOLOFF_MINUTES = envint("AXES_COOLOFF_MINUTES", "30")
if AXES_COOLOFF_MINUTES < 0:
    raise ImproperlyConfigured(f"AXES_COOLOFF_MINUTES must be 0 (no cool-off) or more, not {AXES_COOLOFF_MINUTES}")
AXES_COOLOFF_TIME = timedelta(minutes=AXES_COOLOFF_MINUTES) if AXES_COOLOFF_MINUTES else None
# Tries during a lock are refused and audited but do not restart it: it lifts a set time after it was set.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Per account (from any address) at AXES_FAILURE_LIMIT; per address only at its own, much higher limit (someone
# trying many accounts), so one person's wrong passwords do not lock a practice sharing one address out.
AXES_ADDRESS_FAILURE_LIMIT = envint("AXES_ADDRESS_FAILURE_LIMIT", "50")
if AXES_ADDRESS_FAILURE_LIMIT < AXES_FAILURE_LIMIT:
    raise ImproperlyConfigured(
        f"AXES_ADDRESS_FAILURE_LIMIT ({AXES_ADDRESS_FAILURE_LIMIT}) must be at least "
        f"AXES_FAILURE_LIMIT ({AXES_FAILURE_LIMIT})"
    )
AXES_LOCKOUT_PARAMETERS = "liaison.accounts.lockout.lockout_parameters"
AXES_CLIENT_IP_CALLABLE = "liaison.core.audit.client_address"
AXES_LOCKOUT_CALLABLE = "liaison.accounts.views.locked_out"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ADMIN = False
AXES_VERBOSE = False

# Automatic logoff (HIPAA 164.312(a)(2)(iii)): the session ends after this many idle minutes.
SESSION_IDLE_MINUTES = envint("SESSION_IDLE_MINUTES", "15")
if SESSION_IDLE_MINUTES < 1:
    raise ImproperlyConfigured(f"SESSION_IDLE_MINUTES must be at least 1, not {SESSION_IDLE_MINUTES}")
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
# A refused form post is on the audit trail like every other refusal.
CSRF_FAILURE_VIEW = "liaison.core.errors.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

BEHIND_PROXY = envbool("LIAISON_BEHIND_PROXY")
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The proxies whose X-Forwarded-For is believed (addresses or CIDR blocks). A request from anywhere else is known
# by its own address, whatever it claims (liaison.core.audit.client_address). Behind a proxy the default is the
# proxy on this machine.
try:
    TRUSTED_PROXIES = [
        ipaddress.ip_network(item, strict=False)
        for item in envlist("TRUSTED_PROXIES", "127.0.0.1,::1" if BEHIND_PROXY else "")
    ]
except ValueError as exc:
    raise ImproperlyConfigured(f"TRUSTED_PROXIES must list addresses or CIDR blocks (10.0.0.0/8): {exc}") from None
if MODE == "production":
    # HTTPS only, on by default: plain HTTP is redirected (the load balancer's health check excepted) and browsers
    # are told by HSTS to use HTTPS for a year. Behind a proxy that ends TLS, set LIAISON_BEHIND_PROXY=true so the
    # redirect sees the proxy's X-Forwarded-Proto; SECURE_SSL_REDIRECT=false only if the proxy redirects itself.
    SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", "true")
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "true")
    SECURE_REDIRECT_EXEMPT = [r"^health/$"]
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", "31536000")
    if SECURE_HSTS_SECONDS < 0:
        raise ImproperlyConfigured(f"SECURE_HSTS_SECONDS must be 0 (off) or more, not {SECURE_HSTS_SECONDS}")
    SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", "true")
    # Preloading is the domain owner's call (browsers keep the list for months; decision 0012): off unless asked,
    # and Django's reminder about it is silenced while it is off.
    SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", "false")
    SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

STATIC_URL = "/static/"
# Production serves collected files from STATIC_ROOT; the demo and the tests serve them from the apps directly.
STATIC_ROOT = Path(env("STATIC_ROOT", str(DATA_DIR / "static"))) if MODE == "production" or env("STATIC_ROOT") else None
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = MODE != "production"

EMAIL_HOST = env("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = envint("EMAIL_PORT", "25")
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS")
EMAIL_USE_SSL = envbool("EMAIL_USE_SSL")
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", "30")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Liaison <liaison@localhost>")
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("Set EMAIL_USE_TLS or EMAIL_USE_SSL, not both.")

# Notices outside the app and the patient's questionnaire link (liaison/notify, decision 0041). The address emails
# link back to; in production it defaults to https:// and the first of ALLOWED_HOSTS.
SITE_URL = env("LIAISON_SITE_URL", f"https://{ALLOWED_HOSTS[0]}" if MODE == "production" else "http://127.0.0.1:8000")
if not SITE_URL.startswith(("http://", "https://")) or any(ch.isspace() for ch in SITE_URL):
    raise ImproperlyConfigured(f"LIAISON_SITE_URL must start with https:// (or http://), not {SITE_URL!r}")
SITE_URL = SITE_URL.rstrip("/")
NOTIFY_DIGEST_HOUR = envint("LIAISON_DIGEST_HOUR", "7")  # the daily digest's hour, in the practice's time zone
if not 0 <= NOTIFY_DIGEST_HOUR <= 23:
    raise ImproperlyConfigured(f"LIAISON_DIGEST_HOUR must be 0 to 23, not {NOTIFY_DIGEST_HOUR}")
# With no booked session, the reminder of an unanswered questionnaire link goes this many hours after the link.
NOTIFY_LINK_REMINDER_HOURS = envint("LIAISON_LINK_REMINDER_HOURS", "24")
if NOTIFY_LINK_REMINDER_HOURS < 1:
    raise ImproperlyConfigured("LIAISON_LINK_REMINDER_HOURS must be 1 or more.")
# Text messages: "console" (printed; the demo), "locmem" (kept in memory; the tests), "http" (the operator's
# gateway at LIAISON_SMS_URL), or "" (none: a link can only go by email). No network call unless configured.
SMS_BACKENDS = {
    "console": "liaison.notify.sms.ConsoleBackend",
    "locmem": "liaison.notify.sms.LocmemBackend",
    "http": "liaison.notify.sms.HttpBackend",
    "": "",
}
_sms_default = {"demo": "console", "test": "locmem"}.get(MODE, "http" if env("LIAISON_SMS_URL") else "")
SMS_BACKEND = env("LIAISON_SMS_BACKEND", _sms_default).strip().lower()
if SMS_BACKEND not in SMS_BACKENDS:
    raise ImproperlyConfigured(f"LIAISON_SMS_BACKEND must be console, locmem, http or empty, not {SMS_BACKEND!r}")
SMS_URL = env("LIAISON_SMS_URL")
SMS_TOKEN = env("LIAISON_SMS_TOKEN")
SMS_FROM = env("LIAISON_SMS_FROM")
SMS_TIMEOUT = envint("LIAISON_SMS_TIMEOUT", "15")
if SMS_BACKEND == "http" and not SMS_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured("LIAISON_SMS_BACKEND=http needs LIAISON_SMS_URL, the gateway's https:// address.")

LOG_LEVEL = env("LOG_LEVEL", "INFO").strip().upper()
if LOG_LEVEL not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
    raise ImproperlyConfigured(f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not {LOG_LEVEL!r}")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # pikepdf says "logger bridge initialized" at INFO on import; its warnings (a damaged PDF repaired) still show.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "pikepdf": {"level": "WARNING"}},
}
