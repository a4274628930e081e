"""`make bench` only: the production settings plus the bench URLconf (the constant JSON view that
measures the middleware floor) on plain HTTP over loopback.

Never used by a deployment: production.py does not know csm_portal.bench_urls, so the bench view
cannot be reached there (tests/test_bench_harness.py checks it)."""

from csm_portal.settings.production import *  # noqa: F403

ROOT_URLCONF = "csm_portal.bench_urls"
# gunicorn listens on 127.0.0.1 without TLS; the load generator talks HTTP to it. Every other
# production setting (secure cookies, HSTS, CSP, sessions, persistent connections) stays.
SECURE_SSL_REDIRECT = False
