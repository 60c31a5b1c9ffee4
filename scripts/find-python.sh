#!/bin/sh
# Print the path of the first Python >= 3.10 that can make a virtual environment.
#
# Order: $PYTHON if set, then `python3` as PATH finds it (an active venv, a pyenv shim, the
# distribution's own), then versioned names. A distribution's externally-managed Python
# (PEP 668) is fine: we never pip-install into it, only create .venv from it. One that lacks
# the venv module (Debian without python3-venv) is skipped; if nothing else fits, say which
# package to install.
set -u
lacks_venv=""
for candidate in ${PYTHON:-} python3 python3.13 python3.12 python3.11 python3.10 python; do
    exe=$(command -v "$candidate" 2>/dev/null) || continue
    "$exe" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null || continue
    if "$exe" -c 'import venv, ensurepip' 2>/dev/null; then
        echo "$exe"
        exit 0
    fi
    lacks_venv="$exe"
done
if [ -n "$lacks_venv" ]; then
    version=$("$lacks_venv" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    echo "error: $lacks_venv cannot make a virtual environment; install the package python$version-venv (Debian/Ubuntu) and run make again" >&2
else
    echo "error: no Python 3.10 or newer found on PATH (tried python3, python3.13 ... python3.10, python); install one or run make PYTHON=/path/to/python3" >&2
fi
exit 1
