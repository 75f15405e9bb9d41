#!/usr/bin/env bash
# Run hoso on its embedded defaults: SQLite under HOSO_DATA_DIR (./var), no Kafka.
# Creates .venv if missing, installs hoso, loads the demo province and makes the audit signing key
# (HOSO_DATA_DIR/keys/audit.key, once), gives the demo staff below a fresh password (printed),
# then serves the pages and the JSON API on http://127.0.0.1:8080 (HOSO_HOST / HOSO_PORT to
# change), signing a checkpoint within 10 s of every change (HOSO_CHECKPOINT_SECONDS).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
apt_ensure fonts-dejavu-core fonts-dejavu-extra tesseract-ocr tesseract-ocr-vie tesseract-ocr-osd   # slip font; OCR at the scanning station
build_tools_ensure   # compiles events/store/_leafscan.c when hoso is installed
venv_ensure
catalogues_ensure   # the pages in Vietnamese
"$VENV/bin/hoso" init --demo   # tables, the demo province, the audit key, a first checkpoint
# Demo accounts for a walk through Phủ Lý (counter, courier, agency) and the province's
# inspector and admin; a new password on every start, so none is ever shipped.
DEMO_STAFF=(pl-rcv-001 pl-cur-001 pl-off-001 pl-opr-001 pl-sup-001 hnm-rcv-001 hnm-ins-001 hnm-adm-001)
PASSWORD="$("$VENV/bin/python" -c 'import secrets; print("demo-" + secrets.token_urlsafe(9))')"
for staff in "${DEMO_STAFF[@]}"; do
  printf '%s\n' "$PASSWORD" | "$VENV/bin/hoso" account set-password "$staff" --password-stdin >/dev/null
done
URL="http://${HOSO_HOST:-127.0.0.1}:${HOSO_PORT:-8080}"
cat <<MSG

  hoso is starting. Open $URL and sign in with one of these staff ids:
    pl-rcv-001   receiver at Phủ Lý's one-stop shop: receive a dossier, print its receipt, bag it
    pl-cur-001   courier at Phủ Lý: the bags to carry
    pl-off-001   official at Phủ Lý's land registration branch: accept the bag, resolve
    hnm-ins-001  inspector for the province: any dossier, its history, the report
    also pl-opr-001 (operator), pl-sup-001 (supervisor), hnm-rcv-001 (receiver at the
    provincial centre) and hnm-adm-001 (admin: accounts and tokens)
    password     $PASSWORD

MSG
exec "$VENV/bin/hoso" serve
