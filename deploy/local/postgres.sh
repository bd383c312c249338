#!/usr/bin/env bash
# PostgreSQL from Debian's package, a cluster of its own owned by the `postgres` system user,
# with the database `sportello`, for development, tests and CI.
#
#   deploy/local/postgres.sh start|stop|status|psql
#
# Environment (all optional):
#   SPORTELLO_PG_PORT   port                       (5432)
#   SPORTELLO_PG_DIR    data folder                (<repo>/var/postgres)
#   SPORTELLO_PG_DB     database                   (sportello)
#   SPORTELLO_PG_USER / SPORTELLO_PG_PASSWORD      role Sportello connects as (sportello / sportello)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
port="${SPORTELLO_PG_PORT:-5432}"
dir="${SPORTELLO_PG_DIR:-$repo/var/postgres}"
db="${SPORTELLO_PG_DB:-sportello}"
user="${SPORTELLO_PG_USER:-sportello}"
password="${SPORTELLO_PG_PASSWORD:-sportello}"
data="$dir/data"

say() { echo "postgres: $*" >&2; }

bindir() {
  local d
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  [ -n "$d" ] && [ -x "$d/initdb" ] && echo "$d"
}

install_server() {
  if bindir >/dev/null; then return; fi
  say "installing PostgreSQL from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
}

as_postgres() {
  if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi
}

pg() { as_postgres "$(bindir)/$1" "${@:2}"; }

is_up() { pg pg_ctl -D "$data" status >/dev/null 2>&1; }

start() {
  install_server
  mkdir -p "$dir"
  chown postgres: "$dir"
  if [ ! -f "$data/PG_VERSION" ]; then
    say "creating a cluster in $data"
    pg initdb -D "$data" -U postgres -E UTF8 --locale=C.UTF-8 --auth-local=peer --auth-host=scram-sha-256 >/dev/null
  fi
  if is_up; then
    say "already running on 127.0.0.1:$port"
  else
    if "$(bindir)/pg_isready" -h 127.0.0.1 -p "$port" -q; then
      say "port $port is taken by another server; set SPORTELLO_PG_PORT"; exit 1
    fi
    # The socket goes in the data folder: /var/run/postgresql may not exist on a fresh machine.
    pg pg_ctl -D "$data" -l "$dir/postgres.log" -w -t 60 \
      -o "-p $port -k $data -c listen_addresses=127.0.0.1 -c fsync=on" start >/dev/null \
      || { say "did not start; its log follows"; tail -n 40 "$dir/postgres.log" >&2; exit 1; }
    say "running on 127.0.0.1:$port"
  fi
  local psql=(pg psql -h "$data" -p "$port" -U postgres -v ON_ERROR_STOP=1 -qAt)
  if [ "$("${psql[@]}" -c "select 1 from pg_roles where rolname='$user'")" != 1 ]; then
    "${psql[@]}" -c "create role \"$user\" login password '$password'"
  fi
  if [ "$("${psql[@]}" -c "select 1 from pg_database where datname='$db'")" != 1 ]; then
    "${psql[@]}" -c "create database \"$db\" owner \"$user\""
    say "created database $db"
  fi
}

stop() {
  if ! is_up; then say "not running"; return; fi
  pg pg_ctl -D "$data" -m "${1:-fast}" -w stop >/dev/null
  say "stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop fast ;;
  status)
    if bindir >/dev/null && is_up; then echo "postgres: running on 127.0.0.1:$port ($data)"
    else echo "postgres: not running"; exit 3; fi ;;
  psql) shift; PGPASSWORD="$password" psql -h 127.0.0.1 -p "$port" -U "$user" "$db" "$@" ;;
  *) echo "usage: $0 start|stop|status|psql" >&2; exit 2 ;;
esac
