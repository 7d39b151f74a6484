#!/usr/bin/env bash
# Runs deploy/Dockerfile's steps on a machine with no Docker engine, to prove them:
#   1. copies the repository as the build context into a temp folder, leaving out what .dockerignore names;
#   2. replays each stage: WORKDIR, ENV, COPY (also --from a stage and --chown) and RUN, each stage in a
#      folder of its own standing for the image's /, RUN in the WORKDIR (as root, as Docker runs it);
#   3. starts the final stage's CMD with its ENV (absolute paths taken into the stage's folder), as its
#      USER (created here with useradd when missing; run as root to allow that), with the settings
#      production requires (generated keys, an https PUBLIC_URL, the SQLite store in the data volume);
#   4. runs the HEALTHCHECK command (so /healthz answers through it), then sends SIGTERM and checks the
#      server exits 0 within 10 s.
# What it cannot prove: the base image itself (this machine's Node stands in for node:20's; the major
# versions must match), and better-sqlite3's download of a prebuilt binary (npm here compiles it).
# Usage: deploy/try-dockerfile.sh [--keep]   (--keep leaves the temp folder for a look)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
dockerfile="$repo/deploy/Dockerfile"
keep=false
[ "${1:-}" = --keep ] && keep=true

work=$(mktemp -d "${TMPDIR:-/tmp}/koobridge-image.XXXXXX")
chmod 755 "$work"
server_pid=
created_user=
cleanup() {
  [ -n "$server_pid" ] && kill -KILL "$server_pid" 2>/dev/null || true
  [ -n "$created_user" ] && userdel "$created_user" 2>/dev/null || true
  if $keep; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

say() { printf '== %s\n' "$*"; }
fail() { printf 'try-dockerfile: %s\n' "$*" >&2; exit 1; }

# 1. The build context.
say "build context: $repo without what .dockerignore names"
excludes=()
if [ -f "$repo/.dockerignore" ]; then
  while IFS= read -r line || [ -n "$line" ]; do
    line="${line%%#*}"
    line="$(echo "$line" | xargs)"
    [ -z "$line" ] && continue
    case "$line" in '!'*) fail ".dockerignore exceptions (!$line) are not replayed here" ;; esac
    # Docker matches each pattern from the context's root; rsync does with a leading /.
    excludes+=("--exclude=/${line#/}")
  done <"$repo/.dockerignore"
fi
rsync -a "${excludes[@]}" "$repo/" "$work/context/"

# The Dockerfile as instructions: continuation lines joined, comments and blank lines dropped.
instructions=()
current=
while IFS= read -r line || [ -n "$line" ]; do
  if [ -z "$current" ]; then
    case "$line" in '#'* | '') continue ;; esac
  fi
  if [[ "$line" == *\\ ]]; then current+="${line%\\} "; continue; fi
  instructions+=("$current$line")
  current=
done <"$dockerfile"

# The base image has the user USER names (node:20's "node"), and a RUN before USER may chown to it.
for instruction in "${instructions[@]}"; do
  [[ "${instruction^^}" == USER\ * ]] || continue
  name="${instruction#* }"
  id "$name" >/dev/null 2>&1 && continue
  [ "$(id -u)" = 0 ] || fail "no user $name here, and only root may create one (useradd)"
  useradd --system --user-group --no-create-home --shell /usr/sbin/nologin "$name"
  created_user="$name"
  echo "== created the user $name for this run (removed at the end)"
done

# 2. The stages.
declare -A stage_root=()
stage=-1
root= workdir=/ user= healthcheck= cmd=
declare -A env=()

# An absolute path of the image as a path in the current stage's folder.
at() { case "$1" in /*) echo "$root$1" ;; *) echo "$root$workdir/$1" ;; esac; }

for instruction in "${instructions[@]}"; do
  keyword="${instruction%% *}"
  rest="${instruction#* }"
  rest="$(echo "$rest" | sed -E 's/^ +//')"
  case "${keyword^^}" in
    FROM)
      stage=$((stage + 1))
      root="$work/stage-$stage"
      workdir=/ user= healthcheck= cmd=
      env=()
      mkdir -p "$root"
      read -r image _as name <<<"$rest"
      stage_root[$stage]="$root"
      [ -n "${name:-}" ] && stage_root[$name]="$root"
      image_major=$(echo "$image" | sed -nE 's/^node:([0-9]+).*/\1/p')
      here_major=$(node -p 'process.versions.node.split(".")[0]')
      [ "$image_major" = "$here_major" ] || fail "the image is $image; this machine's Node is $(node --version)"
      say "FROM $rest (stage $stage, in $root; Node $(node --version) stands in for $image)"
      ;;
    WORKDIR)
      workdir="$rest"
      mkdir -p "$(at "$workdir")"
      ;;
    ENV)
      for pair in $rest; do env[${pair%%=*}]="${pair#*=}"; done
      ;;
    COPY)
      from="$work/context" chown=
      read -r -a words <<<"$rest"
      while [[ "${words[0]}" == --* ]]; do
        case "${words[0]}" in
          --from=*) from="${stage_root[${words[0]#--from=}]:?unknown stage ${words[0]}}" ;;
          --chown=*) chown="${words[0]#--chown=}" ;;
          *) fail "COPY ${words[0]} is not replayed here" ;;
        esac
        words=("${words[@]:1}")
      done
      destination="$(at "${words[-1]}")"
      sources=("${words[@]:0:${#words[@]}-1}")
      [ "${#sources[@]}" -gt 1 ] || [[ "${words[-1]}" == */ ]] && mkdir -p "$destination"
      for source in "${sources[@]}"; do
        [ "$from" = "$work/context" ] && path="$from/$source" || path="$from$source"
        [ -e "$path" ] || fail "COPY $source: not in the build context (or left out by .dockerignore)"
        mkdir -p "$(dirname "$destination")"
        if [ -d "$path" ]; then mkdir -p "$destination" && cp -a "$path/." "$destination/"; else cp -a "$path" "$destination"; fi
      done
      [ -n "$chown" ] && chown -R "$chown" "$destination"
      echo "   COPY ${words[*]}"
      ;;
    RUN)
      say "RUN $rest"
      [ -n "$user" ] && fail "RUN after USER is not replayed here"
      env_args=()
      for k in "${!env[@]}"; do env_args+=("$k=${env[$k]}"); done
      (cd "$(at "$workdir")" && env -i PATH="$PATH" HOME="$HOME" "${env_args[@]}" bash -ec "$rest") || fail "RUN failed: $rest"
      ;;
    USER)
      user="$rest"
      ;;
    HEALTHCHECK)
      healthcheck="${rest#*CMD }"
      ;;
    CMD)
      cmd="$rest"
      ;;
    VOLUME | EXPOSE | STOPSIGNAL | LABEL) ;;
    *) fail "$keyword is not replayed here" ;;
  esac
done
[ -n "$cmd" ] || fail "the final stage has no CMD"

# 3. The server, as the container runs it.
mapfile -t argv < <(node -e 'for (const a of JSON.parse(process.argv[1])) console.log(a)' "$cmd")
[ "${argv[0]}" = node ] || fail "CMD starts ${argv[0]}, not node"
port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
keys="$work/keys"
mkdir -p "$keys" "$work/home"
node -e '
  const { generateKeyPairSync } = require("crypto");
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 3072 });
  require("fs").writeFileSync(process.argv[1], privateKey.export({ type: "pkcs8", format: "pem" }));
' "$keys/rsa.pem"
run_env=(PATH="$PATH" HOME="$work/home")
for k in "${!env[@]}"; do
  v="${env[$k]}"
  [[ "$v" == /* ]] && v="$root$v"
  run_env+=("$k=$v")
done
data_dir="$root${env[DATA_DIR]:?the image sets no DATA_DIR}"
run_env+=(
  PORT="$port"
  PUBLIC_URL=https://koobridge.example.com
  DATABASE_URL="sqlite://$data_dir/koobridge.sqlite"
  KIT_ACCESS_KEY="$(node -p 'require("crypto").randomBytes(24).toString("hex")')"
  BASIC_ACCESS_KEY="$(node -p 'require("crypto").randomBytes(24).toString("hex")')"
  API_TOKEN="$(node -p 'require("crypto").randomBytes(24).toString("hex")')"
  DATA_ENCRYPTION_KEY="$(node -p 'require("crypto").randomBytes(32).toString("base64")')"
  RSA_PRIVATE_KEY_FILE="$keys/rsa.pem"
)
as_user=()
if [ -n "$user" ]; then
  chown -R "$user" "$work/home"
  chmod 644 "$keys/rsa.pem"
  # setpriv runs the command in place (no parent process in between), so the signal reaches node itself.
  as_user=(setpriv --reuid="$user" --regid="$user" --init-groups --)
fi
say "CMD ${argv[*]} as ${user:-$(id -un)} in $workdir, PORT=$port, DATA_DIR=${env[DATA_DIR]}"
log="$work/server.log"
(cd "$(at "$workdir")" && exec "${as_user[@]}" env -i "${run_env[@]}" "${argv[@]}") >"$log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  grep -q 'koobridge listening' "$log" && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$log"; fail "the server exited at start"; }
  sleep 0.1
done
grep -q 'koobridge listening' "$log" || { cat "$log"; fail "the server did not start within 10 s"; }
running_as=$(ps -o user= -p "$server_pid")
echo "   $(grep 'koobridge listening' "$log")"
echo "   process $server_pid runs as $running_as: $(ps -o args= -p "$server_pid")"
[ -z "$user" ] || [ "$running_as" = "$user" ] || fail "the server runs as $running_as, not $user"

# 4. The health check, then the stop.
say "HEALTHCHECK $healthcheck"
(cd "$(at "$workdir")" && "${as_user[@]}" env -i "${run_env[@]}" bash -c "$healthcheck") || fail "the health check failed"
echo "   healthy"
say "SIGTERM to $server_pid"
started=$(date +%s%N)
kill -TERM "$server_pid"
code=0
wait "$server_pid" || code=$?
server_pid=
elapsed_ms=$(( ($(date +%s%N) - started) / 1000000 ))
echo "   exited with code $code after $elapsed_ms ms"
[ "$code" = 0 ] || { cat "$log"; fail "the server exited with code $code on SIGTERM"; }
[ "$elapsed_ms" -lt 10000 ] || fail "the server took $elapsed_ms ms to stop"
[ -f "$data_dir/koobridge.sqlite" ] || fail "no SQLite store in the data volume"
say "ok: built, started as ${user:-$(id -un)}, healthy, stopped on SIGTERM with exit 0"
