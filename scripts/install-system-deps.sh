#!/usr/bin/env bash
# System packages the browser and single sign-on suites need, from Debian's archive, installed when missing:
# Chromium (browser tests), slapd and ldap-utils (LDAP sign-in tests), SimpleSAMLphp and PHP (SAML browser test).
# Silent when everything is there. The tests start their own slapd and PHP server, so no system service is
# left running: services the packages would start are held back during the install.
set -euo pipefail

PACKAGES=(chromium slapd ldap-utils simplesamlphp php-cli php-xml php-mbstring)

installed() {
  # A Chromium from elsewhere on the PATH serves the browser tests as well as Debian's.
  if [ "$1" = chromium ] && command -v chromium >/dev/null 2>&1; then
    return 0
  fi
  local status
  status="$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)"
  [ "$status" = "install ok installed" ]
}

missing=()
for package in "${PACKAGES[@]}"; do
  installed "$package" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "Missing system packages: ${missing[*]} (install them with apt-get as root)" >&2
  exit 1
fi
echo "Installing system packages: ${missing[*]}"

# invoke-rc.d and deb-systemd-invoke ask policy-rc.d before starting a service; 101 means "not now".
policy=/usr/sbin/policy-rc.d
saved=""
if [ -e "$policy" ]; then
  saved="$(mktemp)"
  cp -p "$policy" "$saved"
fi
restore_policy() {
  if [ -n "$saved" ]; then
    mv -f "$saved" "$policy"
  else
    rm -f "$policy"
  fi
}
trap restore_policy EXIT
printf '#!/bin/sh\nexit 101\n' >"$policy"
chmod 755 "$policy"

export DEBIAN_FRONTEND=noninteractive
# slapd would otherwise create a directory for the host's domain; the tests bring their own configuration.
echo "slapd slapd/no_configuration boolean true" | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends -o Dpkg::Options::=--force-confold "${missing[@]}" >/dev/null

for package in "${missing[@]}"; do
  if [ "$package" = slapd ] && [ -d /run/systemd/system ]; then
    # Only a slapd this script installed: a directory someone set up on purpose is left alone.
    systemctl disable --now slapd >/dev/null 2>&1 || true
  fi
done
