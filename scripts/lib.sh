# Shared set-up steps for scripts/run.sh and scripts/test.sh. Each step is idempotent: it checks
# first and changes nothing when the machine is already set up, so a second run is fast.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="$ROOT/.venv"

log() { printf '[hoso setup] %s\n' "$*" >&2; }

# apt_ensure PKG… — install the Debian packages that are not installed yet.
apt_ensure() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if ((${#missing[@]})); then
    log "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# venv_ensure [EXTRA] — create .venv if missing and install hoso (editable), with the optional
# EXTRA; pip runs only when pyproject.toml changed or EXTRA was never installed, and extras
# installed before are kept, so run.sh and test.sh do not undo each other.
venv_ensure() {
  local extra=${1:-}
  if [ ! -x "$VENV/bin/python" ]; then
    log "creating $VENV"
    # Debian's python3 needs python3-venv for this; install it only when the first try fails.
    python3 -m venv "$VENV" 2>/dev/null \
      || { rm -rf "$VENV"; apt_ensure python3-venv; python3 -m venv "$VENV"; }
  fi
  local stamp="$VENV/.hoso-installed" hash had=""
  hash=$(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1)
  if [ "$(head -n1 "$stamp" 2>/dev/null)" = "$hash" ]; then
    had=$(sed -n 2p "$stamp")
    [ -z "$extra" ] || [[ ",$had," == *",$extra,"* ]] && return 0
  fi
  local extras
  extras=$(printf '%s\n' ${had//,/ } $extra | sort -u | paste -sd, -)
  log "installing hoso${extras:+[$extras]} into $VENV"
  # pip's build chatter goes to a log, shown only when the install fails
  local pip_log="$VENV/pip-install.log"
  if ! { "$VENV/bin/python" -m pip install -q --upgrade pip \
         && "$VENV/bin/python" -m pip install -q -e "$ROOT${extras:+[$extras]}"; } \
       >"$pip_log" 2>&1; then
    cat "$pip_log" >&2
    return 1
  fi
  printf '%s\n%s\n' "$hash" "$extras" > "$stamp"
}
