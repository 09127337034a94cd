#!/usr/bin/env bash
# Set docgen up on a fresh machine, then run the tour on the bundled sample archive.
#
#   ./setup.sh             system parts (apt, where we can) + .venv + the demo tour, then the
#                          web application on the tour's copy (http://127.0.0.1:8000/, Ctrl+C stops it)
#   ./setup.sh --no-serve  the same, without starting the web application at the end
#   ./setup.sh --no-demo   everything but the tour and the web application (CI uses this, then runs the tests)
#
# Optional system parts: CJK fonts (scans and PDFs show Chinese), LibreOffice
# (PDF output), poppler-utils (page images), Chromium (HTML report and browser tests).
# redis-server: the broker of the OCR workers' tests (and of a one-machine worker setup).
# Without root or apt, docgen still works and says plainly what is missing.
set -euo pipefail
cd "$(dirname "$0")"

run_demo=1
run_serve=1
for arg in "$@"; do
  case "$arg" in
    --no-demo) run_demo=0; run_serve=0 ;;
    --no-serve) run_serve=0 ;;
    *) echo "usage: ./setup.sh [--no-demo | --no-serve]" >&2; exit 2 ;;
  esac
done

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# 1. System packages ---------------------------------------------------------
missing=()
fc-list :lang=zh 2>/dev/null | grep -qi 'wqy\|noto' || missing+=(fonts-wqy-zenhei fonts-noto-cjk)
command -v soffice >/dev/null 2>&1 || missing+=(libreoffice-writer-nogui)
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v fc-list >/dev/null 2>&1 || missing+=(fontconfig)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
if [ ${#missing[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    say "Installing system packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null || echo "warning: apt-get update failed; trying to install anyway" >&2
    apt-get install -y -q "${missing[@]}" >/dev/null \
      || echo "warning: some optional system packages could not be installed: ${missing[*]}" >&2
  else
    echo "note: optional system packages missing (need root + apt): ${missing[*]}" >&2
    echo "      docgen runs without them; PDF output, Chinese scans, the HTML test or the workers' tests are then skipped." >&2
  fi
fi

# 2. Python environment --------------------------------------------------------
PY=${PYTHON:-python3}
"$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
  || { echo "docgen needs Python 3.11 or newer ($PY is $("$PY" --version 2>&1))" >&2; exit 1; }
if [ ! -x .venv/bin/python ]; then
  say "Creating .venv"
  "$PY" -m venv .venv
fi
say "Installing docgen and its dependencies into .venv"
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e '.[dev,workers]'

# 3. The tour --------------------------------------------------------------------
if [ "$run_demo" = 1 ]; then
  say "Running the tour on the bundled sample archive (records/)"
  .venv/bin/docgen demo
fi
say "Done. Run the tests with: .venv/bin/python -m pytest"
if [ "$run_serve" = 1 ]; then
  say "Starting the web application on the tour's copy (log in with an account printed above; Ctrl+C stops it)"
  exec .venv/bin/docgen --config demo-run/docgen.toml serve
fi
