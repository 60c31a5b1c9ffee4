#!/bin/sh
# Install the system packages synthcheck's tests and certificates use, if any is missing:
#   poppler-utils          pdfsig / pdftoppm / pdftotext / pdfdetach (independent PDF checks)
#   libpango-1.0-0 etc.    the text layout library weasyprint loads to render certificates
#   chromium               a real headless browser for the owner's HTML report test
# As root: apt-get. Otherwise: sudo apt-get where sudo exists. Otherwise (or without apt-get):
# one line naming the packages, and a non-zero exit.
set -u
PATH="$PATH:/usr/sbin:/sbin"
missing=""
for tool in pdfsig pdftoppm pdftotext pdfdetach; do
    command -v "$tool" >/dev/null 2>&1 || { missing="poppler-utils"; break; }
done
libraries=$(ldconfig -p 2>/dev/null)
case "$libraries" in *libpango-1.0.so*) ;; *) missing="$missing libpango-1.0-0" ;; esac
case "$libraries" in *libpangoft2-1.0.so*) ;; *) missing="$missing libpangoft2-1.0-0" ;; esac
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
[ -z "$missing" ] && exit 0
missing=$(echo $missing)

if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: please install these system packages with your package manager (Debian names): $missing" >&2
    exit 1
fi
if [ "$(id -u)" = 0 ]; then
    as_root=""
elif command -v sudo >/dev/null 2>&1; then
    as_root="sudo"
    echo "installing $missing with sudo apt-get" >&2
else
    echo "error: please install these system packages as root: apt-get install $missing" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$as_root apt-get update -qq && $as_root apt-get install -y -qq $missing >/dev/null
