"""The portal's one settings module, driven by environment variables (see .env.example)."""

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import environ
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# A development key is allowed only with DEBUG on; production must set SECRET_KEY.
SECRET_KEY = env("SECRET_KEY", default="")
if not SECRET_KEY:
    SECRET_KEY = "insecure-development-key-set-SECRET_KEY-in-production"  # noqa: S105
    INSECURE_SECRET_KEY = True
else:
    INSECURE_SECRET_KEY = False

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
PUBLIC_URL = env("PUBLIC_URL", default="")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[PUBLIC_URL] if PUBLIC_URL else [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "chargers",
    "transactions",
    "rfid",
    "live",
    "webhooks",
    "alerts",
    "portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "portal.urls"
ASGI_APPLICATION = "portal.asgi.application"

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
            ],
        },
    },
]

# SQLite is the embedded default; production points DATABASE_URL at PostgreSQL.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (daphne, celery) share the file: wait for locks instead of failing at once, and use
    # a file for the test database too, so that a test's daphne subprocess sees the same data.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 30, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
    DATABASES["default"]["TEST"] = {"NAME": env("TEST_DATABASE_NAME", default=str(BASE_DIR / "test_db.sqlite3"))}
else:
    # Under ASGI every HTTP request runs its sync part in a thread of its own, so Django's per-thread
    # persistent connections would open a new PostgreSQL connection per request (about 20 ms of CPU each):
    # psycopg's pool hands threads a ready connection instead.
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DATABASE_POOL_MIN", default=2),
        "max_size": env.int("DATABASE_POOL_MAX", default=20),
        "timeout": 10,
    }
    if env("TEST_DATABASE_NAME", default=""):
        # Two test runs on one server (two checkouts, parallel jobs) need two test databases.
        DATABASES["default"]["TEST"] = {"NAME": env("TEST_DATABASE_NAME")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# The test suite, and the servers it starts, make and log in thousands of users: the real hasher's deliberate
# slowness would be a large part of its time. Only tests/conftest.py sets this; never set it in production.
if env.bool("FAST_PASSWORD_HASHER_FOR_TESTS", default=False):
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Django's model permissions, with the role of the group `viewers` (read-only) applied on top (portal/roles.py).
AUTHENTICATION_BACKENDS = ["portal.backends.RoleBackend"]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# Redis is the channel layer and the Celery broker. When REDIS_URL is unset, `make run` and `make test`
# start the embedded server (portal/launcher.py) and set REDIS_URL for every process they start.
REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
_REDIS = urlsplit(REDIS_URL)
if _xdist_worker := env("PYTEST_XDIST_WORKER", default=""):
    # A parallel test run (pytest-xdist): each worker gets a Redis database of its own, as pytest-django gives it a
    # test database of its own, so that one worker's Celery queues, caches and channel groups (whose names hold
    # primary keys both databases use) never reach the other's servers.
    _REDIS = _REDIS._replace(path=f"/{int(_REDIS.path.strip('/') or 0) + 1 + int(_xdist_worker.removeprefix('gw'))}")
    REDIS_URL = urlunsplit(_REDIS)
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            # socket_timeout=None: redis-py's 5 s read timeout would kill idle consumers (channels_redis#422).
            # retry: after a Redis restart every pooled connection is dead; one immediate retry on a new one
            # makes that invisible (a Redis that is really away still fails at once, and consumers wait for it).
            "hosts": [
                {
                    "address": REDIS_URL,
                    "socket_timeout": None,
                    "socket_connect_timeout": 5,
                    "retry": Retry(NoBackoff(), 1),
                    "max_connections": 1000,
                }
            ],
            "capacity": 10_000,
            "expiry": 60,
            "prefix": env("CHANNEL_PREFIX", default="asgi"),
        },
    },
}
# The event groups that pages and integrators watch (core/event_groups.py): Redis pub/sub, so that a group message
# crosses Redis once per process rather than once per watcher (core/pubsub_layer.py says why).
CHANNEL_LAYERS["events"] = {
    "BACKEND": "core.pubsub_layer.EventsChannelLayer",
    "CONFIG": {
        "hosts": CHANNEL_LAYERS["default"]["CONFIG"]["hosts"],
        # Pub/sub channels are one namespace for the whole Redis server, whatever database the URL names: the
        # database goes into the prefix, so that portals (or test runs) on other databases hear nothing of ours.
        "prefix": f"{CHANNEL_LAYERS['default']['CONFIG']['prefix']}:events:{_REDIS.path.strip('/') or 0}:",
    },
}

# Django's cache (login throttling) on the same Redis: every process must see the same counts.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env("CACHE_PREFIX", default="portal"),
        # Short socket timeouts: a Redis that does not answer must not hang a login (the throttle fails open).
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }
}
# Requests per API key ("600/minute", "20/second"; empty: no limit).
API_KEY_THROTTLE_RATE = env.str("API_KEY_THROTTLE_RATE", default="600/minute")
# Failed logins (and wrong API keys, per address) within a window that opens at the first failure.
LOGIN_FAILURES_PER_USERNAME = env.int("LOGIN_FAILURES_PER_USERNAME", default=5)
LOGIN_FAILURES_PER_ADDRESS = env.int("LOGIN_FAILURES_PER_ADDRESS", default=20)
LOGIN_FAILURE_WINDOW_S = env.int("LOGIN_FAILURE_WINDOW_S", default=15 * 60)

# How long a share link of a live session works (live/sharing.py).
LIVE_SHARE_TTL_S = env.int("LIVE_SHARE_TTL_S", default=24 * 3600)
# Stuck sessions (transactions/selectors/stale.py): open this long, or silent this long, is implausible.
TRANSACTION_STALE_AFTER_H = env.float("TRANSACTION_STALE_AFTER_H", default=48)
TRANSACTION_SILENT_AFTER_H = env.float("TRANSACTION_SILENT_AFTER_H", default=3)
# How often a live page's feed says it is alive when nothing happens; pages call a feed stale after 2.5 of them.
LIVE_HEARTBEAT_S = env.float("LIVE_HEARTBEAT_S", default=15.0)
# How often an integrator's open event stream (ws/api/v1/events/) asks whether its API key was revoked meanwhile.
LIVE_API_KEY_CHECK_S = env.float("LIVE_API_KEY_CHECK_S", default=30.0)

# Files exchanged with chargers (chargers/files/): where they are kept, and the FTP server of diagnostics uploads
# (`python -m chargers.files.ftp`, a Procfile process). FTP_HOST is the address chargers reach it at (default: the
# host of PUBLIC_URL, else 127.0.0.1); FTP_PASSIVE_PORTS a range "30000-30009" to open in the firewall.
# HOST and PORT are where `make run` serves (the links to the portal when PUBLIC_URL is unset).
HOST = env("HOST", default="127.0.0.1")
PORT = env.int("PORT", default=8000)
FILES_ROOT = Path(env("FILES_ROOT", default=str(BASE_DIR / "var" / "files")))
FTP_HOST = env("FTP_HOST", default="")
FTP_PORT = env.int("FTP_PORT", default=2121)
FTP_PASSIVE_PORTS = env("FTP_PASSIVE_PORTS", default="30000-30009")
FTP_MASQUERADE_ADDRESS = env("FTP_MASQUERADE_ADDRESS", default="")
# A wrong FTP password is answered after this long (pyftpdlib's brake on guessing).
FTP_AUTH_FAILED_DELAY_S = env.float("FTP_AUTH_FAILED_DELAY_S", default=3.0)
# One diagnostics upload: its size, and for a zip the total of its files' uncompressed sizes and the ratio of the two
# (a zip bomb declares gigabytes in kilobytes). An upload location is good for DIAGNOSTICS_UPLOAD_TTL_S.
DIAGNOSTICS_MAX_BYTES = env.int("DIAGNOSTICS_MAX_BYTES", default=50 * 1024 * 1024)
DIAGNOSTICS_MAX_UNCOMPRESSED_BYTES = env.int("DIAGNOSTICS_MAX_UNCOMPRESSED_BYTES", default=500 * 1024 * 1024)
DIAGNOSTICS_MAX_RATIO = env.int("DIAGNOSTICS_MAX_RATIO", default=200)
DIAGNOSTICS_UPLOAD_TTL_S = env.int("DIAGNOSTICS_UPLOAD_TTL_S", default=24 * 3600)
# Hosted firmware: the largest file taken, and how long a charger's signed download link works.
FIRMWARE_MAX_BYTES = env.int("FIRMWARE_MAX_BYTES", default=500 * 1024 * 1024)
FIRMWARE_URL_TTL_S = env.int("FIRMWARE_URL_TTL_S", default=7 * 24 * 3600)

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# The database scheduler copies these into django-celery-beat's tables, where operators also add their own
# recurring commands (chargers.commands.services.command_schedule_create).
CELERY_BEAT_SCHEDULE = {
    "commands-housekeeping": {"task": "chargers.tasks.commands_housekeeping", "schedule": 60.0},
    "message-log-retention": {"task": "chargers.tasks.message_log_housekeeping", "schedule": 3600.0},
    "files-housekeeping": {"task": "chargers.files.tasks.rollouts_housekeeping", "schedule": 60.0},
    "webhooks-housekeeping": {"task": "webhooks.tasks.webhooks_housekeeping", "schedule": 30.0},
    "webhook-deliveries-retention": {"task": "webhooks.tasks.deliveries_retention", "schedule": 3600.0},
    "alerts-sweep": {"task": "alerts.tasks.alerts_sweep", "schedule": env.float("ALERTS_SWEEP_S", default=15.0)},
    # A safety net under the event-driven sync: a change whose hook was lost reaches the chargers within minutes.
    "local-lists-sync": {"task": "rfid.locallist.tasks.local_lists_sync", "schedule": 300.0},
    "load-balance": {
        "task": "transactions.load.tasks.load_balance_round",
        "schedule": env.float("LOAD_BALANCE_S", default=5.0),
    },
}
# Load management (transactions/load/): a building reading older than this is stale (the allocator then assumes the
# building takes the whole limit: fail safe), and each site's round history is kept this many days.
LOAD_BUILDING_MAX_AGE_S = env.float("LOAD_BUILDING_MAX_AGE_S", default=60.0)
LOAD_HISTORY_DAYS = env.float("LOAD_HISTORY_DAYS", default=2.0)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "portal.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Operators only, each request checked against Django's model permissions (viewers read only).
    "DEFAULT_PERMISSION_CLASSES": ["portal.permissions.OperatorPermission", "portal.permissions.ApiKeyScopePermission"],
    # Each API key on its own (portal/throttling.py): 429 with Retry-After past API_KEY_THROTTLE_RATE.
    "DEFAULT_THROTTLE_CLASSES": ["portal.throttling.ApiKeyRateThrottle"],
    # Page numbers by default; the lists that grow without end use cursors (portal/pagination.py says which).
    "DEFAULT_PAGINATION_CLASS": "portal.pagination.PortalPageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # Numbers as JSON numbers (power, current, voltage, energy): DRF's default renders Decimals as strings, which
    # every client then has to parse. A double holds 15 significant digits, more than any meter reports; where a
    # field needs the exact digits the API offers them beside it as a string (meter values' `raw_value`).
    "COERCE_DECIMAL_TO_STRING": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Charging portal API",
    "DESCRIPTION": "REST API of the OCPP 1.6 charging station management system.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No online validator: Swagger UI's default badge is an image from validator.swagger.io carrying our schema URL.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Every operation's error answers (400, 401, 403, 404, 415, 429) with their bodies, declared once; the
    # integrators' websocket of live events is told in the description (OpenAPI has no websockets).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "live.openapi.event_stream_described",
        "portal.openapi.document_errors",
    ],
    # Two models have a `status` enum: give each its own name in the schema.
    "ENUM_NAME_OVERRIDES": {
        "IdTagStatusEnum": "rfid.models.IdTagStatus",
        "CommandStatusEnum": "chargers.models.CommandStatus",
        "RegistrationStatusEnum": "chargers.models.RegistrationStatus",
    },
}

# OCPP
# What happens to a charge point id the portal does not know: accept, pending (an operator decides) or reject.
OCPP_REGISTRATION = env.str("OCPP_REGISTRATION", default="pending")
if OCPP_REGISTRATION not in {"accept", "pending", "reject"}:
    raise ValueError(f"OCPP_REGISTRATION must be accept, pending or reject, not {OCPP_REGISTRATION!r}")
OCPP_HEARTBEAT_INTERVAL = env.int("OCPP_HEARTBEAT_INTERVAL", default=300)
OCPP_PENDING_RETRY_INTERVAL = env.int("OCPP_PENDING_RETRY_INTERVAL", default=60)
OCPP_MESSAGE_LOG_RETENTION_DAYS = env.int("OCPP_MESSAGE_LOG_RETENTION_DAYS", default=30)
# A charger's last_seen is written at most this often (seconds): a write per frame would cost the hot path.
OCPP_LAST_SEEN_RESOLUTION = env.int("OCPP_LAST_SEEN_RESOLUTION", default=30)

# Remote commands: how long the portal waits for a charger's answer to a CALL, and how long a queued command
# for an offline charger stays deliverable unless the request says otherwise (seconds).
OCPP_CALL_TIMEOUT = env.float("OCPP_CALL_TIMEOUT", default=30.0)
# A SOAP charger whose address refuses the connection is tried again this often (after 0.5 s, then 1 s, ...)
# before its command fails: the request never reached it, so trying again is safe.
SOAP_CONNECT_RETRIES = env.int("SOAP_CONNECT_RETRIES", default=2)
SOAP_RETRY_BACKOFF_S = env.float("SOAP_RETRY_BACKOFF_S", default=0.5)
OCPP_COMMAND_EXPIRY = env.int("OCPP_COMMAND_EXPIRY", default=3600)

# Webhooks (webhooks/services.py): a failed delivery is retried after WEBHOOK_RETRY_BASE_S, then twice as long each
# time up to WEBHOOK_RETRY_MAX_DELAY_S, WEBHOOK_MAX_ATTEMPTS attempts in all (about three hours with the defaults).
WEBHOOK_TIMEOUT_S = env.float("WEBHOOK_TIMEOUT_S", default=10.0)
WEBHOOK_RETRY_BASE_S = env.float("WEBHOOK_RETRY_BASE_S", default=30.0)
WEBHOOK_RETRY_MAX_DELAY_S = env.float("WEBHOOK_RETRY_MAX_DELAY_S", default=3600.0)
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=10)
# How often a process re-reads which events somebody subscribed to (a new webhook hears events after that long).
WEBHOOK_EVENTS_CACHE_S = env.float("WEBHOOK_EVENTS_CACHE_S", default=2.0)
WEBHOOK_DELIVERY_RETENTION_DAYS = env.int("WEBHOOK_DELIVERY_RETENTION_DAYS", default=30)

# Alerts (alerts/services/rules.py): a site's chargers all dropping within ALERTS_SITE_WINDOW_S of each other raise
# one alert for the site (a site's charger alone is alerted after that long); a session is silent after
# ALERTS_SILENT_INTERVALS of its charger's MeterValueSampleInterval (the default when the charger never said);
# beat's sweep looks back ALERTS_OFFLINE_LOOKBACK_S for chargers offline without an alert.
ALERTS_SITE_WINDOW_S = env.float("ALERTS_SITE_WINDOW_S", default=60.0)
ALERTS_SILENT_INTERVALS = env.int("ALERTS_SILENT_INTERVALS", default=3)
ALERTS_METER_INTERVAL_DEFAULT_S = env.int("ALERTS_METER_INTERVAL_DEFAULT_S", default=60)
ALERTS_OFFLINE_LOOKBACK_S = env.int("ALERTS_OFFLINE_LOOKBACK_S", default=24 * 3600)
ALERTS_MAIL_SUBJECT_PREFIX = env("ALERTS_MAIL_SUBJECT_PREFIX", default="Charging portal")

# Mail (alerts by e-mail): Django's SMTP backend by default; EMAIL_BACKEND may name another (console, file).
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="portal@localhost")
# For EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend: the folder the mails are written to.
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=None)

# RFID (rfid/services/authorization.py, rfid/callout.py, rfid/locallist/). The expiryDate the portal gives in every
# idTagInfo: a charger's authorization cache forgets an answer after RFID_AUTH_CACHE_S (or the tag's own expiry).
RFID_AUTH_CACHE_S = env.int("RFID_AUTH_CACHE_S", default=3600)
# ConcurrentTx: one running transaction per "tag", per "group" (parent id tag), or "none". A transaction older than
# RFID_CONCURRENT_TX_WINDOW_H is taken for one whose StopTransaction was lost, and blocks nobody.
RFID_CONCURRENT_TX = env.str("RFID_CONCURRENT_TX", default="tag")
if RFID_CONCURRENT_TX not in {"tag", "group", "none"}:
    raise ValueError(f"RFID_CONCURRENT_TX must be tag, group or none, not {RFID_CONCURRENT_TX!r}")
RFID_CONCURRENT_TX_WINDOW_H = env.int("RFID_CONCURRENT_TX_WINDOW_H", default=48)
# External authorization of tags the portal does not know (empty URL: off). Signed like the webhooks with the
# secret; answers are cached; without an answer in time the fallback status is given.
RFID_CALLOUT_URL = env.str("RFID_CALLOUT_URL", default="")
RFID_CALLOUT_SECRET = env.str("RFID_CALLOUT_SECRET", default="")
RFID_CALLOUT_TIMEOUT_S = env.float("RFID_CALLOUT_TIMEOUT_S", default=3.0)
RFID_CALLOUT_CACHE_S = env.int("RFID_CALLOUT_CACHE_S", default=300)
RFID_CALLOUT_FALLBACK = env.str("RFID_CALLOUT_FALLBACK", default="Invalid")
if RFID_CALLOUT_FALLBACK not in {"Accepted", "Invalid"}:
    raise ValueError(f"RFID_CALLOUT_FALLBACK must be Accepted or Invalid, not {RFID_CALLOUT_FALLBACK!r}")
# Local lists: a burst of tag edits within RFID_LOCAL_LIST_DEBOUNCE_S gives one Differential per charger; a chunk
# is at most the charger's SendLocalListMaxLength, RFID_LOCAL_LIST_CHUNK when the charger did not say.
RFID_LOCAL_LIST_DEBOUNCE_S = env.float("RFID_LOCAL_LIST_DEBOUNCE_S", default=5.0)
RFID_LOCAL_LIST_CHUNK = env.int("RFID_LOCAL_LIST_CHUNK", default=500)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        # The ocpp library logs every frame at INFO, AuthorizationKey included: keep it quiet.
        "ocpp": {"level": "WARNING"},
        "daphne": {"level": "WARNING"},
        "django.channels.server": {"level": "WARNING"},
    },
}

if not DEBUG:
    SESSION_COOKIE_HTTPONLY = True
    CSRF_COOKIE_HTTPONLY = False
    X_FRAME_OPTIONS = "DENY"
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", False) else None
