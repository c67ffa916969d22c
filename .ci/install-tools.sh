#!/usr/bin/env bash
# Install the system tools nnsteps CI needs: Chromium (HTML render checks),
# a minimal TeX Live (pdflatex + amsmath/amssymb/bm/xcolor/booktabs/geometry/tikz)
# and poppler-utils (pdftoppm). Debian/Ubuntu, run as root or with sudo. Idempotent.
# Python side (not here): pip install playwright -- never `playwright install`: tests drive /usr/bin/chromium.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

is_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT
run_quiet() {  # run a command, show its output only if it fails
  if ! "$@" >"$LOG" 2>&1; then
    cat "$LOG" >&2
    echo "install-tools: failed: $*" >&2
    exit 1
  fi
}

updated=0
apt_install() {  # apt_install LABEL PKG...
  local label=$1; shift
  local missing=() p
  for p in "$@"; do is_installed "$p" || missing+=("$p"); done
  if [ "${#missing[@]}" -eq 0 ]; then
    echo "install-tools: $label already installed"
    return
  fi
  if [ "$updated" -eq 0 ]; then
    local t0=$SECONDS
    run_quiet $SUDO apt-get update -qq
    updated=1
    echo "install-tools: apt-get update took $((SECONDS - t0))s"
  fi
  local t1=$SECONDS
  run_quiet $SUDO apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Use-Pty=0 "${missing[@]}"
  echo "install-tools: $label (${missing[*]}) took $((SECONDS - t1))s"
}

apt_install chromium chromium fonts-dejavu-core  # a sans font for the diagram's SVG text
apt_install texlive texlive-latex-base texlive-latex-recommended texlive-pictures
apt_install poppler poppler-utils

for bin in /usr/bin/chromium pdflatex pdftoppm; do
  command -v "$bin" >/dev/null || { echo "install-tools: missing $bin" >&2; exit 1; }
done
/usr/bin/chromium --version 2>/dev/null
pdflatex --version | sed -n 1p  # sed reads everything: no SIGPIPE under pipefail
pdftoppm -v 2>&1 | sed -n 1p
