#!/usr/bin/env bash
# Start what the test suites need on a fresh machine of this kind, and say what is there:
# - Docker Engine from Debian's docker.io (dockerd started here), and the python base image;
# - PostgreSQL (already running on this machine kind; started if it is installed but stopped);
# - bubblewrap, which confines infra-local's jobs.
# Idempotent: run it again and it only checks.
set -euo pipefail
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v dockerd >/dev/null || ! command -v debootstrap >/dev/null || ! command -v bwrap >/dev/null; then
  echo "installing docker.io, debootstrap and bubblewrap from Debian's packages"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq docker.io debootstrap bubblewrap >/dev/null
fi
echo "bubblewrap: $(bwrap --version)"
if ! docker info >/dev/null 2>&1; then
  echo "starting dockerd"
  as_root sh -c 'nohup dockerd >/tmp/spindle-dockerd.log 2>&1 &'
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { echo "dockerd did not start; see /tmp/spindle-dockerd.log" >&2; tail -20 /tmp/spindle-dockerd.log >&2; exit 1; }
fi
echo "docker: $(docker version --format '{{.Server.Version}}')"
"$(dirname "$0")/docker-python-image.sh"

if ! pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1; then
  if command -v pg_ctlcluster >/dev/null; then
    echo "starting PostgreSQL"
    as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
  fi
fi
pg_isready -h 127.0.0.1 -p 5432 && echo "postgresql: ready on 127.0.0.1:5432"
