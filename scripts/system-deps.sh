#!/usr/bin/env bash
# Install the Debian packages nvrd uses, when they are missing and we may install them.
set -euo pipefail
need=()
command -v smartctl >/dev/null 2>&1 || need+=(smartmontools)
command -v dmidecode >/dev/null 2>&1 || need+=(dmidecode)
command -v lspci >/dev/null 2>&1 || need+=(pciutils)
command -v lsblk >/dev/null 2>&1 || need+=(util-linux)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
    echo "system-deps: missing ${need[*]}; install them as root (apt-get install ${need[*]})" >&2
    exit 1
  fi
else
  SUDO=
fi
echo "system-deps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
