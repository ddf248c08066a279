#!/usr/bin/env bash
# Runs "$@" inside a private D-Bus session with an unlocked gnome-keyring
# (a real Secret Service), as shared/RECIPES.md describes. Used by .ci/run and
# by developers on headless machines: scripts/with-keyring.sh npm test
set -euo pipefail
if [ -z "${GUARD_IN_KEYRING_SESSION:-}" ]; then
  export GUARD_IN_KEYRING_SESSION=1
  exec dbus-run-session -- "$0" "$@"
fi
# A fresh keyring folder every run: an old login.keyring with another password stays locked.
XDG_DATA_HOME=$(mktemp -d "${TMPDIR:-/tmp}/guard-keyring.XXXXXX")
export XDG_DATA_HOME
pass="guard-ci-$$-$RANDOM"
printf %s "$pass" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
for _ in $(seq 1 50); do
  if dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
      org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true'; then
    break
  fi
  sleep 0.1
done
dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
  org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets | grep -q 'boolean true' \
  || { echo "with-keyring: Secret Service did not start" >&2; exit 1; }
"$@"
