#!/usr/bin/env bash
# Run hoso on its embedded defaults: SQLite under HOSO_DATA_DIR (./var), no Kafka.
# Creates .venv if missing, installs hoso, loads the demo province, then serves the JSON API on
# http://127.0.0.1:8080 (HOSO_HOST / HOSO_PORT to change).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
apt_ensure fonts-dejavu-core tesseract-ocr tesseract-ocr-vie tesseract-ocr-osd   # slip font; OCR at the scanning station
build_tools_ensure   # compiles events/_leafscan.c when hoso is installed
venv_ensure
"$VENV/bin/hoso" init --demo
exec "$VENV/bin/hoso" serve
