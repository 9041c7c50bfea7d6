"""All settings, from the environment (12-factor), with defaults that run with nothing installed.

The embedded default is a SQLite file and Celery on kombu's ``filesystem://`` transport, both under
``var/``. Production sets ``DATABASE_URL`` (PostgreSQL) and ``CELERY_BROKER_URL`` (Redis).
"""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path
from typing import Any

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

VAR_DIR = Path(env.str("GOVERNANCE_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _local_secret(name: str) -> str:
    """Return a random secret kept in ``var/`` so the embedded mode works without configuration.

    Production passes the value through the environment instead; ``var/`` is never committed.
    """
    path = VAR_DIR / name
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(50))
    return path.read_text().strip()


DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="") or _local_secret("secret_key")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "audit",
    "governance.core",
    "governance.accounts",
    "governance.jobs",
    "governance.inventory",
    "governance.fairness",
    "governance.approvals",
    "governance.notifications",
    "governance.gate",
    "axes",  # admin login lockout (django-axes)
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "audit.middleware.RequestContextMiddleware",
    "governance.core.middleware.ServiceUnavailableMiddleware",  # database/broker down: 503, not 500
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # turns a locked-out login into a 429 page; must come last
]

ROOT_URLCONF = "governance.urls"
WSGI_APPLICATION = "governance.wsgi.application"

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

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions serialise writers up front instead of failing with "database is locked"
    # when two transactions that started as readers both try to write (the audit log head row).
    DATABASES["default"].setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 20})
    # A file, not the in-memory default: tests with threads and workers need real cross-connection locking.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Admin login lockout (django-axes): AXES_FAILURE_LIMIT failures of one username from one address lock
# that pair for AXES_COOLOFF_SECONDS; every lockout is audited (auth.lockout).
AUTHENTICATION_BACKENDS = [
    "governance.accounts.backends.LoginLockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = dt.timedelta(seconds=env.int("AXES_COOLOFF_SECONDS", default=900))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = False  # logins and failed logins are already in the audit log
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False
# Failed API keys (governance.accounts.throttling): past these counts within the window, 429 + Retry-After.
API_KEY_FAILURES_PER_ADDRESS = env.int("API_KEY_FAILURES_PER_ADDRESS", default=100)
API_KEY_FAILURES_PER_KEY = env.int("API_KEY_FAILURES_PER_KEY", default=20)
API_KEY_FAILURE_WINDOW_SECONDS = env.int("API_KEY_FAILURE_WINDOW_SECONDS", default=300)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns on every request when it is missing
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Tests and a fresh checkout serve static files straight from the apps, without collectstatic.
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))

# Request bodies: JSON writes are small; uploads (predictions files) stream to disk temporary files,
# counted as they arrive: past MAX_UPLOAD_BYTES (all files of a request) the answer is 413 at once.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
MAX_UPLOAD_BYTES = env.int("MAX_UPLOAD_BYTES", default=512 * 1024 * 1024)
FILE_UPLOAD_HANDLERS = ["governance.core.uploads.CappedTemporaryFileUploadHandler"]
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

SESSION_COOKIE_HTTPONLY = True
# Behind TLS in production set SESSION_COOKIE_SECURE=true; the embedded mode serves plain http on loopback.
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
# Behind TLS: SECURE_SSL_REDIRECT=true and SECURE_HSTS_SECONDS=31536000 (off by default: the embedded mode
# is plain http on loopback). Health probes (/-/alive, /-/ready) stay reachable over plain http.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_REDIRECT_EXEMPT = env.list("SECURE_REDIRECT_EXEMPT", default=[r"^-/"])
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# A TLS-terminating proxy's header, e.g. SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO,https (only if
# the proxy always sets it: a client could otherwise claim https).
_proxy_header = env.list("SECURE_PROXY_SSL_HEADER", default=[])
SECURE_PROXY_SSL_HEADER = (_proxy_header[0], _proxy_header[1]) if len(_proxy_header) == 2 else None
# Content-Security-Policy (django-csp) on every response: the admin and Swagger UI (its split view has no
# inline script) load scripts only from this origin; styles may be inline (Swagger UI's <style>, the
# bias report's style attributes); data: images are Swagger UI's and the admin's icons.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

REST_FRAMEWORK: dict[str, Any] = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "governance.accounts.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Deny by default: every view names its own permission classes and scopes.
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    "DEFAULT_PAGINATION_CLASS": "governance.core.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["governance.core.api.parsers.SafeJSONParser"],
    "EXCEPTION_HANDLER": "governance.core.api.problems.problem_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "governance.core.api.schema.ProblemAutoSchema",  # documents problem+json 4xx
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # `?format=` belongs to our own contract (model card export), not to DRF's content negotiation.
    "URL_FORMAT_OVERRIDE": None,
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append("rest_framework.renderers.BrowsableAPIRenderer")

SPECTACULAR_SETTINGS = {
    "TITLE": "ModelOps Governance API",
    "DESCRIPTION": "Model inventory, model cards, datasets, approvals, fairness checks, deploy gate "
    "and the tamper-evident audit log.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    # Jobs' status (hashing, fairness checks) is one choice set, named once (not "StatusF6eEnum").
    "ENUM_NAME_OVERRIDES": {
        "JobStatusEnum": "governance.core.choices.JobStatus",
        "ApprovalDecisionEnum": "governance.approvals.choices.Decision",
        "ApprovalRequestStatusEnum": "governance.approvals.choices.RequestStatus",
        "GateVerdictEnum": "governance.gate.choices.Verdict",
        "DeploymentStatusEnum": "governance.gate.choices.DeploymentStatus",
    },
}

# --- Celery -------------------------------------------------------------------------------------
BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("queue", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=f"file://{VAR_DIR / 'celery-results'}")
if CELERY_RESULT_BACKEND.startswith("file://"):
    (VAR_DIR / "celery-results").mkdir(parents=True, exist_ok=True)
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # Redis redelivers an unacknowledged task after this many seconds (acks_late). Dead workers are
    # noticed sooner through job leases (JOBS_LEASE_SECONDS); this is the backstop, and a redelivery
    # of a job still leased by a live worker is skipped, so it may be shorter than the longest task.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=300),
        # A broker that is down must not hold a request: the outbox keeps the message for the sweeper.
        "socket_connect_timeout": env.float("CELERY_BROKER_CONNECT_TIMEOUT", default=2.0),
    }
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Jobs survive a worker that dies mid-task: the message is acknowledged only after the task ends.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=3600)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A pool child that grew past this (KiB) is replaced after its task: one hostile file cannot keep a
# host's memory (the job itself is bounded by the fairness input caps).
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env.int("CELERY_WORKER_MAX_MEMORY_PER_CHILD", default=1_048_576)
# A hard ceiling on a pool child's address space (MiB; 0: none), set by governance.celery at child start.
CELERY_WORKER_ADDRESS_SPACE_MB = env.int("CELERY_WORKER_ADDRESS_SPACE_MB", default=0)
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {}
CELERY_TIMEZONE = "UTC"

# --- Governance ---------------------------------------------------------------------------------
GOVERNANCE_SITE_NAME = env.str("GOVERNANCE_SITE_NAME", default="ModelOps Governance")
# Origin line of signed audit checkpoints (C2SP tlog-checkpoint); must be stable for a deployment.
AUDIT_LOG_ORIGIN = env.str("AUDIT_LOG_ORIGIN", default="modelops-governance.local/audit")
AUDIT_CHECKPOINT_INTERVAL_SECONDS = env.int("AUDIT_CHECKPOINT_INTERVAL_SECONDS", default=300)
# The database role the application connects as when migrations run under another role: the
# append-only migration revokes UPDATE/DELETE/TRUNCATE on the evidence tables from it too.
AUDIT_APP_DB_ROLE = env.str("AUDIT_APP_DB_ROLE", default="")
# Passphrase that encrypts signing keys at rest (PKCS#8). Production passes it from a secret store.
SIGNING_KEY_PASSPHRASE = env.str("SIGNING_KEY_PASSPHRASE", default="") or _local_secret(
    "signing_key_passphrase"
)
# Where signatures come from: a dotted path to a zero-argument callable returning an
# ``audit.pure.evidence.keys.Signer``. Swap in a PKCS#11 or KMS signer without touching callers.
AUDIT_SIGNER = env.str("AUDIT_SIGNER", default="audit.signing.database_signer")
# Integrating accepted audit entries into the tree: "thread" (a background integrator per process,
# woken by commits), "inline" (in the committing thread, after commit) or "off" (sweeper only).
# SQLite has one writer at a time: a background integrator would queue behind busy writers (seconds
# of delay measured), while integrating right after each commit keeps the delay to that commit's.
AUDIT_INTEGRATE_MODE = env.str(
    "AUDIT_INTEGRATE_MODE",
    default="inline" if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3" else "thread",
)
# The sweeper integrates what a lost nudge left behind: the log's maximum integration delay.
AUDIT_INTEGRATE_SWEEP_SECONDS = env.float("AUDIT_INTEGRATE_SWEEP_SECONDS", default=5.0)
# The audit API's permission class: the domain decides who reads the log (audit/ imports no domain).
AUDIT_API_READ_PERMISSION = "governance.accounts.permissions.CanReadAuditLog"

# Directories whose files workers may read through file:// URIs (model artifacts, predictions).
WORKER_READABLE_ROOTS = env.list("WORKER_READABLE_ROOTS", default=[str(VAR_DIR / "shared")])

# Rows per fairness chunk: each chunk is one task, so more workers count a large file faster.
FAIRNESS_CHUNK_ROWS = env.int("FAIRNESS_CHUNK_ROWS", default=5_000_000)

# Jobs (governance.jobs): a running job's lease lasts JOBS_LEASE_SECONDS and is renewed every
# JOBS_HEARTBEAT_SECONDS; the sweeper runs every JOBS_SWEEP_SECONDS. A dead worker's job is sent again
# within lease + sweep seconds (40 s by default); a message no worker took is re-sent after the ack timeout.
JOBS_LEASE_SECONDS = env.float("JOBS_LEASE_SECONDS", default=30.0)
JOBS_HEARTBEAT_SECONDS = env.float("JOBS_HEARTBEAT_SECONDS", default=10.0)
JOBS_SWEEP_SECONDS = env.float("JOBS_SWEEP_SECONDS", default=10.0)
JOBS_ACK_TIMEOUT_SECONDS = env.float("JOBS_ACK_TIMEOUT_SECONDS", default=60.0)
JOBS_SEND_GRACE_SECONDS = env.float("JOBS_SEND_GRACE_SECONDS", default=2.0)
JOBS_MAX_ATTEMPTS = env.int("JOBS_MAX_ATTEMPTS", default=5)
JOBS_STALE_SECONDS = env.float("JOBS_STALE_SECONDS", default=300.0)
CELERY_BEAT_SCHEDULE["jobs-sweep"] = {"task": "jobs.sweep", "schedule": JOBS_SWEEP_SECONDS}

# Team webhooks (governance.notifications): each attempt must end within WEBHOOK_TIMEOUT_SECONDS; a failed
# attempt is retried after WEBHOOK_BACKOFF_SECONDS x 1, 3, 9, ... (at most WEBHOOK_BACKOFF_MAX_SECONDS),
# up to WEBHOOK_MAX_ATTEMPTS attempts (defaults: 10, 30, 90, 270, 810, 2430, 3600 s: about 2 hours).
# Receivers must be https unless WEBHOOK_ALLOW_HTTP (tests with loopback receivers).
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=8)
WEBHOOK_BACKOFF_SECONDS = env.float("WEBHOOK_BACKOFF_SECONDS", default=10.0)
WEBHOOK_BACKOFF_MAX_SECONDS = env.float("WEBHOOK_BACKOFF_MAX_SECONDS", default=3600.0)
WEBHOOK_ALLOW_HTTP = env.bool("WEBHOOK_ALLOW_HTTP", default=False)
WEBHOOK_RETRY_SWEEP_SECONDS = env.float("WEBHOOK_RETRY_SWEEP_SECONDS", default=10.0)
CELERY_BEAT_SCHEDULE["webhooks-deliveries-due"] = {
    "task": "notifications.deliveries_due",
    "schedule": WEBHOOK_RETRY_SWEEP_SECONDS,
}

CELERY_BEAT_SCHEDULE["audit-integrate"] = {
    "task": "audit.tasks.audit_integrate",
    "schedule": AUDIT_INTEGRATE_SWEEP_SECONDS,
}
CELERY_BEAT_SCHEDULE["audit-checkpoint"] = {
    "task": "audit.tasks.checkpoint_sign",
    "schedule": float(AUDIT_CHECKPOINT_INTERVAL_SECONDS),
}
# A full verification of the log (recorded; the admin dashboard shows the last one).
AUDIT_VERIFY_INTERVAL_SECONDS = env.float("AUDIT_VERIFY_INTERVAL_SECONDS", default=3600.0)
CELERY_BEAT_SCHEDULE["audit-verify"] = {
    "task": "audit.tasks.audit_verify",
    "schedule": AUDIT_VERIFY_INTERVAL_SECONDS,
}

# Approvals: lapse approvals past their validity and re-validate open/approved evidence this often.
APPROVALS_EXPIRY_SWEEP_SECONDS = env.float("APPROVALS_EXPIRY_SWEEP_SECONDS", default=300.0)
# The dashboard's "expiring soon" window.
APPROVALS_DUE_SOON_DAYS = env.int("APPROVALS_DUE_SOON_DAYS", default=30)
CELERY_BEAT_SCHEDULE["approvals-expire-due"] = {
    "task": "approvals.expire_due",
    "schedule": APPROVALS_EXPIRY_SWEEP_SECONDS,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- GitHub deployment protection rule (governance.integrations.github) ---------------------------
# GitHub asks POST /api/v1/integrations/github/deployment-protection whether a workflow job may deploy;
# the gate decides and a job answers through GitHub's API. Bodies over GITHUB_WEBHOOK_MAX_BYTES are refused
# unread; each exchange with the API ends within GITHUB_API_TIMEOUT_SECONDS; a failed answer is retried
# after GITHUB_CALLBACK_BACKOFF_SECONDS x 1, 3, 9, ... (capped) up to GITHUB_CALLBACK_MAX_ATTEMPTS attempts.
# API base URLs must be https unless GITHUB_ALLOW_HTTP (tests with a loopback stand-in for GitHub).
INSTALLED_APPS += ["governance.integrations.github"]
GITHUB_WEBHOOK_MAX_BYTES = env.int("GITHUB_WEBHOOK_MAX_BYTES", default=1 * 1024 * 1024)
GITHUB_API_TIMEOUT_SECONDS = env.float("GITHUB_API_TIMEOUT_SECONDS", default=10.0)
GITHUB_CALLBACK_MAX_ATTEMPTS = env.int("GITHUB_CALLBACK_MAX_ATTEMPTS", default=8)
GITHUB_CALLBACK_BACKOFF_SECONDS = env.float("GITHUB_CALLBACK_BACKOFF_SECONDS", default=10.0)
GITHUB_CALLBACK_BACKOFF_MAX_SECONDS = env.float("GITHUB_CALLBACK_BACKOFF_MAX_SECONDS", default=3600.0)
GITHUB_CALLBACK_RETRY_SWEEP_SECONDS = env.float("GITHUB_CALLBACK_RETRY_SWEEP_SECONDS", default=10.0)
GITHUB_ALLOW_HTTP = env.bool("GITHUB_ALLOW_HTTP", default=False)
CELERY_BEAT_SCHEDULE["github-protection-callbacks-due"] = {
    "task": "github_integration.callbacks_due",
    "schedule": GITHUB_CALLBACK_RETRY_SWEEP_SECONDS,
}
