#!/usr/bin/env bash
# Install the Debian packages nvrd uses, when they are missing and we may install them.
set -euo pipefail
need=()
command -v smartctl >/dev/null 2>&1 || need+=(smartmontools)
command -v dmidecode >/dev/null 2>&1 || need+=(dmidecode)
command -v lspci >/dev/null 2>&1 || need+=(pciutils)
command -v lsblk >/dev/null 2>&1 || need+=(util-linux)
# Fake cameras for the integration tests (tests/support/cameras.py): a live RTSP server
# run by the system python with GStreamer: videotestsrc (base), clockoverlay (x: pango),
# rtph264pay (good), x264enc (ugly), h264parse (bad; libgstrtspserver depends on it anyway),
# and the DejaVu font burnt into the generated test videos.
for pkg in python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base \
  gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly gstreamer1.0-plugins-bad \
  gstreamer1.0-x gstreamer1.0-tools fonts-dejavu-core; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
# The browser the /watch player tests drive with Playwright (/usr/bin/chromium), and CJK
# fonts so Korean, Japanese and Chinese overlays render.
# 7-Zip: the export tests open the AES-256 zip files with the tool a recipient would use.
for pkg in chromium fonts-noto-cjk 7zip; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
# Licence-plate recognition: Tesseract with its Korean model reads the Hangul of Korean
# plates; the fonts draw the plates of the generated traffic videos (demo, tests, bench).
for pkg in tesseract-ocr tesseract-ocr-kor fonts-dejavu-extra fonts-liberation \
  fonts-freefont-ttf; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
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
