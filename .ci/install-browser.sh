#!/bin/sh
# Installs headless Chromium (Debian's `chromium` package) for the `strata compare`
# browser tests (tests/compare.rs). Idempotent and quiet: does nothing when
# /usr/bin/chromium is already there. Needs root (or sudo) and apt.
set -eu

if [ -x /usr/bin/chromium ]; then
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq chromium >/dev/null

/usr/bin/chromium --version
