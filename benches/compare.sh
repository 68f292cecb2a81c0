#!/usr/bin/env bash
# faultline vs the current ripgrep on a generated corpus, plus a recall /
# false-positive check against the corpus manifest. One command:
#
#     benches/compare.sh                      # 1 GB kubectl corpus, seed 7
#     SIZE=200M benches/compare.sh
#
# Environment (all optional):
#   SIZE=1G  FORMAT=kubectl  SEED=7        passed to gen_corpus.py
#   GEN_CORPUS=<repo>/benches/gen_corpus.py the corpus generator
#   RG=                                    a ripgrep binary to use as is (no version check);
#                                          by default the rg on PATH or in ~/.cargo/bin is used
#                                          if it is the current crates.io release, and otherwise
#                                          `cargo install ripgrep --locked` installs that release
#   WORK=<repo>/target/compare             corpus, patterns and outputs go here
#   RUNS=3                                 timed runs per command (best kept), after one warm-up run
#   THREADS="1 2"                          thread counts to time
#   RULES=                                 a rule file/dir to use instead of the embedded pack
#                                          (--no-default-rules --rules RULES)
#   NO_BUILD=1                             skip `cargo build --release`
#   REGEN=1                                regenerate the corpus even if it exists
#   PER_RULE_FILE=1                        also time each rule file on its own (1 thread)
#   SCALING="135 386 1000"                 also time packs of that many generated signatures
#                                          (benches/gen_pack.py; needs PyYAML) at each -j: the
#                                          rules -> time curve
#   NO_SEQUENCES=1                         use the repo's rules/*.yaml without rules/sequences/
#                                          (isolates the scan engine from sequence analysis)
#   TIMEOUT=0                              seconds after which one timed command is abandoned
#                                          and reported as a timeout (0: no limit)
#
# Exit status: 0 when every injected failure line was reported with its class
# and nothing else was reported at warning or above; 1 when recall is below
# 100% or there are false positives (the tables say which); 2 when the script
# itself fails (build, generator, a tool crashing); 3 when the recall check
# could not run (TIMEOUT reached). The corpus words its failures unlike the
# rules' examples (tests/bench_corpus.rs checks that), so recall measures
# generalisation.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SIZE=${SIZE:-1G}
FORMAT=${FORMAT:-kubectl}
SEED=${SEED:-7}
GEN_CORPUS=${GEN_CORPUS:-$ROOT/benches/gen_corpus.py}
WORK=${WORK:-$ROOT/target/compare}
RUNS=${RUNS:-3}
THREADS=${THREADS:-1 2}
RULES=${RULES:-}
TIMEOUT=${TIMEOUT:-0}
FL=$ROOT/target/release/faultline

die() { echo "compare.sh: error: $*" >&2; exit 2; }
say() { echo "==> $*" >&2; }

command -v python3 >/dev/null || die "python3 is required"
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)

RULE_ARGS=()
PACK_LABEL="embedded pack"
if [[ ${NO_SEQUENCES:-} == 1 ]]; then
    RULES=$WORK/rules-no-sequences
    rm -rf "$RULES" && mkdir -p "$RULES"
    cp "$ROOT"/rules/*.yaml "$RULES"/
fi
if [[ -n $RULES ]]; then
    PACK_LABEL="rules from $RULES"
    RULE_ARGS=(--no-default-rules --rules "$RULES")
fi

# (i) the release binary, (ii) the corpus and its manifest
source "$ROOT/benches/common.sh"
build_release
BUILD_NOTE=""
if [[ ${NO_BUILD:-} == 1 ]]; then BUILD_NOTE=", binary not rebuilt (NO_BUILD=1; built $(date -u -r "$FL" +%Y-%m-%dT%H:%MZ))"; fi
ensure_corpus

# (iii) ripgrep, the current release. Distribution packages lag behind (Debian
# ships 13.x), and an old rg is not a fair baseline, so the rg used is one
# whose version is at least the newest on crates.io; if none is found, that
# release is installed with cargo into ~/.cargo/bin.
rg_version() { "$1" --version 2>/dev/null | sed -n '1s/^ripgrep \([0-9][0-9.]*\).*/\1/p'; }
version_ge() { [[ $(printf '%s\n%s\n' "$1" "$2" | sort -V | sed -n 1p) == "$2" ]]; }
CARGO_BIN=${CARGO_INSTALL_ROOT:-${CARGO_HOME:-$HOME/.cargo}}/bin
RG_LATEST=""
if [[ -n ${RG:-} ]]; then
    [[ -x $RG ]] || RG=$(command -v "$RG") || die "RG=$RG is not an executable"
    say "using RG=$RG as given ($(rg_version "$RG"))"
else
    command -v cargo >/dev/null || die "cargo is required (to look up and install the current ripgrep), or set RG"
    # `cargo info` reads the registry index; run it outside this workspace.
    RG_LATEST=$(cd "${TMPDIR:-/tmp}" && cargo info ripgrep 2>/dev/null | sed -n 's/^version: *\([0-9][0-9.]*\).*/\1/p' | sed -n 1p) || true
    if [[ -z $RG_LATEST ]]; then
        RG_LATEST=$(cargo search ripgrep --limit 1 2>/dev/null | sed -n 's/^ripgrep = "\([0-9][0-9.]*\)".*/\1/p') || true
    fi
    RG=""
    for candidate in "$(command -v rg || true)" "$CARGO_BIN/rg"; do
        [[ -n $candidate && -x $candidate ]] || continue
        v=$(rg_version "$candidate")
        [[ -n $v ]] || continue
        if [[ -z $RG_LATEST ]] || version_ge "$v" "$RG_LATEST"; then RG=$candidate; break; fi
        say "$candidate is ripgrep $v, older than the current release $RG_LATEST"
    done
    if [[ -z $RG ]]; then
        say "installing ripgrep ${RG_LATEST:-(latest)} with cargo install ripgrep --locked (a few minutes)"
        cargo install ripgrep --locked ${RG_LATEST:+--version "$RG_LATEST"} || die "cargo install ripgrep failed"
        RG=$CARGO_BIN/rg
        [[ -x $RG ]] || die "cargo install ripgrep did not leave $RG"
    elif [[ -z $RG_LATEST ]]; then
        say "could not look up the current ripgrep release on crates.io; using $RG as it is"
    fi
fi
RG_VERSION=$("$RG" --version | sed -n 1p)  # sed reads it all: no broken pipe under pipefail
RG_NOTE="$RG_VERSION at $RG"
if [[ -n $RG_LATEST ]]; then RG_NOTE+=" (crates.io latest: $RG_LATEST)"; fi
say "ripgrep: $RG_NOTE"
Q_RG=$(printf %q "$RG")

# (iv) every rule pattern of the pack, one per line. Named groups become
# plain groups: rg joins -f patterns with `|`, and the same group name in two
# patterns would be a regex error. (Sequence milestones are not listed by
# `rules list`, so rg does not search for them; faultline does.)
PATTERNS=$WORK/patterns.txt
"$FL" rules list "${RULE_ARGS[@]}" --format json >"$WORK/rules.json" 2>"$WORK/rules.err" \
    || die "faultline rules list failed (does the pack load? try: $FL rules lint):
$(head -20 "$WORK/rules.err")"
python3 - "$WORK/rules.json" "$PATTERNS" <<'EOF'
import json, re, sys
rules = json.load(open(sys.argv[1]))
seen, out = set(), []
for rule in rules:
    for p in rule["patterns"]:
        p = re.sub(r"\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>", "(?:", p)
        if p not in seen:
            seen.add(p)
            out.append(p)
open(sys.argv[2], "w").write("".join(p + "\n" for p in out))
print("%d rules, %d distinct patterns" % (len(rules), len(out)), file=sys.stderr)
EOF
rc=0
"$RG" --no-config -c -f "$PATTERNS" /dev/null >/dev/null 2>"$WORK/rg.err" || rc=$?
[[ $rc -le 1 ]] || die "rg rejects the pattern file: $(head -5 "$WORK/rg.err")"

# (v) timings: one warm-up run, then the best of $RUNS.
# time_cmd NAME COMMAND: runs COMMAND (a shell string, stdout to $WORK/out.NAME)
# and prints the best wall time in seconds. Exit codes 0 and 1 are normal
# (rg: no match; faultline: findings); anything else aborts. With TIMEOUT set,
# a run past it prints ">TIMEOUT" instead.
time_cmd() {
    local name=$1 cmd=$2 best="" i t0 t1 rc
    if [[ $TIMEOUT != 0 ]]; then cmd="timeout $TIMEOUT $cmd"; fi
    for ((i = 0; i <= RUNS; i++)); do
        t0=$(date +%s.%N)
        set +e
        bash -c "set -o pipefail; $cmd" >"$WORK/out.$name" 2>"$WORK/err.$name"
        rc=$?
        set -e
        t1=$(date +%s.%N)
        if [[ $TIMEOUT != 0 && $rc == 124 ]]; then echo ">$TIMEOUT"; return 0; fi
        [[ $rc -le 1 ]] || die "'$cmd' exited $rc: $(head -5 "$WORK/err.$name")"
        if ((i > 0)); then
            best=$(awk -v a="$best" -v b="$t0" -v c="$t1" 'BEGIN { t = c - b; if (a == "" || t < a) printf "%.3f", t; else print a }')
        fi
    done
    echo "$best"
}

Q_CORPUS=$(printf %q "$CORPUS")
Q_FL=$(printf %q "$FL")
Q_RULES=""
for a in "${RULE_ARGS[@]}"; do Q_RULES+=" $(printf %q "$a")"; done

say "timing on $CORPUS ($BYTES bytes), warm cache, best of $RUNS"
cat "$CORPUS" >/dev/null # warm the page cache
declare -A SECS COUNT
for j in $THREADS; do
    SECS[rg,$j]=$(time_cmd "rg-j$j" "$Q_RG --no-config -j$j -c -f $(printf %q "$PATTERNS") $Q_CORPUS")
    COUNT[rg,$j]=$(tr -d ' \n' <"$WORK/out.rg-j$j")
    SECS[matches,$j]=$(time_cmd "matches-j$j" "$Q_FL scan$Q_RULES -j$j --matches --format jsonl $Q_CORPUS | wc -l")
    COUNT[matches,$j]=$(tr -d ' \n' <"$WORK/out.matches-j$j")
    SECS[report,$j]=$(time_cmd "report-j$j" "$Q_FL scan$Q_RULES -j$j --format json $Q_CORPUS")
    COUNT[report,$j]=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); f=r.get("findings", []); print("%d findings" % len(f))' "$WORK/out.report-j$j" 2>/dev/null || echo "?")
    say "threads $j: rg ${SECS[rg,$j]}s, --matches ${SECS[matches,$j]}s, report ${SECS[report,$j]}s"
done

# (vi) the table
TABLE=$WORK/table.md
{
    echo "| tool | mode | threads | seconds | MB/s | time vs rg | throughput vs rg | output |"
    echo "|---|---|---|---|---|---|---|---|"
    for j in $THREADS; do
        for m in rg matches report; do
            case $m in
                rg) tool="rg $(rg_version "$RG")"; mode="-c -f patterns.txt (matching lines)"; out="${COUNT[rg,$j]} lines" ;;
                matches) tool=faultline; mode="scan --matches --format jsonl \\| wc -l"; out="${COUNT[matches,$j]} matched lines" ;;
                report) tool=faultline; mode="scan --format json (report)"; out="${COUNT[report,$j]}" ;;
            esac
            awk -v t="$tool" -v m="$mode" -v j="$j" -v s="${SECS[$m,$j]}" -v r="${SECS[rg,$j]}" -v b="$BYTES" -v o="$out" \
                'BEGIN { if (s ~ /^>/) { printf "| %s | %s | %s | timeout (%ss) | - | - | - | - |\n", t, m, j, substr(s, 2); exit }
                         if (r ~ /^>/ || r + 0 == 0 || s + 0 == 0) { printf "| %s | %s | %s | %.3f | %s | - | - | %s |\n", t, m, j, s, (s + 0 ? sprintf("%.0f", b / s / 1e6) : "-"), o; exit }
                         printf "| %s | %s | %s | %.3f | %.0f | %.2f× | %.2f× | %s |\n", t, m, j, s, b / s / 1e6, s / r, r / s, o }'
        done
    done
} >"$TABLE"
echo
echo "## faultline vs ripgrep: $SIZE $FORMAT corpus (seed $SEED), $BYTES bytes"
echo
echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%Y-%m-%dT%H:%MZ)," \
     "commit $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?')$(cd "$ROOT" && [[ -n $(git status --porcelain -- src rules 2>/dev/null) ]] && echo ' (+ uncommitted src/rules changes)'), $RG_NOTE," \
     "$(wc -l <"$PATTERNS") patterns, $PACK_LABEL$BUILD_NOTE"
echo
cat "$TABLE"
echo
for j in $THREADS; do
    awk -v j="$j" -v r="${SECS[rg,$j]}" -v m="${SECS[matches,$j]}" -v p="${SECS[report,$j]}" \
        'function ratio(s) { return (s ~ /^>/ || r ~ /^>/ || r + 0 == 0 || s + 0 == 0) ? "n/a (timeout)" : sprintf("%.2f× rg'"'"'s time, %.2f× its throughput", s / r, r / s) }
         BEGIN { printf "- -j%s: faultline report %s; --matches %s\n", j, ratio(p), ratio(m) }'
done
echo
echo "MB/s = 10^6 bytes per second of wall time. time vs rg = seconds / rg seconds at the same -j (>1: slower"
echo "than rg); throughput vs rg = MB/s / rg MB/s (its inverse; >1: faster than rg)."
echo "rg -jN parallelises across files only: on one file rg is single-threaded whatever -j says."
echo "rg counts matching lines; --matches prints one line per matched message line; rg does not apply"
echo "faultline's all/not/level filters or sequence milestones, so the counts differ."

# (vii) recall and false positives against the manifest
say "checking recall and false positives"
MATCHES=$WORK/matches.jsonl
TIMEOUT_CMD=()
if [[ $TIMEOUT != 0 ]]; then TIMEOUT_CMD=(timeout "$TIMEOUT"); fi
set +e
"${TIMEOUT_CMD[@]}" "$FL" scan "${RULE_ARGS[@]}" --matches --format jsonl "$CORPUS" >"$MATCHES" 2>"$WORK/err.check"
rc=$?
set -e
if [[ $rc == 124 && $TIMEOUT != 0 ]]; then
    echo; echo "recall check not run: faultline scan --matches took over ${TIMEOUT}s"
    exit 3
fi
[[ $rc -le 1 ]] || die "faultline scan --matches exited $rc: $(head -5 "$WORK/err.check")"
set +e
python3 - "$CORPUS" "$MANIFEST" "$MATCHES" "$WORK/rules.json" <<'EOF'
import collections, json, sys

corpus, manifest_path, matches_path, rules_path = sys.argv[1:5]
RANK = {"info": 0, "warning": 1, "error": 2, "critical": 3}
LIMIT = 20

manifest = {}
for raw in open(manifest_path, encoding="utf-8"):
    entry = json.loads(raw)
    manifest[entry["line"]] = entry["class"]

by_line = collections.defaultdict(list)
total = 0
for raw in open(matches_path, encoding="utf-8"):
    m = json.loads(raw)
    # One object per matched line, with every rule that matched it.
    for r in m["rules"]:
        by_line[m["line"]].append(dict(r, text=m["text"]))
        total += 1

expected = {line: cls for line, cls in manifest.items() if cls is not None}
context = {line for line, cls in manifest.items() if cls is None}

misses, wrong = [], []
per_class = collections.defaultdict(lambda: [0, 0])
extra_on_incident = collections.Counter()
for line, cls in sorted(expected.items()):
    per_class[cls][0] += 1
    found = by_line.get(line, [])
    if any(m["class"] == cls for m in found):
        per_class[cls][1] += 1
    else:
        (wrong if found else misses).append((line, cls, found))
    for m in found:
        if m["class"] != cls:
            extra_on_incident[(cls, m["rule"], m["class"])] += 1

fps = []
fp_rules = collections.Counter()
fp_example = {}
on_context = collections.Counter()
on_context_example = {}
for line, ms in sorted(by_line.items()):
    for m in ms:
        if RANK.get(m["severity"], 0) < RANK["warning"]:
            continue
        if line in context:
            on_context[m["rule"]] += 1
            on_context_example.setdefault(m["rule"], (line, m["text"]))
        elif line not in manifest:
            fps.append((line, m))
            fp_rules[(m["rule"], m["severity"])] += 1
            fp_example.setdefault(m["rule"], (line, m["text"]))

# Texts of missed lines, read from the corpus in one pass.
wanted = {line for line, _, _ in misses[:LIMIT] + wrong[:LIMIT]}
texts = {}
if wanted:
    last = max(wanted)
    with open(corpus, encoding="utf-8", errors="replace") as f:
        for number, text in enumerate(f, 1):
            if number in wanted:
                texts[number] = text.rstrip("\n")
            if number >= last:
                break

found_total = sum(v[1] for v in per_class.values())
n = len(expected)
print()
print("## Recall and false positives (manifest: %d failure lines, %d context lines; faultline: %d matches on %d lines)"
      % (n, len(context), total, len(by_line)))
print()
print("recall: %d/%d failure lines reported with their class (%.2f%%); %d not reported at all, %d reported only with another class"
      % (found_total, n, 100.0 * found_total / n if n else 100.0, len(misses), len(wrong)))
print("false positives (severity >= warning on lines not in the manifest): %d matches on %d lines"
      % (len(fps), len({line for line, _ in fps})))
print()
print("| class | expected | found | recall |")
print("|---|---|---|---|")
for cls, (e, f) in sorted(per_class.items()):
    print("| %s | %d | %d | %.1f%% |" % (cls, e, f, 100.0 * f / e))
if misses or wrong:
    print()
    print("### Missed failure lines (first %d of each kind)" % LIMIT)
    print()
    for line, cls, _ in misses[:LIMIT]:
        print("- MISSED line %d, expected %s: %s" % (line, cls, texts.get(line, "?")))
    for line, cls, found in wrong[:LIMIT]:
        got = ", ".join("%s (%s)" % (m["rule"], m["class"]) for m in found)
        print("- WRONG CLASS line %d, expected %s, got %s: %s" % (line, cls, got, texts.get(line, "?")))
if fps:
    print()
    print("### False positives by rule")
    print()
    print("| rule | severity | matches | example (line: text) |")
    print("|---|---|---|---|")
    for (rule, sev), count in fp_rules.most_common():
        line, text = fp_example[rule]
        print("| %s | %s | %d | %d: `%s` |" % (rule, sev, count, line, text.replace("|", "\\|")[:160]))
    print()
    print("First %d false-positive matches:" % LIMIT)
    print()
    for line, m in fps[:LIMIT]:
        print("- line %d [%s, %s]: %s" % (line, m["rule"], m["severity"], m["text"][:200]))
if extra_on_incident:
    print()
    print("### Other classes also reported on failure lines (not counted as false positives)")
    print()
    for (cls, rule, got), count in extra_on_incident.most_common():
        print("- expected %s, also %s (%s): %d lines" % (cls, rule, got, count))
if on_context:
    print()
    print("### Matches (severity >= warning) on the manifest's context lines (class null; not counted)")
    print()
    for rule, count in on_context.most_common():
        line, text = on_context_example[rule]
        print("- %s: %d (e.g. line %d: %s)" % (rule, count, line, text[:160]))
failed = []
if n == 0:
    failed.append("the corpus has no failure lines to find")
if misses or wrong:
    failed.append("recall %.2f%% (%d of %d failure lines not reported with their class)"
                  % (100.0 * found_total / n if n else 0.0, len(misses) + len(wrong), n))
if fps:
    failed.append("%d false positives" % len(fps))
print()
print("verdict: " + ("FAIL: " + "; ".join(failed) if failed else "PASS: recall 100%, no false positives"))
sys.exit(1 if failed else 0)
EOF
CHECK_RC=$?
set -e
[[ $CHECK_RC -le 1 ]] || die "the recall check failed to run (exit $CHECK_RC)"

# Optional: each rule file on its own, 1 thread (finds expensive files).
if [[ ${PER_RULE_FILE:-} == 1 ]]; then
    say "timing rule files one by one (1 thread; causes stripped so each file loads alone)"
    python3 -c 'import yaml' 2>/dev/null || die "PER_RULE_FILE=1 needs PyYAML (pip install pyyaml)"
    RULE_DIR=${RULES:-$ROOT/rules}
    echo
    echo "### Rule files on their own (1 thread, --format json report)"
    echo
    echo "| rule file | rules/milestones | seconds | MB/s |"
    echo "|---|---|---|---|"
    SECS_NONE=""
    while IFS= read -r file; do
        single=$WORK/single-rules
        rm -rf "$single" && mkdir -p "$single"
        count=$(python3 - "$file" "$single/$(basename "$file")" <<'EOF'
import sys, yaml
data = yaml.safe_load(open(sys.argv[1], encoding="utf-8")) or {}
n = 0
for rule in data.get("rules") or []:
    rule.pop("causes", None)
    n += 1
for seq in data.get("sequences") or []:
    n += len(seq.get("milestones") or [])
yaml.safe_dump(data, open(sys.argv[2], "w", encoding="utf-8"), allow_unicode=True, sort_keys=False)
print(n)
EOF
)
        s=$(time_cmd single "$Q_FL scan --no-default-rules --rules $(printf %q "$single") -j1 --format json $Q_CORPUS" 2>/dev/null) \
            || { echo "| ${file#"$ROOT"/} | $count | (does not load alone) | |"; continue; }
        awk -v f="${file#"$ROOT"/}" -v c="$count" -v s="$s" -v b="$BYTES" 'BEGIN { printf "| %s | %s | %.3f | %.0f |\n", f, c, s, b / s / 1e6 }'
    done < <(find "$RULE_DIR" -name '*.yaml' -o -name '*.yml' | sort)
fi

# Optional: the rules -> time curve, on packs written by gen_pack.py (each
# signature varied from a shipped one and bound to its own service literal).
if [[ -n ${SCALING:-} ]]; then
    say "timing generated packs of $SCALING signatures"
    python3 -c 'import yaml' 2>/dev/null || die "SCALING needs PyYAML (pip install pyyaml)"
    echo
    echo "### Scaling in rules (generated packs, --format json report, no sequences)"
    echo
    echo "| signatures | threads | seconds | MB/s | time vs the smallest pack |"
    echo "|---|---|---|---|---|"
    for j in $THREADS; do
        first=""
        for n in $SCALING; do
            pack=$WORK/pack-$n.yaml
            [[ -s $pack ]] || python3 "$ROOT/benches/gen_pack.py" --count "$n" --out "$pack" 2>/dev/null \
                || die "gen_pack.py --count $n failed"
            s=$(time_cmd "pack-$n-j$j" "$Q_FL scan --no-default-rules --rules $(printf %q "$pack") -j$j --format json $Q_CORPUS")
            first=${first:-$s}
            awk -v n="$n" -v j="$j" -v s="$s" -v f="$first" -v b="$BYTES" \
                'BEGIN { printf "| %s | %s | %.3f | %.0f | %.2f× |\n", n, j, s, b / s / 1e6, s / f }'
        done
    done
fi

exit "$CHECK_RC"
