"""Production overlay: secure transport and no development defaults."""

from csm_portal.env import env_bool, env_int, env_str
from csm_portal.settings.base import *  # noqa: F403

DEBUG = False
SECRET_KEY = env_str("DJANGO_SECRET_KEY")  # no default: refuse to start without one
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True

# Issue 15: a new PostgreSQL connection per request cost most of a signed-in request's fixed
# cost. Each worker keeps its connection for 60 s, checked before reuse (CONN_HEALTH_CHECKS in
# base.py); 0 closes it after every request, as behind a transaction pooler (docs/performance.md).
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60)  # noqa: F405
