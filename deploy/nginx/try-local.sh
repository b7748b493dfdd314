#!/usr/bin/env bash
# Runs deploy/nginx/mockloop.conf unprivileged, in the foreground, for a try
# on one machine: https://localhost:8443 -> the mockloop-server already
# listening on 127.0.0.1:8080, with a self-signed certificate. Ctrl-C stops.
#
#   deploy/nginx/try-local.sh            run
#   deploy/nginx/try-local.sh --check    only validate the config (nginx -t)
#
# HTTPS_PORT, HTTP_PORT and UPSTREAM override 8443, 8081 and 127.0.0.1:8080.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
https_port=${HTTPS_PORT:-8443}
http_port=${HTTP_PORT:-8081}
upstream=${UPSTREAM:-127.0.0.1:8080}
prefix=${TMPDIR:-/tmp}/mockloop-nginx-$(id -u)
command -v nginx >/dev/null || { echo "try-local: install nginx first (apt-get install nginx)" >&2; exit 1; }

mkdir -p "$prefix/logs" "$prefix/tmp"
bash "$here/make-self-signed-cert.sh" "$prefix/tls" localhost >/dev/null

# The site file as shipped, with local ports, certificate and upstream.
sed -e "s|listen 443 |listen $https_port |; s|listen \[::\]:443 |listen [::]:$https_port |" \
  -e "s|listen 80;|listen $http_port;|; s|listen \[::\]:80;|listen [::]:$http_port;|" \
  -e "s|/etc/ssl/mockloop/|$prefix/tls/|" \
  -e "s|server 127.0.0.1:8080;|server $upstream;|" \
  -e "s|server_name mockloop.example.com;|server_name localhost;|" \
  -e "s|return 301 https://\$host\$request_uri;|return 301 https://\$host:$https_port\$request_uri;|" \
  "$here/mockloop.conf" >"$prefix/mockloop.conf"

cat >"$prefix/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $prefix/nginx.pid;
error_log $prefix/logs/error.log warn;
events { worker_connections 1024; }
http {
    include /etc/nginx/mime.types;
    access_log $prefix/logs/access.log;
    client_body_temp_path $prefix/tmp/body;
    proxy_temp_path $prefix/tmp/proxy;
    fastcgi_temp_path $prefix/tmp/fastcgi;
    uwsgi_temp_path $prefix/tmp/uwsgi;
    scgi_temp_path $prefix/tmp/scgi;
    include $prefix/mockloop.conf;
}
CONF

if [[ "${1:-}" == "--check" ]]; then
  exec nginx -t -p "$prefix" -c "$prefix/nginx.conf"
fi
echo "try-local: https://localhost:$https_port -> http://$upstream (logs in $prefix/logs)"
exec nginx -p "$prefix" -c "$prefix/nginx.conf"
