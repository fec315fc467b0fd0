#!/usr/bin/env bash
# PostgreSQL first-start init for docker-compose.yml (mounted into /docker-entrypoint-initdb.d/).
#
# Each Herald service owns its own database: for every service this creates a login role
# `herald_<svc>` and a database `herald_<svc>` owned by it, and takes CONNECT away from PUBLIC so
# a service cannot open another service's database. Runs only when the data volume is empty.
#
# The postgres image *sources* non-executable init scripts into its own shell, so everything
# runs in a subshell: `set -u` and `exit` here cannot leak into the image's entrypoint.
(
  set -euo pipefail
  : "${POSTGRES_USER:?}" "${HERALD_DB_PASSWORD:?HERALD_DB_PASSWORD must be set}"
  for svc in contacts consent campaigns dispatcher receipts analytics; do
    echo "herald: creating role and database herald_${svc}"
    psql --no-psqlrc -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
      -v name="herald_${svc}" -v password="$HERALD_DB_PASSWORD" <<'SQL'
CREATE ROLE :"name" LOGIN PASSWORD :'password';
CREATE DATABASE :"name" OWNER :"name";
REVOKE ALL ON DATABASE :"name" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"name" TO :"name";
SQL
  done
)
