#!/usr/bin/env bash
# Build the base image the python job type uses on container targets (`spindle/python:3.11` by
# default), without any image registry: debootstrap a minimal Debian with python3, pip and venv
# from Debian's packages, then `docker import` it. Does nothing if the image exists.
#   scripts/docker-python-image.sh [image-tag]
set -euo pipefail
TAG="${1:-spindle/python:3.11}"
MIRROR="${SPINDLE_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
if docker image inspect "$TAG" >/dev/null 2>&1; then
  echo "image $TAG exists"
  exit 0
fi
command -v debootstrap >/dev/null || { echo "debootstrap is missing: apt-get install debootstrap" >&2; exit 1; }
ROOT="$(mktemp -d /tmp/spindle-rootfs.XXXXXX)"
trap 'rm -rf "$ROOT"' EXIT
echo "debootstrapping bookworm with python3 into $ROOT (about two minutes)"
debootstrap --variant=minbase --include=python3,python3-venv,python3-pip bookworm "$ROOT" "$MIRROR" >/dev/null
rm -rf "$ROOT"/var/cache/apt/archives/*.deb "$ROOT"/var/lib/apt/lists/*
tar -C "$ROOT" -c . | docker import -c 'CMD ["python3"]' -c 'ENV LANG=C.UTF-8' - "$TAG" >/dev/null
echo "built $TAG"
