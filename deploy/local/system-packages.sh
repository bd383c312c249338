#!/usr/bin/env bash
# Debian packages Sportello needs on the machine, installed when missing (as root, or with sudo).
set -euo pipefail
needed=(openjdk-17-jre-headless maven postgresql tesseract-ocr tesseract-ocr-ita tesseract-ocr-eng poppler-utils swaks openssl chromium chromium-driver)
missing=()
for p in "${needed[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
echo "system-packages: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
