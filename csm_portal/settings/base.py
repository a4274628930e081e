"""Settings shared by every environment; overlays (test, production) only change what differs.

Every value that varies between machines comes from an environment variable with a safe
development default, so `make run` works with nothing configured.
"""

from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from kombu import Queue

from csm_portal.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("CSM_VAR_DIR", str(BASE_DIR / "var")))

SECRET_KEY = env_str(
    "DJANGO_SECRET_KEY", "dev-only-insecure-key-change-me-in-production-0123456789"
)
DEBUG = env_bool("DJANGO_DEBUG", True)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])
PORTAL_BASE_URL = env_str("PORTAL_BASE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_htmx",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "csp",
    "accounts",
    "contracts",
    "activities",
    "tickets",
    "onboarding",
    # The demo data of `make run`: knows every app, so it sits above them all (docs/decisions.md).
    "csm_portal.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Content-Security-Policy on every response (CONTENT_SECURITY_POLICY below).
    "csm_portal.web.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # ETags and 304s for every GET (API sync clients and pages alike).
    "django.middleware.http.ConditionalGetMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's, with the person read from the cache with their tenancy (docs/performance.md).
    "accounts.middleware.CachedAuthenticationMiddleware",
    "accounts.middleware.ApiTokenMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # The tenant choke point (SPEC T3): everything after this runs inside the user's scope.
    "accounts.middleware.TenantMiddleware",
    "accounts.middleware.StaffMfaRequiredMiddleware",
    "contracts.middleware.TermsAcceptanceMiddleware",
]

ROOT_URLCONF = "csm_portal.urls"
WSGI_APPLICATION = "csm_portal.wsgi.application"
ASGI_APPLICATION = "csm_portal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.portal",
                "tickets.context_processors.support",
                "csp.context_processors.nonce",
            ],
        },
    },
]

# SQLite is only the embedded default of `make run`; tests and production use PostgreSQL.
# Connections: see docs/performance.md, "Signed-in fixed cost" (production keeps them 60 s).
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'csm_portal.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
        # A kept connection is checked before each request reuses it (a restarted server).
        conn_health_checks=True,
    )
}
# Behind PgBouncer in transaction pooling, server-side cursors (.iterator()) must be off.
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env_bool(
    "DATABASE_DISABLE_SERVER_SIDE_CURSORS", False
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# A PostgreSQL streaming replica for read-heavy selectors (csm_portal/db_router.py), off unless
# DATABASE_REPLICA_URL is set: only reads asked for with `replica_reads()`, outside transactions
# and before any write of the request, go there. In tests it mirrors the default database.
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL", "")
DATABASE_ROUTERS: list[str] = []
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL,
        conn_max_age=DATABASES["default"].get("CONN_MAX_AGE", 0),
        conn_health_checks=True,
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["csm_portal.db_router.ReplicaRouter"]

REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        # Django's Redis backend, reusing its redis-py clients (csm_portal/cache.py, issue 15).
        "default": {"BACKEND": "csm_portal.cache.PortalRedisCache", "LOCATION": REDIS_URL}
    }
else:
    # A file cache is shared by the web process and the worker, which locmem would not be.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

# django-allauth: email is the login, nobody signs up on their own (people are invited).
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[CSM Portal] "
# Mail the person about security changes (password changed or reset, two-factor changes); the
# password mails also say that the API tokens were revoked (SPEC T4).
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "CSM Portal"

LANGUAGE_CODE = "it"
LANGUAGES = [("it", _("Italian")), ("en", _("English")), ("fr", _("French")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# English users are in Europe: day-month dates (csm_portal/formats/en/formats.py).
FORMAT_MODULE_PATH = ["csm_portal.formats"]
TIME_ZONE = "Europe/Rome"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
# var/ holds the embedded database, the file cache and the filesystem broker of `make run`.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env_str("CSM_MEDIA_ROOT", str(VAR_DIR / "media")))
# Stored files (raw mails, attachments, statements, deliverables, user lists, logos) go through
# Django's storage API only, so several web nodes and workers need no shared disk: set
# CSM_STORAGE=s3 to keep them in an S3-compatible object store (django-storages + boto3) in an EU
# region (docs/deployment.md). Files are private: no ACL (the bucket's own policy, which must
# block public access), never a public or CDN URL; every download streams through an
# access-checked view. A signed URL is never handed out; should code ever ask for one it lives
# a minute. Names are random, and an existing object is never overwritten all the same.
CSM_STORAGE = env_str("CSM_STORAGE", "filesystem")
if CSM_STORAGE == "s3":
    _files_storage: dict = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("CSM_S3_BUCKET"),
            # Empty = AWS itself; else the provider's endpoint (Scaleway, OVHcloud, IONOS, MinIO).
            "endpoint_url": env_str("CSM_S3_ENDPOINT_URL", "") or None,
            "region_name": env_str("CSM_S3_REGION", "eu-south-1"),
            # Empty keys = boto3's own chain (instance role, AWS_* variables).
            "access_key": env_str("CSM_S3_ACCESS_KEY_ID", "") or None,
            "secret_key": env_str("CSM_S3_SECRET_ACCESS_KEY", "") or None,
            "addressing_style": env_str("CSM_S3_ADDRESSING_STYLE", "") or None,
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": 60,
            "custom_domain": None,
            "file_overwrite": False,
            # Server-side encryption when the provider supports it (e.g. "AES256").
            "object_parameters": (
                {"ServerSideEncryption": env_str("CSM_S3_SERVER_SIDE_ENCRYPTION", "")}
                if env_str("CSM_S3_SERVER_SIDE_ENCRYPTION", "")
                else {}
            ),
            # Downloads larger than this spill to a temporary file instead of memory.
            "max_memory_size": 2 * 1024 * 1024,
        },
    }
elif CSM_STORAGE == "filesystem":
    _files_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
else:
    raise ImproperlyConfigured(f"CSM_STORAGE must be 'filesystem' or 's3', not {CSM_STORAGE!r}.")
STORAGES = {
    "default": _files_storage,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Service desk (SPEC S1): our Message-IDs end in this domain (loop detection); a reply to a
# closed ticket reopens it within this many days, else opens a linked ticket; attachments above
# the cap are kept out and noted on the ticket; at most this many auto-replies per sender an hour.
SUPPORT_MESSAGE_ID_DOMAIN = env_str("SUPPORT_MESSAGE_ID_DOMAIN", "support.csm-portal.localhost")
TICKET_REOPEN_DAYS = env_int("TICKET_REOPEN_DAYS", 7)
TICKET_MAX_ATTACHMENT_BYTES = env_int("TICKET_MAX_ATTACHMENT_BYTES", 10 * 1024 * 1024)
# Onboarding (SPEC O2): a user-list upload above this is refused before it is read.
USER_LIST_MAX_BYTES = env_int("USER_LIST_MAX_BYTES", 20 * 1024 * 1024)
# SPEC O4: the largest deliverable a member of staff may upload.
DELIVERABLE_MAX_BYTES = env_int("DELIVERABLE_MAX_BYTES", 25 * 1024 * 1024)
AUTO_REPLIES_PER_SENDER_PER_HOUR = env_int("AUTO_REPLIES_PER_SENDER_PER_HOUR", 5)
MAILBOX_BATCH = env_int("MAILBOX_BATCH", 500)

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# Where Django's file-based mail backend writes (`make run` sends the demo's e-mails there).
EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "CSM Portal <portal@csm-portal.localhost>")

# Celery: Redis when REDIS_URL is set, otherwise kombu's filesystem transport so the worker and
# beat of `make run` need no server at all.
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
else:
    _queue_dir = VAR_DIR / "celery-queue"
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "control_folder": str(VAR_DIR / "celery-control"),
    }
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# Schedules live in the database (django-celery-beat) so admins see and tune them in Django admin;
# the entries of csm_portal/celery.py are installed there when beat starts. Start beat anywhere,
# even twice: only the process holding the Redis lock sends (csm_portal/beat.py).
CELERY_BEAT_SCHEDULER = "csm_portal.beat:SingleBeatScheduler"
# Queues by kind, so each scales on its own (`celery -A csm_portal worker -Q mail`, one or more
# workers per queue, docs/deployment.md); a worker started without -Q consumes all four.
#   mail      polling the support mailboxes (IMAP, one lease per mailbox)
#   lifecycle clocks and sweeps: the SLA check, contracts' and onboarding's daily jobs
#   default   housekeeping: heartbeat, purges
#   pdf       PDF rendering, should it ever leave the request (none today: statements and minutes
#             are made inside the transaction that completes them)
# Every task of ours is named here (tests/test_celery_queues.py fails on one that is not).
CELERY_TASK_QUEUES = [Queue(name) for name in ("mail", "lifecycle", "default", "pdf")]
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "tickets.poll_mailboxes": {"queue": "mail"},
    "tickets.check_sla": {"queue": "lifecycle"},
    "contracts.tasks.contracts_run_daily": {"queue": "lifecycle"},
    "onboarding.plans_run_daily": {"queue": "lifecycle"},
    "contracts.tasks.idempotency_keys_purge": {"queue": "default"},
    "accounts.security_events_purge": {"queue": "default"},
    "accounts.tasks.worker_heartbeat": {"queue": "default"},
    "accounts.health_snapshots_refresh": {"queue": "default"},
}

# Sessions are read from the cache (Redis) and written through to PostgreSQL (Django's cached_db)
# in the same round trip as the person they name (accounts/sessions.py): a signed-in request
# reads no session row. Every deletion of session rows also drops them from the cache
# (accounts.signals); see docs/performance.md, "Signed-in fixed cost".
SESSION_ENGINE = "accounts.sessions"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
# django-csp 4: scripts and style sheets from our own origin only; an inline <script> or <style>
# runs only with this response's nonce (Swagger UI's start-up code). Inline style *attributes*
# (width of the hour meters) are allowed: they cannot run code. data: images for Swagger UI's
# icons and the TOTP QR code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

INVITATION_VALID_DAYS = env_int("INVITATION_VALID_DAYS", 7)
# Sign-ins, failures (with the address typed) and MFA changes are kept this long, then purged
# by the daily accounts.security_events_purge task.
SECURITY_EVENT_RETENTION_DAYS = env_int("SECURITY_EVENT_RETENTION_DAYS", 365)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "csm_portal.security": {"level": "INFO"},
        # WeasyPrint logs every rendering step at INFO; only its problems matter.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "csm_portal.api_auth.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["csm_portal.api_auth.RolePermission"],
    "DEFAULT_PAGINATION_CLASS": "csm_portal.api.PageNumberPagination",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["csm_portal.api_auth.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api": env_str("API_RATE_LIMIT", "600/min")},
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "csm_portal.api.api_exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "URL_FORMAT_OVERRIDE": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CSM Portal API",
    "DESCRIPTION": (
        "Organisations and people; contracts, hours, activities and tickets as they land."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a "status": each enum keeps its own name in the schema.
    "ENUM_NAME_OVERRIDES": {
        "StatusEnum": "contracts.models.Contract.Status",
        "ActivityRequestStatusEnum": "activities.models.ActivityRequest.Status",
        "TicketStatusEnum": "tickets.models.Ticket.Status",
        "TicketOutcomeEnum": "tickets.models.Ticket.Outcome",
        "InboundOutcomeEnum": "tickets.models.InboundMessage.Outcome",
        "TicketTypeEnum": "tickets.models.Ticket.Type",
        "AgentLevelEnum": "accounts.roles.AgentLevel",
        "MeetingKindEnum": "onboarding.models.meetings.Meeting.Kind",
        "MeetingStatusEnum": "onboarding.models.meetings.Meeting.Status",
        "DocumentKindEnum": "onboarding.models.documents.DocumentKind",
        "ReleaseItemKindEnum": "onboarding.models.plan.ReleaseItem.Kind",
        "StepOwnerEnum": "onboarding.models.plan.PlanStep.Owner",
        "SiemProjectStatusEnum": "onboarding.models.siem.SiemProject.Status",
        "DeficiencyStatusEnum": "onboarding.models.siem.Deficiency.Status",
        "RaciEnum": "onboarding.models.siem.OperationsDuty.Raci",
        "DashboardKindEnum": "onboarding.models.siem.DashboardOffer.Kind",
        "WinBackOutcomeEnum": "contracts.models.CancellationNotice.Outcome",
    },
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # The contract itself is public; every operation in it needs a session or a token.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
}
