"""TimeCommons settings, read from the environment (see .env.example).

Embedded defaults need nothing installed: SQLite, the offline geocoder,
console e-mail and inline background jobs. Production sets DATABASE_URL,
SECRET_KEY, ALLOWED_HOSTS and DEBUG=false.

DEBUG comes only from the environment and is off unless set: development is
chosen explicitly (`make run`, `make dev`, `make migrate` and `make demo`
pass DEBUG=true; the test suite uses config.settings_test).
"""

import importlib.util as _importlib_util
import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url

from config.env import ConfigurationError, env_bool, env_int, env_list, env_rate, env_str

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
# The languages people can read the service in, each named in itself (the
# switch shows these names). Welsh: docs/translating.md. The catalogue is
# locale/cy/LC_MESSAGES/django.po, compiled by `make compilemessages`.
LANGUAGES = [("en-gb", "English"), ("cy", "Cymraeg")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# A visitor's choice is kept in this cookie for a year; a member's on their
# profile (Member.language, core.i18n.MemberLanguageMiddleware).
LANGUAGE_COOKIE_NAME = "timecommons_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
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
    LANGUAGE_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
# Load balancers and orchestrators probe gunicorn directly, over plain HTTP and
# often with the pod's address as Host: core.health.HealthCheckMiddleware (first
# in MIDDLEWARE) answers them before the host check and the HTTPS redirect, and
# these keep the redirect off them should the middleware order ever change.
SECURE_REDIRECT_EXEMPT = [r"^health/$", r"^health/ready/$"]

# Anonymous forms: how many times one address may send each (core.ratelimit),
# counted in the shared cache so every worker holds the same count. A burst
# over the limit gets the form back with a message (429) and nothing is saved.
FORM_RATE_LIMITS = {
    "join": env_rate("FORM_RATE_JOIN", "10/hour"),
    "report": env_rate("FORM_RATE_REPORT", "10/hour"),
    "claim": env_rate("FORM_RATE_CLAIM", "10/hour"),
    "password-reset": env_rate("FORM_RATE_PASSWORD_RESET", "5/hour"),
}

# --- Apps, middleware and templates -------------------------------------------
INSTALLED_APPS = [
    # django.contrib.admin with a site that requires two-step sign-in (config/admin_site.py).
    "config.apps.AdminConfig",
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
    "csp",
    # Two-step sign-in for people who see health data and for the admin (timebank/twofactor.py).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # The project's apps, lowest layer first (docs/architecture.md).
    "core",
    "timebank",
    "assets",
    "referrals",
    # Co-production: people who use services planning them with professionals.
    "coproduction.involvement",
    "coproduction.voice",
    "coproduction.assessment",
    "brokering",
    "privacy",
    "api",
]

MIDDLEWARE = [
    # First: probes get /health/ and /health/ready/ over plain HTTP with any Host
    # (core/health.py), before the host check and the HTTPS redirect below.
    "core.health.HealthCheckMiddleware",
    # A view that cannot reach the database answers 503, not 500 (api/unavailable.py).
    "api.unavailable.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy from CONTENT_SECURITY_POLICY below (django-csp).
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language: ?lang= for this page, else the cookie, else the browser
    # (Accept-Language); a signed-in member's own choice wins (core.i18n, below).
    "django.middleware.locale.LocaleMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): has this session passed the second step?
    "django_otp.middleware.OTPMiddleware",
    # A member's chosen language and easy-read view, and ?lang= (timebank/i18n.py).
    "timebank.i18n.PreferencesMiddleware",
    # Permissions-Policy everywhere; Cache-Control: no-store on personal answers
    # (core/http.py). After auth, before the middleware that may answer early.
    "core.http.SecurityHeadersMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A body over DATA_UPLOAD_MAX_MEMORY_SIZE is a 413 (JSON for the API, a page
    # elsewhere) before anything reads it; after auth and messages so the page renders.
    "api.middleware.RequestTooLargeMiddleware",
    # Signs out people who see health data after SESSION_IDLE_MINUTES_HEALTH idle
    # (after messages, so it can say why).
    "referrals.sessions.HealthDataIdleTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "OPTIONS": {
            # Django's cached loaders, except that an easy-read request gets
            # templates/easyread/<name> where it exists (core/i18n.py).
            "loaders": [
                (
                    "core.i18n.EasyReadLoader",
                    [
                        "django.template.loaders.filesystem.Loader",
                        "django.template.loaders.app_directories.Loader",
                    ],
                )
            ],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "timebank.context_processors.roles",
                "timebank.context_processors.shell",
                "timebank.i18n.preferences",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
# Tests run in several processes at once (CI, developers, helpers): each gets
# its own test database name so they never trample one another.
_TEST_SUFFIX = os.environ.get("TIMECOMMONS_TEST_DB_SUFFIX", str(os.getpid()))


def _sqlite_database(path: str) -> dict:
    """SQLite's settings, the same whether it is named by SQLITE_PATH or by a
    sqlite:/// DATABASE_URL."""
    return {
        # Django's SQLite backend, whose table rebuilds keep the ledger's triggers (core/sqlite/base.py).
        "ENGINE": "core.sqlite",
        "NAME": path,
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


DATABASE_URL = os.environ.get("DATABASE_URL", "").strip()
if DATABASE_URL:
    _db: dict = dict(dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60)))
    if _db["ENGINE"] in ("django.db.backends.sqlite3", "core.sqlite"):
        _db = _sqlite_database(_db["NAME"])
    elif _db["ENGINE"] == "django.db.backends.postgresql":
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
    DATABASES: dict[str, dict] = {"default": _db}
else:
    DATABASES = {"default": _sqlite_database(env_str("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")))}

# Reports and exports may read from a PostgreSQL replica (core/replica.py,
# docs/deploy.md): its URL here adds the "reports" database; tests treat it as a
# mirror of the primary.
REPORTS_DATABASE_URL = os.environ.get("REPORTS_DATABASE_URL", "").strip()
if REPORTS_DATABASE_URL:
    _reports: dict = dict(dj_database_url.parse(REPORTS_DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60)))
    if _reports["ENGINE"] == "django.db.backends.postgresql":
        _reports.setdefault("OPTIONS", {})["options"] = (
            f"-c statement_timeout={env_int('DB_STATEMENT_TIMEOUT_MS', 15000)} -c default_transaction_read_only=on"
        )
    _reports["TEST"] = {"MIRROR": "default"}
    DATABASES["reports"] = _reports
DATABASE_ROUTERS = ["core.replica.ReportsRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache --------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
# Throttles, the daily referral cap and form limits count in the cache, so every
# process must see one cache: Redis when given, else a table in the database
# (core/migrations makes it; a lot slower than Redis, but every worker agrees).
# Tests keep one process's memory, which is quicker and starts empty.
if REDIS_URL:
    CACHES: dict[str, dict] = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
elif TESTING:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "core_cache",  # the table core/migrations/0002_cache_table.py makes
            # Above this many rows a third are dropped: room for every address's counts.
            "OPTIONS": {"MAX_ENTRIES": 50_000},
        }
    }

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

# How many proxies (nginx, Caddy, a load balancer) stand in front of the app and
# append to X-Forwarded-For. 0: the app is reached directly and REMOTE_ADDR is the
# person's address; 1: the README's set-up. core.clientip.client_address takes the
# entry this many hops from the right and never trusts one further left, so a
# made-up header cannot choose the address that lockouts and rate limits key on.
TRUSTED_PROXY_COUNT = max(env_int("TRUSTED_PROXY_COUNT", 0), 0)

# django-axes: lock one account from one address after 5 failed logins or
# second-step codes (docs/quality.md A2). Keyed by username AND address, so an
# attacker guessing from their address cannot lock the real person out from
# theirs; a short cool-off instead of an hour. No lock by username alone: that
# would let anyone lock a coordinator out from anywhere; slow guessing from many
# addresses is met by the password rules and, for those who see health data,
# the second factor.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
LOGIN_LOCKOUT_MINUTES = max(env_int("LOGIN_LOCKOUT_MINUTES", 15), 1)
AXES_COOLOFF_TIME = LOGIN_LOCKOUT_MINUTES / 60  # a float is read as hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env_bool("AXES_ENABLED", default=True)
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "core.clientip.client_address"
# The plain-English page that says how long to wait and how to get back in.
AXES_LOCKOUT_CALLABLE = "timebank.views.members.login_locked_out"

# Sessions: members stay signed in for SESSION_COOKIE_DAYS; anyone who can see
# health data (referrals) is signed out after SESSION_IDLE_MINUTES_HEALTH without
# a request (referrals.sessions.HealthDataIdleTimeoutMiddleware).
SESSION_COOKIE_AGE = max(env_int("SESSION_COOKIE_DAYS", 14), 1) * 24 * 3600
# Sessions live in the database, which every web node shares; with Redis they are
# also cached there, so a request reads its session without a database query.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db" if REDIS_URL else "django.contrib.sessions.backends.db"
SESSION_IDLE_MINUTES_HEALTH = max(env_int("SESSION_IDLE_MINUTES_HEALTH", 30), 1)

# Two-step sign-in (django-otp, TOTP): the name authenticator apps show.
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "TimeCommons")
# Minutes a person has to type their code after a correct password.
TWO_FACTOR_PENDING_MINUTES = 5

# --- Static files -------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Where `collectstatic` (make serve) puts them; whitenoise serves them from here.
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
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
    # DRF's JSON parser with a nesting limit (core/jsonlimit.py): too deep is a 400.
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],
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
    # Throttles key a caller without a token by address: DRF reads the same count
    # of trusted proxies as core.clientip (without it, DRF believes a made-up
    # X-Forwarded-For and each made-up value gets a fresh allowance).
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
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
# An Idempotency-Key's in-progress claim is a lease this long: a retry after it takes
# over a claim whose worker died. It must outlast gunicorn's worker timeout
# (gunicorn.conf.py: 30 s), after which that worker has surely been killed.
API_IDEMPOTENCY_LEASE_SECONDS = max(env_int("API_IDEMPOTENCY_LEASE_SECONDS", 60), 31)

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

# --- Content-Security-Policy (django-csp) ----------------------------------------
# Scripts and styles only from our own static files: no inline <script>, no on*=
# handlers, no style= attributes anywhere (data for scripts goes in json_script
# blocks), so text a person typed can never run as code even if a template slips.
# Images may also come from the map tile server (its origin, from
# ASSETS_MAP_TILE_URL; a {s} subdomain placeholder becomes *). The API's ReDoc
# page alone relaxes styles (api/v1_urls.py).
_tiles = urlsplit(ASSETS_MAP_TILE_URL)
_TILE_ORIGIN = f"{_tiles.scheme}://{_tiles.netloc.replace('{s}', '*')}" if _tiles.scheme and _tiles.netloc else ""
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", *([_TILE_ORIGIN] if _TILE_ORIGIN else [])],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- Timebank rules and brokering ---------------------------------------------
# Days after an exchange is marked done before it confirms itself.
EXCHANGE_AUTO_CONFIRM_DAYS = env_int("EXCHANGE_AUTO_CONFIRM_DAYS", 7)
# How many days back the day help was given may be, when its time is recorded.
EXCHANGE_HELP_DATE_MAX_DAYS_BACK = env_int("EXCHANGE_HELP_DATE_MAX_DAYS_BACK", 90)
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
# Webhook URLs may only use these ports (comma-separated), checked at registration
# and again before each send (core/netguard.py).
WEBHOOK_ALLOWED_PORTS = [int(port) for port in env_list("WEBHOOK_ALLOWED_PORTS", ["443"])]
# Closed referrals are anonymised this many days after they closed (docs/quality.md D5):
# `manage.py anonymise_referrals`, run daily. Two years by default.
REFERRAL_RETENTION_DAYS = env_int("REFERRAL_RETENTION_DAYS", 730)
# The follow-up prompt is raised this many days after a referral was accepted
# (about three months): `manage.py referral_follow_ups`, run daily, or Celery beat.
REFERRAL_FOLLOW_UP_DAYS = env_int("REFERRAL_FOLLOW_UP_DAYS", 91)
# A referred member's invitation to choose a password works for this many days.
INVITATION_DAYS = env_int("INVITATION_DAYS", 14)
# Involvement (coproduction/involvement, docs/coproduction-involvement.md): an
# opportunity cannot be published with less notice than this; receipts are
# optional up to this amount (pence) and capped in size; claims are paid within
# this many days (the promise shown on the page and counted in the report).
INVOLVEMENT_MIN_NOTICE_DAYS = max(env_int("INVOLVEMENT_MIN_NOTICE_DAYS", 14), 0)
EXPENSES_RECEIPT_REQUIRED_OVER_PENCE = max(env_int("EXPENSES_RECEIPT_REQUIRED_OVER_PENCE", 2000), 0)
# A receipt must fit in a request body (DATA_UPLOAD_MAX_MEMORY_SIZE) with the form around it.
EXPENSES_RECEIPT_MAX_BYTES = min(
    max(env_int("EXPENSES_RECEIPT_MAX_BYTES", 800 * 1024), 1024), DATA_UPLOAD_MAX_MEMORY_SIZE - 64 * 1024
)
EXPENSES_PAY_WITHIN_DAYS = max(env_int("EXPENSES_PAY_WITHIN_DAYS", 14), 1)
# The co-production self-assessment shows members' answers only once at least this
# many members answered a closed round, so no one can be picked out.
ASSESSMENT_MIN_MEMBER_ANSWERS = max(env_int("ASSESSMENT_MIN_MEMBER_ANSWERS", 3), 1)

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
