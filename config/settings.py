"""TimeCommons settings, read from the environment (see .env.example).

Embedded defaults need nothing installed: SQLite, the offline geocoder,
console e-mail and inline background jobs. Production sets DATABASE_URL,
SECRET_KEY, ALLOWED_HOSTS and DEBUG=false.

DEBUG comes only from the environment and is off unless set: development is
chosen explicitly (`make run`, `make serve`, `make migrate` and `make demo`
pass DEBUG=true; the test suite uses config.settings_test).
"""

import importlib.util as _importlib_util
import os
import secrets
from pathlib import Path

import dj_database_url

from config.env import ConfigurationError, env_bool, env_int, env_list, env_str

# --- Core Django and security -------------------------------------------------
BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", default=False)
TESTING = env_bool("TIMECOMMONS_TESTING", default=False)

# True when no SECRET_KEY was given with DEBUG off. A management command
# (migrate, check, an export) signs nothing that outlives it, so it runs with a
# key made up for this process; every process that serves people (config.wsgi,
# config.asgi, manage.py runserver) refuses to start (config/serving.py), and
# `check --deploy` warns.
SECRET_KEY_MADE_UP = False
if DEBUG or TESTING:
    SECRET_KEY = env_str("SECRET_KEY", "insecure-development-key-never-use-in-production")
else:
    SECRET_KEY = env_str("SECRET_KEY", "")
    if not SECRET_KEY:
        SECRET_KEY_MADE_UP = True
        SECRET_KEY = secrets.token_urlsafe(64)
    elif len(SECRET_KEY) < 50:
        raise ConfigurationError("SECRET_KEY must be at least 50 characters long.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024  # request bodies capped at 1 MiB (docs/quality.md A4)
if not DEBUG and not TESTING:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- Apps, middleware and templates -------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "oauth2_provider",
    "corsheaders",
    "axes",
    # The project's apps, lowest layer first (docs/architecture.md).
    "core",
    "timebank",
    "assets",
    "referrals",
    "brokering",
    "privacy",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "timebank.context_processors.roles",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
# Tests run in several processes at once (CI, developers, helpers): each gets
# its own test database name so they never trample one another.
_TEST_SUFFIX = os.environ.get("TIMECOMMONS_TEST_DB_SUFFIX", str(os.getpid()))

DATABASE_URL = os.environ.get("DATABASE_URL", "").strip()
if DATABASE_URL:
    _db = dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
    if _db["ENGINE"] == "django.db.backends.postgresql":
        _db.setdefault("OPTIONS", {})
        # A runaway query must not hold a connection for ever (docs/quality.md A4).
        _db["OPTIONS"]["options"] = f"-c statement_timeout={env_int('DB_STATEMENT_TIMEOUT_MS', 15000)}"
        # Parameters sent apart from the SQL, and a query run 5 times on a connection
        # becomes a prepared statement: the API's hot queries skip planning (bench/
        # RESULTS.md). Turn off behind PgBouncer in transaction mode older than 1.21.
        if env_bool("DB_SERVER_SIDE_BINDING", True):
            _db["OPTIONS"]["server_side_binding"] = True
            _db["OPTIONS"]["prepare_threshold"] = env_int("DB_PREPARE_THRESHOLD", 5)
        _db["TEST"] = {"NAME": f"test_timecommons_{_TEST_SUFFIX}"}
    DATABASES = {"default": _db}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            "OPTIONS": {
                # IMMEDIATE takes the write lock at BEGIN, so two writers queue
                # instead of failing with "database is locked" on upgrade
                # (docs/quality.md L7); WAL lets readers carry on while one writes.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
            },
            # Kept open between requests, as PostgreSQL's are: opening one costs a
            # connection, three PRAGMAs and Django's function registrations.
            "CONN_MAX_AGE": env_int("DB_CONN_MAX_AGE", 60),
            # A file, not :memory:, so threaded tests share one real database.
            "TEST": {"NAME": str(BASE_DIR / f".test-db-{_TEST_SUFFIX}.sqlite3")},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache --------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Authentication and login lockout -----------------------------------------
AUTH_USER_MODEL = "timebank.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LOGIN_URL = "timebank:login"
LOGIN_REDIRECT_URL = "timebank:home"
LOGOUT_REDIRECT_URL = "timebank:home"

# django-axes: lock an account+address after 5 failed logins (docs/quality.md A2).
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env_bool("AXES_ENABLED", default=True)
AXES_VERBOSE = False

# --- Static files -------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Leaflet is served from the django-leaflet package's own static files (no CDN); its
# `leaflet` app is not installed because importing it needs GeoDjango (GDAL).
_leaflet_spec = _importlib_util.find_spec("leaflet")
if _leaflet_spec and _leaflet_spec.submodule_search_locations:
    STATICFILES_DIRS.append(Path(next(iter(_leaflet_spec.submodule_search_locations))) / "static")

# --- E-mail -------------------------------------------------------------------
# The address people use to reach the site: links in e-mails start with it.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# EMAIL_URL: console:// (default), smtp://user:pass@host:587 or smtp+tls://...
_EMAIL_URL = env_str("EMAIL_URL", "console://")
if _EMAIL_URL.startswith("console:"):
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
elif _EMAIL_URL.startswith("smtp"):
    from urllib.parse import unquote, urlparse

    _parsed = urlparse(_EMAIL_URL)
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _parsed.hostname or "localhost"
    EMAIL_PORT = _parsed.port or 25
    EMAIL_HOST_USER = unquote(_parsed.username or "")
    EMAIL_HOST_PASSWORD = unquote(_parsed.password or "")
    EMAIL_USE_TLS = _parsed.scheme == "smtp+tls"
    EMAIL_USE_SSL = _parsed.scheme == "smtp+ssl"
    EMAIL_TIMEOUT = 10
else:
    raise ConfigurationError(f"EMAIL_URL must start with console:// or smtp://, not {_EMAIL_URL!r}.")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "TimeCommons <hello@timecommons.localhost>")

# --- API: DRF, OpenAPI schema, OAuth2 clients, CORS ---------------------------
API_SCOPES = {
    "directory:read": "Search the community asset directory",
    "referrals:read": "Read referrals your organisation made or received",
    "referrals:write": "Make referrals, move them on, record outcomes, register webhooks",
    # The timebank's own systems may read match suggestions (GET /api/v1/listings/{id}/suggestions/).
    "brokering:read": "Read match suggestions for your timebank's requests",
}
# Deny by default; one error shape; every list paginated; scoped throttles keyed
# by client (docs/quality.md A4, A5). Rates come from the environment so a
# benchmark can lift them without editing code.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ClientCredentialsAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "api.permissions.ClientHasScope",
    ],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.StandardPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "api.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["api.throttles.ClientScopedThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "api": env_str("API_RATE_DEFAULT", "600/min"),
        "directory": env_str("API_RATE_DIRECTORY", "300/min"),
        "referrals-read": env_str("API_RATE_REFERRALS_READ", "300/min"),
        "referrals-write": env_str("API_RATE_REFERRALS_WRITE", "60/min"),
        # docs/quality.md A6: a daily cap on new referrals per client or person.
        "referrals-daily": env_str("API_RATE_REFERRALS_DAILY", "500/day"),
        "timebank": env_str("API_RATE_TIMEBANK", "300/min"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "TimeCommons API",
    "DESCRIPTION": (
        "Community asset directory, timebank and social-prescribing referrals. "
        "Machine clients use OAuth2 client credentials (POST /o/token/); "
        "send an Idempotency-Key header on every POST."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Served from the installed sidecar package: no CDN (the app runs offline).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "OAUTH2_FLOWS": ["clientCredentials"],
    "OAUTH2_TOKEN_URL": "/o/token/",
    "OAUTH2_SCOPES": API_SCOPES,
    "ENUM_NAME_OVERRIDES": {
        "ReferralStatusEnum": "referrals.models.ReferralStatus",
        "NewReferralStatusEnum": [("requested", "Requested"), ("draft", "Draft")],
    },
}
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER = {
    "SCOPES": API_SCOPES,
    # Clients get only the scopes they were created with (api/scopes.py).
    "SCOPES_BACKEND_CLASS": "api.scopes.ApiClientScopes",
    # docs/quality.md A2: client-credentials tokens live at most 10 minutes.
    "ACCESS_TOKEN_EXPIRE_SECONDS": min(env_int("API_TOKEN_LIFETIME_SECONDS", 600), 600),
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    # RFC 9700: revoke a token family on refresh-token replay (clients here get none, but be safe).
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    # RFC 9700 (OAuth 2.0 Security BCP): no implicit or password grants, no plain PKCE,
    # no tokens in query strings, `iss` in responses, tokens stored hashed.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    # Loads the token's API client and organisation in the same query (api/oauth.py).
    "OAUTH2_VALIDATOR_CLASS": "api.oauth.ApiOAuth2Validator",
}
# Idempotency keys are kept at least this long (docs/quality.md L8: >= 24 h).
API_IDEMPOTENCY_KEY_HOURS = max(env_int("API_IDEMPOTENCY_KEY_HOURS", 48), 24)

# CORS: the Open Referral feed is public (*); the private API gets none (docs/quality.md A8).
CORS_URLS_REGEX = r"^/openreferral/.*$"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_METHODS = ["GET", "OPTIONS"]

# --- Geocoding and the community asset directory ------------------------------
# Geocoder: "offline" (the shipped Code-Point Open / GeoNames tables, no network) or a
# geopy geocoder name such as "nominatim"; a named one falls back to offline on failure.
GEOCODER = env_str("GEOCODER", "offline")
GEOCODER_USER_AGENT = env_str("GEOCODER_USER_AGENT", "TimeCommons (set GEOCODER_USER_AGENT)")
GEOCODER_TIMEOUT = (3, 10)  # connect, read seconds: the ceiling in docs/quality.md A10
GEOCODER_CACHE_SECONDS = env_int("GEOCODER_CACHE_SECONDS", 7 * 24 * 3600)
# Map tiles: any XYZ template; the list of results never depends on tiles loading.
ASSETS_MAP_TILE_URL = env_str("ASSETS_MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
ASSETS_MAP_TILE_ATTRIBUTION = env_str("ASSETS_MAP_TILE_ATTRIBUTION", "&copy; OpenStreetMap contributors")

# --- Timebank rules and brokering ---------------------------------------------
# Days after an exchange is marked done before it confirms itself.
EXCHANGE_AUTO_CONFIRM_DAYS = env_int("EXCHANGE_AUTO_CONFIRM_DAYS", 7)
# Days before a listing expires when its owner is reminded.
LISTING_REMINDER_DAYS = env_int("LISTING_REMINDER_DAYS", 7)
LISTING_LIFETIME_DAYS = env_int("LISTING_LIFETIME_DAYS", 90)
# Help in someone's home is only suggested to members with a current DBS check.
BROKERING_HOME_VISITS_NEED_DBS = env_bool("BROKERING_HOME_VISITS_NEED_DBS", default=True)
# Coordinators are reminded this many days before a safeguarding check expires.
SAFEGUARDING_REMINDER_DAYS = env_int("SAFEGUARDING_REMINDER_DAYS", 30)
# Receivers are reminded to confirm an exchange this many days after it is marked done.
CONFIRM_REMINDER_AFTER_DAYS = env_int("CONFIRM_REMINDER_AFTER_DAYS", 2)

# --- Referrals and privacy ----------------------------------------------------
# Extra outcome instruments (dotted paths to Instrument objects), e.g. licensed
# scales a deployer adds; ONS4 is always registered.
REFERRAL_OUTCOME_INSTRUMENTS = env_list("REFERRAL_OUTCOME_INSTRUMENTS", [])
# Webhooks: attempts before giving up; the first retry waits this many seconds,
# then doubles each time.
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 6)
WEBHOOK_RETRY_BASE_SECONDS = env_int("WEBHOOK_RETRY_BASE_SECONDS", 30)
# Closed referrals are anonymised this many days after they closed (docs/quality.md D5):
# `manage.py anonymise_referrals`, run daily. Two years by default.
REFERRAL_RETENTION_DAYS = env_int("REFERRAL_RETENTION_DAYS", 730)

# --- Background jobs (Celery) -------------------------------------------------
# Without a broker, tasks run inline (after commit) so a newcomer needs nothing.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "").strip()
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = False

# --- Logging ------------------------------------------------------------------
# Referral data never reaches logs: code logs ids only (docs/quality.md D8).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
