"""Test overlay: PostgreSQL and Redis from the throwaway servers of tests/bootstrap.py."""

from tests.bootstrap import ensure_apt_packages, ensure_services

ensure_services()
# WeasyPrint (statement PDFs, SPEC H7) needs Pango and a font from Debian.
ensure_apt_packages("libpango-1.0-0", "libpangoft2-1.0-0", "fonts-dejavu-core")

from csm_portal.settings.base import *  # noqa: E402,F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    # The files' storage follows CSM_STORAGE as in production (filesystem unless set); only the
    # static files skip whitenoise's manifest, which would need collectstatic.
    "default": STORAGES["default"],  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Rate limits are tested on purpose where they matter; elsewhere they would make tests flaky:
# every test signs in from 127.0.0.1, and the parallel workers share one Redis cache, so allauth's
# default of 30 sign-ins a minute per address is reached by the browser journeys alone.
ACCOUNT_RATE_LIMITS = {"login_failed": "1000/m/ip", "login": "1000/m/ip"}
