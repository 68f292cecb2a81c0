#!/usr/bin/env bash
# Runs a sharded faultline scan on Kubernetes: the Indexed scan Job (map),
# then, once every shard finished or gave up, the merge Job (reduce), whose
# report it prints. Exits with the merge's code: 0, or 2 when a shard is
# missing or an input could not be read.
#
#   deploy/kubernetes/run.sh [--shards N] [--namespace NS] [--timeout 3600] [--dry-run]
#
# --dry-run prints the manifests it would apply and stops. The volumes
# (volumes.yaml) and the image are set up beforehand (see README.md here).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
shards=8
run="$(date -u +%Y%m%dT%H%M%SZ)"
timeout=3600
dry_run=false
kubectl=(kubectl)
while [[ $# -gt 0 ]]; do
    case "$1" in
        --shards) shards="$2"; shift 2 ;;
        --namespace|-n) kubectl+=(--namespace "$2"); shift 2 ;;
        --timeout) timeout="$2"; shift 2 ;;
        --dry-run) dry_run=true; shift ;;
        -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "run.sh: unknown argument: $1" >&2; exit 2 ;;
    esac
done
if ! [[ $shards =~ ^[1-9][0-9]*$ ]]; then
    echo "run.sh: --shards needs a positive number, not '$shards'" >&2
    exit 2
fi

# A manifest with its `# shards` lines set to N and its `# run` line to this run.
manifest() {
    sed -E \
        -e "s/^( *(completions|parallelism|maxFailedIndexes): )[0-9]+( # shards)\$/\1$shards\3/" \
        -e "s/^( *value: )\"[0-9]+\"( # shards)\$/\1\"$shards\"\2/" \
        -e "s/^( *value: )\"[^\"]*\"( # run)\$/\1\"$run\"\2/" \
        "$here/$1"
}

if $dry_run; then
    manifest scan-job.yaml
    echo ---
    manifest merge-job.yaml
    exit 0
fi

# Waits until a Job completes or fails; prints which.
wait_job() {
    local deadline=$((SECONDS + timeout)) state
    while ((SECONDS < deadline)); do
        state="$("${kubectl[@]}" get "job/$1" -o 'jsonpath={.status.conditions[?(@.status=="True")].type}')"
        case "$state" in
            *Complete*) echo Complete; return ;;
            *Failed*) echo Failed; return ;;
        esac
        sleep 5
    done
    echo Timeout
}

"${kubectl[@]}" delete job faultline-scan faultline-merge --ignore-not-found --wait
manifest scan-job.yaml | "${kubectl[@]}" apply -f -
echo "run.sh: scanning $shards shards into partials/$run ..." >&2
state="$(wait_job faultline-scan)"
echo "run.sh: scan Job: $state (the merge names any shard that left no partial)" >&2
manifest merge-job.yaml | "${kubectl[@]}" apply -f -
state="$(wait_job faultline-merge)"
"${kubectl[@]}" logs job/faultline-merge
[[ $state == Complete ]] || exit 2
