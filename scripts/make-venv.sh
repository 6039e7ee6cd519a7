#!/usr/bin/env bash
# Creates the project's virtual environment. Debian's python3 needs the python3-venv package
# for this; as root it is installed, otherwise the message says what to install.
set -euo pipefail
python=$1
venv=$2

if "$python" -m venv "$venv" 2>/dev/null; then
  exit 0
fi
rm -rf "$venv"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing python3-venv (Debian package) ..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
  "$python" -m venv "$venv"
else
  echo "ERROR: '$python -m venv' failed. On Debian or Ubuntu: sudo apt-get install python3-venv" >&2
  exit 1
fi
