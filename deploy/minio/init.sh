#!/bin/sh
# Run once by the minio-init service (minio/mc image), with the root account, which nothing else
# uses: the bucket (versioned, so an overwritten or deleted page can be recovered), a policy and
# a user for hoso, and a write-only policy and user for the scanning stations. Every credential
# is read from /run/secrets; re-running it changes nothing that is already right.
set -eu
secret() { tr -d '\r\n' < "/run/secrets/$1"; }

export MC_CONFIG_DIR=/tmp/mc
mkdir -p "$MC_CONFIG_DIR/certs/CAs"
cp /run/secrets/internal_ca "$MC_CONFIG_DIR/certs/CAs/internal-ca.crt"
mc --config-dir "$MC_CONFIG_DIR" alias set province https://minio:9000 \
  "$(secret minio_root_user)" "$(secret minio_root_password)" >/dev/null
mc() { command mc --config-dir "$MC_CONFIG_DIR" "$@"; }

mc mb --ignore-existing province/hoso
mc version enable province/hoso
mc anonymous set none province/hoso

mc admin policy create province hoso-app /etc/hoso/hoso-app.json
mc admin policy create province hoso-station /etc/hoso/hoso-station.json

mc admin user add province "$(secret minio_hoso_user)" "$(secret minio_hoso_password)"
mc admin policy attach province hoso-app --user "$(secret minio_hoso_user)" || true
mc admin user add province "$(secret minio_station_user)" "$(secret minio_station_password)"
mc admin policy attach province hoso-station --user "$(secret minio_station_user)" || true
echo "minio-init: bucket hoso, users for hoso and the stations ready"
