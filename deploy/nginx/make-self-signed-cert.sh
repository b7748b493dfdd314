#!/usr/bin/env bash
# A self-signed certificate for trying the nginx config locally (never for
# production: browsers warn, and curl needs -k or --cacert).
#
#   deploy/nginx/make-self-signed-cert.sh [DIR] [HOSTNAME]
#
# Writes DIR/fullchain.pem and DIR/privkey.pem (default DIR: /etc/ssl/mockloop
# as root, else ./tls), valid 30 days for HOSTNAME (default localhost) plus
# localhost, 127.0.0.1 and ::1. Leaves an existing pair alone unless it has
# expired.
set -euo pipefail
default_dir=./tls
[[ $(id -u) -eq 0 ]] && default_dir=/etc/ssl/mockloop
dir=${1:-$default_dir}
name=${2:-localhost}

if [[ -f "$dir/fullchain.pem" && -f "$dir/privkey.pem" ]] &&
  openssl x509 -checkend 86400 -noout -in "$dir/fullchain.pem" >/dev/null 2>&1; then
  echo "make-self-signed-cert: $dir already holds a valid pair"
  exit 0
fi

mkdir -p "$dir"
umask 077
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
  -subj "/CN=$name" \
  -addext "subjectAltName=DNS:$name,DNS:localhost,IP:127.0.0.1,IP:::1" \
  -addext "basicConstraints=critical,CA:FALSE" \
  -addext "extendedKeyUsage=serverAuth" \
  -keyout "$dir/privkey.pem" -out "$dir/fullchain.pem" 2>/dev/null
chmod 644 "$dir/fullchain.pem"
echo "make-self-signed-cert: wrote $dir/fullchain.pem and $dir/privkey.pem for $name"
