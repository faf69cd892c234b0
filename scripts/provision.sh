#!/usr/bin/env bash
# Installs the Debian packages the tests need, when some are missing: `npm test` runs this first
# (`pretest`), and so does .ci/run. This is the one place that lists them.
#   - nothing missing: prints nothing, calls no apt, exits 0;
#   - missing, as root: apt-get update && apt-get install -y --no-install-recommends <missing>;
#   - missing, not root: one line naming them and the command to run, then exit 1 (no test runs).
set -euo pipefail

# package:file it provides. Absolute paths are the ones the code runs (DOCKER_REGISTRY_BIN's default,
# the dashboard's browser test); skopeo and umoci are run from PATH.
PACKAGES=(
  docker-registry:/usr/bin/docker-registry
  skopeo:skopeo
  umoci:umoci
  chromium:/usr/bin/chromium
)

present() {
  case "$1" in
    /*) [ -x "$1" ] ;;
    *) command -v "$1" >/dev/null 2>&1 ;;
  esac
}

missing=()
for entry in "${PACKAGES[@]}"; do
  present "${entry#*:}" || missing+=("${entry%%:*}")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

install="apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages for the tests: ${missing[*]}; install them with: sudo sh -c '${install}'" >&2
  exit 1
fi

echo "installing Debian packages for the tests: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${missing[@]}"
