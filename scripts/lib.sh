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
    [ -n "${APT_UPDATED:-}" ] || { apt-get update -qq; APT_UPDATED=1; }   # once a run
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# build_tools_ensure — what installing hoso compiles its C extension (events/store/_leafscan.c, audit
# verify's hot loop) with: gcc, libc, OpenSSL's and SQLite's headers, and Python's own headers
# when the interpreter that makes (or made) the venv has none, as Debian's python3 without
# python3-dev.
build_tools_ensure() {
  apt_ensure gcc libc6-dev libssl-dev libsqlite3-dev
  local python=python3
  [ ! -x "$VENV/bin/python" ] || python="$VENV/bin/python"
  "$python" -c 'import os, sys, sysconfig
sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' \
    || apt_ensure python3-dev
}

# venv_ensure [EXTRA] — create .venv if missing and install hoso (editable), with the optional
# EXTRA; pip runs only when pyproject.toml or the C extension's source changed (an editable
# install builds the extension in place once, so a changed .c needs pip again) or EXTRA was
# never installed, and extras installed before are kept, so run.sh and test.sh do not undo each
# other. Needs build_tools_ensure first.
venv_ensure() {
  local extra=${1:-}
  if [ ! -x "$VENV/bin/python" ]; then
    log "creating $VENV"
    # Debian's python3 needs python3-venv for this; install it only when the first try fails.
    python3 -m venv "$VENV" 2>/dev/null \
      || { rm -rf "$VENV"; apt_ensure python3-venv; python3 -m venv "$VENV"; }
  fi
  local stamp="$VENV/.hoso-installed" hash had=""
  hash=$(cat "$ROOT/pyproject.toml" "$ROOT"/events/store/_leafscan*.[ch] | sha256sum | cut -d' ' -f1)
  if [ "$(head -n1 "$stamp" 2>/dev/null)" = "$hash" ] \
     && compgen -G "$ROOT/events/store/_leafscan.*.so" >/dev/null; then
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

# catalogues_ensure — compile the pages' translation catalogues (.po → .mo); quick, so always.
catalogues_ensure() {
  "$VENV/bin/pybabel" -q compile -d "$ROOT/tracker/web/translations"
}

# npm_tool_ensure PACKAGE@VERSION FILE — fetch one file of an npm package into .cache/npm/PACKAGE
# (tests only: axe-core for the accessibility checks), once per version.
npm_tool_ensure() {
  local spec=$1 file=$2 name=${1%@*}
  local dir="$ROOT/.cache/npm/$name" stamp="$ROOT/.cache/npm/$name/.spec"
  [ -f "$dir/$(basename "$file")" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$spec" ] && return 0
  command -v npm >/dev/null || apt_ensure npm
  log "fetching $spec from npm"
  local tmp; tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "$spec" >/dev/null && tar xzf ./*.tgz)
  mkdir -p "$dir"
  cp "$tmp/package/$file" "$dir/" && echo "$spec" > "$stamp"
  rm -rf "$tmp"
}
