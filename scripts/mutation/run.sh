#!/usr/bin/env bash
# Mutation testing, to run before a release (not part of CI: it takes hours
# for the whole library). See CONTRIBUTING.md for the score to beat and the
# accepted equivalent mutants.
#
#   scripts/mutation/run.sh                         # everything: gremlins + the project's operators
#   scripts/mutation/run.sh --files purge.go,meta.go --sample 60 --seed 1
#   scripts/mutation/run.sh --gremlins-only         # or --custom-only
#
# Options:
#   --files a.go,b.go   mutate only these files (relative to the repository root);
#                       default: every non-test file of the root package and internal/dialect
#   --sample N          test only N randomly chosen mutants of the project's operators
#   --seed S            seed for --sample (printed when not given)
#   --gremlins-only     run only gremlins' operators
#   --custom-only       run only the project's operators (scripts/mutation/main.go)
#   --no-postgres       run the tests on SQLite only (faster, weaker: PostgreSQL-only
#                       paths such as FOR UPDATE SKIP LOCKED then look untested)
#   --mariadb           also run them on a throwaway MariaDB (slower: one server per
#                       test binary; without it MySQL-only paths look untested)
#
# It installs what it needs (gcc for SQLite's cgo driver, PostgreSQL server
# binaries, gremlins pinned below), works on a scratch copy of the library
# (your tree is never modified), starts one throwaway PostgreSQL cluster that
# every mutant's test run shares, and runs one mutant at a time (go test -p 1)
# so it can share a machine. It prints each surviving mutant and a score:
# killed (or timed out) / (killed + timed out + lived), equivalent mutants
# listed in scripts/mutation/equivalent.txt excluded.
set -euo pipefail

GREMLINS_VERSION=v0.6.0

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
here=$repo/scripts/mutation

files="" sample=0 seed=0 run_gremlins=1 run_custom=1 postgres=1 mariadb=0
while [ $# -gt 0 ]; do
	case $1 in
	--files) files=$2; shift ;;
	--sample) sample=$2; shift ;;
	--seed) seed=$2; shift ;;
	--gremlins-only) run_custom=0 ;;
	--custom-only) run_gremlins=0 ;;
	--no-postgres) postgres=0 ;;
	--mariadb) mariadb=1 ;;
	-h | --help) sed -n '2,30p' "$0"; exit 0 ;;
	*) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done

section() { printf '\n========== %s ==========\n' "$*"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
APT_UPDATED=
apt_install() {
	if [ -z "$APT_UPDATED" ]; then as_root apt-get update -q; APT_UPDATED=1; fi
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
}

section "Dependencies"
command -v go >/dev/null || { echo "ERROR: Go is required (https://go.dev/dl/)" >&2; exit 1; }
go version
command -v gcc >/dev/null || apt_install gcc libc6-dev
export CGO_ENABLED=1
cache=${XDG_CACHE_HOME:-$HOME/.cache}/softdelete-mutation
mkdir -p "$cache/bin"
gremlins=$cache/bin/gremlins
if [ "$run_gremlins" = 1 ] && ! "$gremlins" --version 2>/dev/null | grep -q .; then
	echo "installing gremlins $GREMLINS_VERSION into $cache/bin"
	GOBIN=$cache/bin go install "github.com/go-gremlins/gremlins/cmd/gremlins@$GREMLINS_VERSION"
fi
pg_bin=
if [ "$postgres" = 1 ] && [ -z "${SOFTDELETE_TEST_POSTGRES_DSN:-}" ]; then
	compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || apt_install postgresql
	pg_bin=$(dirname "$(compgen -G '/usr/lib/postgresql/*/bin/initdb' | sort -V | tail -n1)")
	if [ "$(id -u)" -eq 0 ] && ! id -u postgres >/dev/null 2>&1; then
		useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/bash postgres
	fi
fi

# The scratch copy: the library's packages and their tests, nothing else
# (examples, benchmarks and the conformance/reliability harnesses have their
# own, slower suites and are not what the mutants change).
work=$(mktemp -d "${TMPDIR:-/tmp}/softdelete-mutation.XXXXXX")
chmod 755 "$work"
pg_data=
cleanup() {
	if [ -n "$pg_data" ]; then pg_run "$pg_bin/pg_ctl" -D "$pg_data" -m immediate stop >/dev/null 2>&1 || true; fi
	rm -rf "$work"
}
trap cleanup EXIT
pg_run() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

mkdir -p "$work/mod"
(cd "$repo" && tar -cf - --exclude=internal/bench --exclude=internal/conformance --exclude=internal/reliability \
	--exclude=internal/exampledb go.mod go.sum ./*.go internal) | (cd "$work/mod" && tar -xf -)
rm -f "$work/mod/internal/testdb/"*_test.go # the harness's own tests: nothing to mutate there

if [ -n "$pg_bin" ]; then
	section "PostgreSQL (one throwaway cluster for every mutant)"
	pg_data=$work/pg
	mkdir -p "$pg_data"
	if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$pg_data"; fi
	pg_run "$pg_bin/initdb" -D "$pg_data" -A trust -U postgres --no-sync -E UTF8 --locale=C >/dev/null
	port=$((20000 + RANDOM % 20000))
	pg_run "$pg_bin/pg_ctl" -w -D "$pg_data" -l "$pg_data/log" -o "-p $port -k $pg_data -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start >/dev/null
	export SOFTDELETE_TEST_POSTGRES_DSN="host=127.0.0.1 port=$port user=postgres dbname=postgres sslmode=disable"
	echo "listening on $port"
elif [ "$postgres" = 1 ]; then
	echo "using SOFTDELETE_TEST_POSTGRES_DSN"
else
	echo "SQLite only (--no-postgres)"
	export SOFTDELETE_TEST_POSTGRES_DSN="host=127.0.0.1 port=1 user=none dbname=none sslmode=disable connect_timeout=1"
fi
[ "$postgres" = 1 ] && export SOFTDELETE_REQUIRE_POSTGRES=1
export SOFTDELETE_TEST_MARIADB=$mariadb
# One package (one test binary) at a time; never a cached test result (gremlins
# times the coverage run to set its timeout, and a cached run takes no time).
export GOFLAGS="${GOFLAGS:-} -p=1 -count=1"

# The files to mutate.
if [ -z "$files" ]; then
	files=$(cd "$work/mod" && ls ./*.go internal/dialect/*.go internal/sqlscan/*.go 2>/dev/null | grep -v '_test\.go$' | sed 's#^\./##' | paste -sd, -)
fi
IFS=, read -r -a chosen <<<"$files"
root_files=() dialect_files=()
for f in "${chosen[@]}"; do
	[ -f "$work/mod/$f" ] || { echo "ERROR: no file $f" >&2; exit 2; }
	case $f in internal/dialect/* | internal/sqlscan/*) dialect_files+=("$f") ;; */*) echo "ERROR: $f is not in the library" >&2; exit 2 ;; *) root_files+=("$f") ;; esac
done

section "Unmutated run (must pass)"
start=$SECONDS
if ! (cd "$work/mod" && go test -count=1 ./... >"$work/baseline.log" 2>&1); then
	tail -n 60 "$work/baseline.log"
	echo "ERROR: the tests fail without any mutant: fix them first" >&2
	exit 1
fi
cat "$work/baseline.log"
per_mutant=$(((SECONDS - start) * 8 + 60))s # generous: a loaded machine must not turn slow runs into "timed out" (= killed); gremlins' own timeouts are retested with it
echo "per-mutant timeout $per_mutant"

summaries=$work/summaries
: >"$summaries"

# gremlins_pass runs gremlins on the given files only (every other Go file
# excluded); extra arguments go to gremlins.
gremlins_pass() {
	local name=$1; shift
	local -a keep=() excludes=()
	while [ "$1" != "--" ]; do keep+=("$1"); shift; done
	shift
	local f all
	all=$(cd "$work/mod" && find . -name '*.go' ! -name '*_test.go' | sed 's#^\./##')
	for f in $all; do
		if ! printf '%s\n' "${keep[@]}" | grep -qxF "$f"; then excludes+=(-E "^${f//./\\.}\$"); fi
	done
	section "gremlins $GREMLINS_VERSION: ${keep[*]}"
	(cd "$work/mod" && "$gremlins" unleash --workers 1 --timeout-coefficient 8 -S lt "${excludes[@]}" "$@" \
		-o "$work/gremlins-$name.json" .) || true
	(cd "$here" && go run . -gremlins-report "$work/gremlins-$name.json" -dir "$work/mod" \
		-retest-uncovered -timeout "$per_mutant" -equivalent "$here/equivalent.txt") | tee -a "$summaries"
}

if [ "$run_gremlins" = 1 ]; then
	# Root files: the root package's tests run for each mutant. internal/dialect
	# files: every package's (the root package's tests use the dialects end to end).
	[ ${#root_files[@]} -gt 0 ] && gremlins_pass root "${root_files[@]}" --
	[ ${#dialect_files[@]} -gt 0 ] && gremlins_pass dialect "${dialect_files[@]}" -- --integration
fi

if [ "$run_custom" = 1 ]; then
	section "project operators: error-nil, drop-stmt, drop-call, sql-literal, const, bool"
	(cd "$here" && go run . -dir "$work/mod" -files "$files" -sample "$sample" -seed "$seed" \
		-timeout "$per_mutant" -equivalent "$here/equivalent.txt") | tee -a "$summaries"
fi

section "Score"
awk '/^SUMMARY / { for (i = 2; i <= NF; i++) { split($i, kv, "="); s[kv[1]] += kv[2] } }
	END {
		if (s["viable"] == 0) { print "no mutant tested"; exit }
		printf "%d of %d mutants that can change behaviour killed: %.1f%%\n", s["detected"], s["viable"], 100 * s["detected"] / s["viable"]
	}' "$summaries"
date -u +"measured %Y-%m-%d"
