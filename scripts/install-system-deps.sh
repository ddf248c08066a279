#!/usr/bin/env bash
# The system packages guard's test suite, demo and benchmark need, in one
# place: `npm test` and .ci/run both call this script. It installs what is
# missing when it can (root, or passwordless sudo, with apt); otherwise it
# stops with one line naming the exact command to run. Nothing is skipped.
set -euo pipefail

# Debian package names, one a line. Add yours here.
packages=(
  dbus             # the D-Bus session for the Secret Service
  gnome-keyring    # a real Secret Service (scripts/with-keyring.sh)
  keyutils         # keyctl: the kernel-keyring store tests
  tmux             # terminal tests: guard at a real TTY
  hyperfine        # the benchmark's new-shell row (bash -ic exit with guard's rc line)
  groff-base       # man/guard.1 is rendered (groff -man) by the man page test
  man-db           # ... and shown with man -l
  zsh              # shell-init tests
  fish             # shell-init tests
  chromium         # the browser approval test (playwright-core)
  openssl          # the central-policy HTTPS test
  glewlwyd         # the second real OpenID provider (test/support/glewlwyd.ts)
  dbconfig-sqlite3 # glewlwyd on SQLite: no database server (not dbconfig-no-thanks: its postinst then fails)
  sqlite3          # the throw-away database the tests make for glewlwyd
  rsyslog          # the team loop test: a syslog collector and laptop relays (test/support/rsyslog.ts)
  postgresql-client-15 # psql, wrapped by the tests and the libpq oracle's client
  postgresql-15    # the libpq oracle's real server (initdb, pg_ctl: test/support/postgres.ts)
)

# Commands the machine image ships (not installed here); checked only.
image_commands=(kubectl git terraform aws gcloud)

where_from() {
  case $1 in
    kubectl) echo 'the Kubernetes apt repository (pkgs.k8s.io) or the Google Cloud SDK; Debian 12 has none' ;;
    terraform) echo "HashiCorp's apt repository; Debian 12 has none" ;;
    aws) echo 'Debian: apt-get install awscli' ;;
    gcloud) echo 'the Google Cloud SDK apt repository; Debian 12 has none' ;;
    *) echo "Debian: apt-get install $1" ;;
  esac
}
for c in "${image_commands[@]}"; do
  command -v "$c" >/dev/null 2>&1 || { echo "install-system-deps: $c is missing; this machine image should have it ($(where_from "$c"))" >&2; exit 1; }
done

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  echo "install-system-deps: no apt/dpkg here; install these Debian packages (or your system's equivalents) first: ${packages[*]}" >&2
  exit 1
fi

missing=()
for p in "${packages[@]}"; do
  [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

install=(apt-get install -y -qq --no-install-recommends "${missing[@]}")
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  echo "install-system-deps: missing system packages; run: sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi
echo "install-system-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive "${install[@]}" >/dev/null
# glewlwyd's package enables a system-wide service (port 4593, admin password
# "password"); the tests start their own on 127.0.0.1.
if [[ " ${missing[*]} " == *" glewlwyd "* ]] && command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  "${sudo[@]}" systemctl disable --now glewlwyd >/dev/null 2>&1 || true
fi
