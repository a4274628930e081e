#!/usr/bin/env bash
# `make run`: the web server in the foreground, a Celery worker and beat beside it.
# Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
mkdir -p var/celery-queue var/celery-control var/log
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

.venv/bin/celery -A csm_portal worker --loglevel=INFO --concurrency=2 >var/log/worker.log 2>&1 &
pids+=($!)
.venv/bin/celery -A csm_portal beat --loglevel=INFO >var/log/beat.log 2>&1 &
pids+=($!)
echo "Celery worker and beat are running (logs in var/log/worker.log, var/log/beat.log)."
echo "Portal: http://${HOST:-127.0.0.1}:${PORT:-8000}/"
"$PY" manage.py runserver "${HOST:-127.0.0.1}:${PORT:-8000}" --noreload &
pids+=($!)
wait "${pids[-1]}"
