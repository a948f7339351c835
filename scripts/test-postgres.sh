#!/usr/bin/env bash
# Throwaway PostgreSQL for the test suite.
#   eval "$(scripts/test-postgres.sh [DIR])"   start, or reuse the server already running in
#                                              DIR; prints export MLWS_TEST_POSTGRES_URL=...
#   scripts/test-postgres.sh stop [DIR]        stop it
#   scripts/test-postgres.sh dir               print the default DIR of this checkout
# DIR defaults to a folder of this checkout's own in the temp directory
# (mlws-test-pg-<uid>-<hash of the checkout's path>), so checkouts never share a server. (Not
# inside the checkout: as root the server runs as user postgres, who may not enter it.)
# The server binaries are found on PATH or in Debian's PG_LIB_DIR (default /usr/lib/postgresql);
# without them Debian's postgresql package is installed (with sudo when not root).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd -P)"
default_dir() {
  echo "${TMPDIR:-/tmp}/mlws-test-pg-$(id -u)-$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)"
}

case "${1:-}" in
  stop) ACTION=stop; DIR="${2:-$(default_dir)}" ;;
  dir) default_dir; exit 0 ;;
  *) ACTION=start; DIR="${1:-$(default_dir)}" ;;
esac
DB=mlws_test
RUN_USER=postgres
PG_LIB_DIR="${PG_LIB_DIR:-/usr/lib/postgresql}"

as_root() { if [[ "$(id -u)" == 0 ]]; then "$@"; else sudo "$@"; fi; }

find_bindir() {
  if command -v pg_ctl >/dev/null 2>&1 && command -v postgres >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v pg_ctl)")"
    return 0
  fi
  local d
  d="$(ls -d "$PG_LIB_DIR"/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [[ -n "$d" && -x "$d/pg_ctl" ]]; then echo "$d"; return 0; fi
  return 1
}

BINDIR="$(find_bindir || true)"
if [[ -z "$BINDIR" ]]; then
  if [[ "$ACTION" == "stop" ]]; then exit 0; fi
  if [[ "$(id -u)" != 0 ]] && ! command -v sudo >/dev/null 2>&1; then
    echo "No PostgreSQL server binaries found and no sudo to install them: install Debian's" \
         "postgresql package as root (apt-get install postgresql), then run this again." >&2
    exit 1
  fi
  echo "installing postgresql (apt-get)..." >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2
  BINDIR="$(find_bindir)"
fi

as_user() {
  if [[ "$(id -u)" == "0" ]]; then
    # postgres refuses to run as root.
    su -s /bin/sh "$RUN_USER" -c "$(printf '%q ' "$@")"
  else
    "$@"
  fi
}

if [[ "$ACTION" == "stop" ]]; then
  if [[ -f "$DIR/data/postmaster.pid" ]]; then
    as_user "$BINDIR/pg_ctl" -D "$DIR/data" -m fast -w stop >&2
  fi
  exit 0
fi

if [[ "$(id -u)" == "0" ]] && ! id "$RUN_USER" >/dev/null 2>&1; then
  useradd --system --home-dir "$DIR" --shell /bin/sh "$RUN_USER"
fi
if [[ "$(id -u)" != "0" ]]; then RUN_USER="$(id -un)"; fi

mkdir -p "$DIR"
if [[ "$(id -u)" == "0" ]]; then chown -R "$RUN_USER" "$DIR"; fi

# Already running from an earlier call: reuse it.
if [[ -f "$DIR/data/postmaster.pid" && -f "$DIR/port" ]] \
   && as_user "$BINDIR/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; then
  PORT="$(cat "$DIR/port")"
else
  if [[ ! -f "$DIR/data/PG_VERSION" ]]; then
    as_user "$BINDIR/initdb" -D "$DIR/data" -U postgres --auth=trust -E UTF8 >&2
  fi
  PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null || shuf -i 20000-60000 -n 1)"
  echo "$PORT" > "$DIR/port"
  as_user "$BINDIR/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
    -o "-h 127.0.0.1 -p $PORT -k $DIR -c fsync=off -c full_page_writes=off" start >&2
fi

# Wait until it accepts connections.
for _ in $(seq 1 120); do
  if "$BINDIR/pg_isready" -h 127.0.0.1 -p "$PORT" -q; then break; fi
  sleep 0.5
done
"$BINDIR/pg_isready" -h 127.0.0.1 -p "$PORT" >&2

if ! "$BINDIR/psql" -h 127.0.0.1 -p "$PORT" -U postgres -tAc \
     "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
  "$BINDIR/createdb" -h 127.0.0.1 -p "$PORT" -U postgres "$DB"
fi
echo "export MLWS_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:$PORT/$DB"
