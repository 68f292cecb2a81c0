#!/usr/bin/env bash
# Time against shard count for a distributed faultline scan, against one
# plain scan of the same corpus:
#
#     benches/distributed.sh                   # 200M as 16 files, shards 1 2 4 8
#     SIZE=1G SHARDS="1 2 4 8 16" benches/distributed.sh
#
# Three ways, each checked to give the single scan's JSON byte for byte:
#   processes  N `faultline scan --partial --shard I/N` run at once, then `faultline merge`
#   ranges     the same over N byte ranges of the corpus as ONE file (--range)
#   dask       deploy/dask/faultline_dask.py on a LocalCluster of WORKERS processes
# and the partials' sizes.
#
# Environment (all optional):
#   SIZE=200M FILES=16 FORMAT=kubectl SEED=7   the corpus (gen_corpus.py; SIZE split over FILES)
#   SHARDS="1 2 4 8"                           shard counts to time
#   WORKERS=2                                  Dask worker processes
#   NO_DASK=1                                  skip the Dask runs
#   WORK=<repo>/target/distributed             corpus, partials and reports go here
#   NO_BUILD=1                                 skip `cargo build --release`
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SIZE=${SIZE:-200M}
FILES=${FILES:-16}
FORMAT=${FORMAT:-kubectl}
SEED=${SEED:-7}
SHARDS=${SHARDS:-1 2 4 8}
WORKERS=${WORKERS:-2}
WORK=${WORK:-$ROOT/target/distributed}
FL=${CARGO_TARGET_DIR:-$ROOT/target}/release/faultline
GEN_CORPUS=$ROOT/benches/gen_corpus.py

die() { echo "distributed.sh: $*" >&2; exit 2; }
say() { echo "distributed.sh: $*" >&2; }
# shellcheck source=benches/common.sh
source "$ROOT/benches/common.sh"

build_release
mkdir -p "$WORK"
# One file of SIZE (for --range), and the same bytes as FILES files (for --shard).
ensure_corpus
DIR=$WORK/files-$FORMAT-$SIZE-s$SEED-$FILES
if [[ ! -d $DIR ]]; then
    say "splitting $CORPUS into $FILES files in $DIR"
    mkdir -p "$DIR.tmp"
    split -n "l/$FILES" -d -a 3 --additional-suffix=.log "$CORPUS" "$DIR.tmp/pod-"
    mv "$DIR.tmp" "$DIR"
fi

now() { date +%s.%N; }
seconds() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
size_of() { du -cb "$@" | tail -1 | cut -f1; }

# scan_once NAME ARGS...: times one plain scan to $WORK/NAME.json.
scan_once() {
    local name=$1 t0 t1
    shift
    t0=$(now)
    "$FL" scan --format json "$@" > "$WORK/$name.json" || [[ $? == 1 ]]
    t1=$(now)
    seconds "$t0" "$t1"
}

# split_scan KIND N TARGET: N partial scans at once (each with cores/N
# threads), then the merge. Prints "map merge bytes".
split_scan() {
    local kind=$1 n=$2 target=$3 threads out t0 t1 t2 pids=() size step i share
    threads=$(( $(nproc) / n )); (( threads >= 1 )) || threads=1
    out=$WORK/partials-$kind-$n
    rm -rf "$out"; mkdir -p "$out"
    size=$(stat -L -c %s "$target")
    step=$(( (size + n - 1) / n ))
    t0=$(now)
    for ((i = 0; i < n; i++)); do
        if [[ $kind == shard ]]; then
            share=(--shard "$i/$n")
        elif ((i + 1 == n)); then
            share=(--range "$((i * step))-")
        else
            share=(--range "$((i * step))-$(((i + 1) * step))")
        fi
        "$FL" scan --partial "$out/$i.json.gz" "${share[@]}" --threads "$threads" "$target" &
        pids+=($!)
    done
    for pid in "${pids[@]}"; do wait "$pid" || die "a partial scan failed"; done
    t1=$(now)
    "$FL" merge --format json "$out"/*.json.gz > "$out/report.json" || [[ $? == 1 ]]
    t2=$(now)
    echo "$(seconds "$t0" "$t1") $(seconds "$t1" "$t2") $(size_of "$out"/*.json.gz)"
}

say "corpus: $(size_of "$DIR") bytes in $FILES files ($DIR); $(nproc) cores"
single_dir=$(scan_once single-dir "$DIR")
single_file=$(scan_once single-file "$CORPUS")
printf '\n| what | shards | map s | merge s | total s | partials (gzip) | identical |\n|---|---:|---:|---:|---:|---:|---|\n'
printf '| one `scan` of the %s files | - | - | - | %s | - | - |\n' "$FILES" "$single_dir"
printf '| one `scan` of the single file | - | - | - | %s | - | - |\n' "$single_file"
for n in $SHARDS; do
    for kind in shard range; do
        if [[ $kind == shard ]]; then target=$DIR; single=single-dir; else target=$CORPUS; single=single-file; fi
        read -r map merge bytes < <(split_scan "$kind" "$n" "$target")
        same=no; cmp -s "$WORK/$single.json" "$WORK/partials-$kind-$n/report.json" && same=yes
        printf '| processes, `--%s` | %s | %s | %s | %s | %s B | %s |\n' "$kind" "$n" "$map" "$merge" \
            "$(awk -v a="$map" -v b="$merge" 'BEGIN { printf "%.2f", a + b }')" "$bytes" "$same"
    done
    if [[ ${NO_DASK:-} != 1 ]]; then
        t0=$(now)
        python3 "$ROOT/deploy/dask/faultline_dask.py" --faultline "$FL" --workers "$WORKERS" \
            --shards "$n" --format json "$DIR" > "$WORK/dask-$n.json" 2> "$WORK/dask-$n.log" || [[ $? == 1 ]]
        t1=$(now)
        same=no; cmp -s "$WORK/single-dir.json" "$WORK/dask-$n.json" && same=yes
        map=$(sed -n 's/.*map \([0-9.]*\) s, merge \([0-9.]*\) s.*/\1/p' "$WORK/dask-$n.log")
        merge=$(sed -n 's/.*map \([0-9.]*\) s, merge \([0-9.]*\) s.*/\2/p' "$WORK/dask-$n.log")
        printf '| Dask, %s workers (total with cluster start) | %s | %s | %s | %s | - | %s |\n' \
            "$WORKERS" "$n" "$map" "$merge" "$(seconds "$t0" "$t1")" "$same"
    fi
done
