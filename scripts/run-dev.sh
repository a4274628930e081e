#!/usr/bin/env bash
# `make run`: the web server in the foreground, a Celery worker and beat beside it.
# Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
# Mail from the portal and the worker goes to files in var/mail/ (one per message), unless
# EMAIL_BACKEND says otherwise: the terminal keeps the server's log and the demo logins.
export EMAIL_BACKEND="${EMAIL_BACKEND:-django.core.mail.backends.filebased.EmailBackend}"
mkdir -p var/celery-queue var/celery-control var/log var/mail
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

.venv/bin/celery -A csm_portal worker --loglevel=INFO --concurrency=2 >var/log/worker.log 2>&1 &
pids+=($!)
.venv/bin/celery -A csm_portal beat --loglevel=INFO >var/log/beat.log 2>&1 &
pids+=($!)
echo "Celery worker and beat are running (logs in var/log/worker.log, var/log/beat.log)."
echo "E-mails the portal sends are written to var/mail/ (one file each)."
"$PY" manage.py runserver "${HOST:-127.0.0.1}:${PORT:-8000}" --noreload &
pids+=($!)
# The logins come last, once the server answers: the first thing a newcomer needs.
for _ in $(seq 100); do
  "$PY" -c "import socket,sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), 1)" \
    "${HOST:-127.0.0.1}" "${PORT:-8000}" 2>/dev/null && break
  sleep 0.2
done
echo
"$PY" manage.py demo_logins
echo
echo "Portal: http://${HOST:-127.0.0.1}:${PORT:-8000}/   (Ctrl-C stops the server, the worker and beat)"
wait "${pids[-1]}"
