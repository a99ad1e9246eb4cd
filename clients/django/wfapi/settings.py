"""Settings of the workflow_ext REST API: a thin Django + DRF layer over the
extension.  The database is named by the environment (WF_DB_NAME, WF_DB_USER,
WF_DB_PASSWORD, PGHOST, PGPORT); the role is the application role of
clients/common/app-database.sql, never a superuser."""
import os

BASE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SECRET_KEY = os.environ.get("WF_SECRET_KEY", "workflow-ext-local-development-only")
DEBUG = os.environ.get("WF_DEBUG", "") == "1"
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]", "testserver"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "workflows",
    "board",
]
# SecurityMiddleware: X-Content-Type-Options: nosniff, Referrer-Policy;
# XFrameOptionsMiddleware: X-Frame-Options: DENY, so no other site frames the
# board (whose drags and buttons write with the session: clickjacking).
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
X_FRAME_OPTIONS = "DENY"
# Django's database sessions, a session cookie with a NUL no session (workflows/auth.py).
SESSION_ENGINE = "workflows.auth"
ROOT_URLCONF = "wfapi.urls"
# The browsable API (Accept: text/html, ?format=api) and the login page of
# api-auth/ render Django templates.
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
            ],
        },
    }
]
STATIC_URL = "/static/"
# manage.py collectstatic copies the browsable API's and the board's files
# here, for a web server to serve at /static/ (runserver serves them only with
# DEBUG or --insecure).
STATIC_ROOT = os.environ.get("WF_STATIC_ROOT", os.path.join(BASE_DIR, "static-root"))
LOGIN_REDIRECT_URL = "/jobs/"
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("WF_DB_NAME", "workflow"),
        "USER": os.environ.get("WF_DB_USER", "wf_app"),
        "PASSWORD": os.environ.get("WF_DB_PASSWORD", ""),
        "HOST": os.environ.get("PGHOST", "localhost"),
        "PORT": os.environ.get("PGPORT", "5432"),
        # One transaction per request: the actor is set with SET LOCAL inside it
        # (workflows/actor.py), and an error rolls the whole request back.
        "ATOMIC_REQUESTS": True,
        # Nothing but the connection's own parameters at startup: PgBouncer (transaction
        # mode) refuses the "options" startup parameter.  search_path is the role's
        # default (ALTER ROLE ... IN DATABASE ... SET search_path = app, public, in
        # clients/common/app-database.sql), so every server connection has it.
        # Server-side cursors would outlive the transaction a pooler gives a client.
        "DISABLE_SERVER_SIDE_CURSORS": True,
    }
}

# Scale-out (docs/scale-out.md; workflows/shards.py): WF_SCALE_OUT=1 makes the
# database above the front (workflow_ext_proxy), which holds Django's own
# tables and names each tenant's shard; each request runs on its tenant's
# shard, connected as WF_SHARD_USER (a member of the shards'
# workflow_ext.trusted_role with the README's grants) with the host, port and
# database of the front's shard_conninfo().
WF_SCALE_OUT = os.environ.get("WF_SCALE_OUT", "") == "1"
WF_SHARD_USER = os.environ.get("WF_SHARD_USER", "")
WF_SHARD_PASSWORD = os.environ.get("WF_SHARD_PASSWORD", "")
DATABASE_ROUTERS = ["workflows.shards.ShardRouter"] if WF_SCALE_OUT else []

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "workflows.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "EXCEPTION_HANDLER": "workflows.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_PAGINATION_CLASS": "workflows.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "rest_framework.schemas.openapi.AutoSchema",
    "DEFAULT_PARSER_CLASSES": [
        "workflows.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}

# Every 500 leaves its traceback on stderr (django.request logs the exception
# with exc_info; without this, Django sends it to mail_admins only when DEBUG is
# off).  WF_LOG_FILE adds a file.
LOG_HANDLERS = ["console"] + (["file"] if os.environ.get("WF_LOG_FILE") else [])
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": dict(
        {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
        **({"file": {"class": "logging.FileHandler", "formatter": "plain",
                     "filename": os.environ["WF_LOG_FILE"]}} if os.environ.get("WF_LOG_FILE") else {})),
    "loggers": {
        "django.request": {"handlers": LOG_HANDLERS, "level": "ERROR", "propagate": False},
        "workflows": {"handlers": LOG_HANDLERS, "level": "WARNING", "propagate": False},
    },
}

TEST_RUNNER = "workflows.testrunner.ExistingDatabaseRunner"

# The board's pages send a browser without a session to DRF's login page.
LOGIN_URL = "/api-auth/login/"
