#!/usr/bin/env bash
# Peak memory (maximum resident set size) of faultline on a generated corpus,
# read from GNU time (`/usr/bin/time -v`), for the ways a large log reaches it:
#
#   (a) a file, memory-mapped:         faultline scan --format json FILE
#   (b) the same bytes through a pipe:  cat FILE | faultline scan --format json -
#   (c) four times that through a pipe: cat FILE FILE FILE FILE | faultline scan --format json -
#   (d) grep-style output:              faultline scan --matches --format jsonl FILE > /dev/null
#
# One command:
#
#     benches/memory.sh                  # 1 GB kubectl corpus (seed 12); (c) reads 4 GB
#     SIZE=200M benches/memory.sh
#
# Environment (all optional):
#   SIZE=1G  FORMAT=kubectl  SEED=12       passed to gen_corpus.py
#   GEN_CORPUS=<repo>/benches/gen_corpus.py the corpus generator
#   WORK=<repo>/target/compare             corpus and outputs go here (shared with compare.sh)
#   THREADS=                               pass -jTHREADS to faultline (default: one per core)
#   NO_BUILD=1                             skip `cargo build --release`
#   REGEN=1                                regenerate the corpus even if it exists
#
# Only faultline's own process is measured (cat runs outside /usr/bin/time).
# Exit status: non-zero only when the script itself fails (build, generator,
# GNU time missing, or faultline crashing: any exit status other than 0 and 1,
# which it uses for "findings at or above --fail-on"); the table is printed
# first either way.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SIZE=${SIZE:-1G}
FORMAT=${FORMAT:-kubectl}
SEED=${SEED:-12}
GEN_CORPUS=${GEN_CORPUS:-$ROOT/benches/gen_corpus.py}
WORK=${WORK:-$ROOT/target/compare}
THREADS=${THREADS:-}
FL=$ROOT/target/release/faultline
GNU_TIME=/usr/bin/time

die() { echo "memory.sh: error: $*" >&2; exit 2; }
say() { echo "==> $*" >&2; }

command -v python3 >/dev/null || die "python3 is required"
[[ -x $GNU_TIME ]] && "$GNU_TIME" -v true >/dev/null 2>&1 \
    || die "GNU time is required at $GNU_TIME (Debian/Ubuntu: apt-get install time)"
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)

# (i) the release binary, (ii) the corpus and its manifest
source "$ROOT/benches/common.sh"
build_release
ensure_corpus

J_ARGS=()
if [[ -n $THREADS ]]; then J_ARGS=(-j "$THREADS"); fi

# (iii) the measurements. measure NAME INPUT_BYTES LABEL FEED OUT ARGS...:
# runs `FEED | /usr/bin/time -v faultline ARGS... > OUT` (FEED "" = no pipe)
# and appends a table row. Sets FAILED on a crash.
ROWS=()
FAILED=""
measure() {
    local name=$1 in_bytes=$2 label=$3 feed=$4 out=$5
    shift 5
    local tfile=$WORK/mem-$name.time err=$WORK/mem-$name.err rc=0
    say "$label"
    set +e
    # Run in the background so that the process's anonymous (heap) memory
    # can be sampled from /proc while it runs: RSS of a mapped file counts
    # the file's pages, which are page cache, not heap.
    if [[ -n $feed ]]; then
        bash -c "$feed" | "$GNU_TIME" -v -o "$tfile" "$FL" "$@" >"$out" 2>"$err" &
    else
        "$GNU_TIME" -v -o "$tfile" "$FL" "$@" >"$out" 2>"$err" &
    fi
    local timer=$! anon=0 child kb
    while kill -0 "$timer" 2>/dev/null; do
        child=$(pgrep -P "$timer" -n 2>/dev/null || true)
        if [[ -n $child ]]; then
            kb=$(awk '/^RssAnon:/ { print $2 }' "/proc/$child/status" 2>/dev/null || true)
            if [[ -n $kb && $kb -gt $anon ]]; then anon=$kb; fi
        fi
        sleep 0.05
    done
    wait "$timer"
    rc=$?
    set -e
    local rss wall status
    rss=$(sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): *//p' "$tfile" 2>/dev/null)
    # "Elapsed (wall clock) time (h:mm:ss or m:ss): 1:02.34" -> seconds
    wall=$(sed -n 's/^[[:space:]]*Elapsed (wall clock) time[^:]*: *//p' "$tfile" 2>/dev/null \
        | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.2f", s }')
    status="ok (exit $rc)"
    if [[ $rc -gt 1 ]]; then
        status="FAILED (exit $rc): $(head -c 200 "$err" | tr '\n|' ' /')"
        FAILED+="$name "
    fi
    ROWS+=("$(awk -v l="$label" -v b="$in_bytes" -v k="${rss:-0}" -v a="$anon" -v w="${wall:-?}" -v s="$status" \
        'BEGIN { gsub(/\|/, "\\|", l); printf "| `%s` | %.0f | %.1f | %.1f | %s | %s |", l, b, k * 1024 / 1e6, a * 1024 / 1e6, w, s }')")
}

Q_CORPUS=$(printf %q "$CORPUS")
cat "$CORPUS" >/dev/null # warm the page cache
measure mmap "$BYTES" "faultline scan --format json FILE" "" "$WORK/mem-mmap.json" \
    scan "${J_ARGS[@]}" --format json "$CORPUS"
measure pipe "$BYTES" "cat FILE | faultline scan --format json -" "cat $Q_CORPUS" "$WORK/mem-pipe.json" \
    scan "${J_ARGS[@]}" --format json -
measure pipe4 "$((4 * BYTES))" "cat FILE FILE FILE FILE | faultline scan --format json -" \
    "cat $Q_CORPUS $Q_CORPUS $Q_CORPUS $Q_CORPUS" "$WORK/mem-pipe4.json" \
    scan "${J_ARGS[@]}" --format json -
measure matches "$BYTES" "faultline scan --matches --format jsonl FILE > /dev/null" "" /dev/null \
    scan "${J_ARGS[@]}" --matches --format jsonl "$CORPUS"

# (iv) the table
echo
echo "## faultline peak memory: $SIZE $FORMAT corpus (seed $SEED), $BYTES bytes"
echo
echo "$(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)," \
     "$(date -u +%Y-%m-%dT%H:%MZ), $("$FL" --version 2>/dev/null || echo faultline)," \
     "commit $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?')$(cd "$ROOT" && [[ -n $(git status --porcelain -- src 2>/dev/null) ]] && echo ' (+ uncommitted src changes)')" \
     "$(if [[ ${NO_BUILD:-} == 1 ]]; then echo "(binary not rebuilt: NO_BUILD=1, built $(date -u -r "$FL" +%Y-%m-%dT%H:%MZ))"; fi)," \
     "threads: ${THREADS:-default (one per core)}"
echo
echo "| command | input bytes | peak RSS (MB) | peak heap (MB) | wall time (s) | status |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
echo
echo "Peak RSS = GNU time's \"Maximum resident set size\" of the faultline process; MB = 10^6 bytes (cat is not counted)."
echo "Peak heap = the largest RssAnon (anonymous memory) sampled from /proc every 50 ms."
echo "For a memory-mapped file it includes the file pages the process touched; those are page cache"
echo "(shared, clean, reclaimable by the kernel), not heap. The piped rows show what faultline itself holds."
echo "Exit 1 from faultline means findings at or above --fail-on (error), not a failure."

if [[ -n $FAILED ]]; then
    die "faultline failed in: $FAILED(see $WORK/mem-*.err)"
fi
