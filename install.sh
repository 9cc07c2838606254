#!/usr/bin/env bash
# Install facespeak into ./.venv with the system packages its engines need.
#   ./install.sh          the program
#   ./install.sh --dev    the program and the test tools
set -euo pipefail
cd "$(dirname "$0")"

# g++ and python3-dev build pyworld where PyPI has no wheel for this Python.
APT_PACKAGES=(python3-venv python3-pip python3-dev g++ festival festvox-us-slt-hts flite espeak-ng libespeak-ng1 libgl1 libglib2.0-0)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
    if [[ $(id -u) -eq 0 ]]; then
        echo "install.sh: installing system packages: ${missing[*]}" >&2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "install.sh: please install the system packages first:" >&2
        echo "    sudo apt-get install ${missing[*]}" >&2
        exit 1
    fi
fi

PYTHON=${PYTHON:-python3}
[[ -x .venv/bin/python ]] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
extra=""
[[ "${1:-}" == "--dev" ]] && extra="[dev]"
.venv/bin/python -m pip install -q -e ".${extra}"
echo "install.sh: facespeak installed in $(pwd)/.venv" >&2
