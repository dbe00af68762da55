#!/usr/bin/env bash
# Provide a PostgreSQL server on 127.0.0.1 for the distributed-tuning tests (tests/test_postgres_storage.py).
#
# Idempotent: installs the Debian package `postgresql` when it is missing, starts (or creates and
# starts) a cluster, creates the role and database below, and prints the SQLAlchemy URL as the last
# line of stdout. Never fails: when something goes wrong it says why on stderr and prints an empty
# last line, so `export GCLBT_TEST_POSTGRES_URL=$(bash .ci/postgres.sh | tail -1)` leaves the tests
# to skip with their reason. A non-empty $GCLBT_TEST_POSTGRES_URL is printed as is (a server of
# your own). Needs root (apt-get, and runuser to act as the `postgres` user).
#
#   GCLBT_PG_USER / GCLBT_PG_PASSWORD / GCLBT_PG_DB   role, password and database (gclbt / gclbt / gclbt_test)
set -uo pipefail

user="${GCLBT_PG_USER:-gclbt}"
password="${GCLBT_PG_PASSWORD:-gclbt}"
db="${GCLBT_PG_DB:-gclbt_test}"

give_up() {
    echo "postgres.sh: $*; the PostgreSQL tests will be skipped" >&2
    echo ""
    exit 0
}

if [[ -n "${GCLBT_TEST_POSTGRES_URL:-}" ]]; then
    echo "$GCLBT_TEST_POSTGRES_URL"
    exit 0
fi
[[ $(id -u) -eq 0 ]] || give_up "must run as root to install and start PostgreSQL (or set GCLBT_TEST_POSTGRES_URL)"
[[ "$user" =~ ^[a-z_][a-z0-9_]*$ && "$db" =~ ^[a-z_][a-z0-9_]*$ && "$password" =~ ^[A-Za-z0-9_]+$ ]] ||
    give_up "GCLBT_PG_USER/GCLBT_PG_DB must be lower-case SQL identifiers and GCLBT_PG_PASSWORD alphanumeric"

# 1. Install (Debian's packaging: pg_lsclusters, pg_ctlcluster, pg_createcluster).
if ! command -v pg_lsclusters >/dev/null || ! compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null; then
    command -v apt-get >/dev/null || give_up "PostgreSQL is not installed and there is no apt-get"
    echo "postgres.sh: installing PostgreSQL (apt-get install postgresql)" >&2
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql; } \
        >&2 || give_up "apt-get install postgresql failed"
fi

# 2. A cluster of the newest installed version: create it if the package did not, then start it.
version=$(ls /usr/lib/postgresql | sort -V | tail -1)
[[ -n "$version" ]] || give_up "no PostgreSQL version under /usr/lib/postgresql"
if [[ -z $(pg_lsclusters -h "$version" main 2>/dev/null) ]]; then
    echo "postgres.sh: creating cluster $version/main" >&2
    pg_createcluster "$version" main >&2 || give_up "pg_createcluster $version main failed"
fi
if ! pg_lsclusters -h "$version" main | grep -q online; then
    echo "postgres.sh: starting cluster $version/main" >&2
    pg_ctlcluster "$version" main start >&2 ||
        give_up "pg_ctlcluster $version main start failed (see /var/log/postgresql/postgresql-$version-main.log)"
fi
port=$(pg_lsclusters -h "$version" main | awk '{print $3}')
[[ "$port" =~ ^[0-9]+$ ]] || give_up "cannot read the port of cluster $version/main"

# 3. Role and database (password authentication over TCP: Debian's pg_hba.conf allows it on 127.0.0.1).
as_postgres() { runuser -u postgres -- psql --no-psqlrc -q -v ON_ERROR_STOP=1 -p "$port" -d postgres "$@"; }
ready=
for _ in $(seq 30); do
    if as_postgres -tAc "SELECT 1" >/dev/null 2>&1; then ready=1; break; fi
    sleep 0.5
done
[[ -n "$ready" ]] || give_up "the server on port $port does not accept connections"
if [[ -z $(as_postgres -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$user'") ]]; then
    as_postgres -c "CREATE ROLE $user LOGIN PASSWORD '$password'" >&2 || give_up "cannot create role $user"
else
    as_postgres -c "ALTER ROLE $user LOGIN PASSWORD '$password'" >&2 || give_up "cannot set the password of $user"
fi
if [[ -z $(as_postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'") ]]; then
    as_postgres -c "CREATE DATABASE $db OWNER $user" >&2 || give_up "cannot create database $db"
fi

echo "postgres.sh: PostgreSQL $version on 127.0.0.1:$port, database $db, role $user" >&2
echo "postgresql+psycopg://$user:$password@127.0.0.1:$port/$db"  # psycopg 3 (the dev extra), any SQLAlchemy 2.x
