# Shared by compare.sh and memory.sh (sourced; they define die and say, and
# set ROOT, FL, WORK, GEN_CORPUS, SIZE, FORMAT, SEED first).

# The release binary, built unless NO_BUILD=1.
build_release() {
    if [[ ${NO_BUILD:-} != 1 ]]; then
        say "building the release binary"
        (cd "$ROOT" && cargo build --release --quiet) || die "cargo build --release failed"
    fi
    [[ -x $FL ]] || die "$FL not found (build with cargo build --release)"
}

# The corpus and its manifest in WORK, generated unless one of the same
# size, format and seed is there (REGEN=1 regenerates). Sets CORPUS,
# MANIFEST and BYTES; the names are shared, so either script reuses the
# other's corpus.
ensure_corpus() {
    CORPUS=$WORK/corpus-$FORMAT-$SIZE-s$SEED.log
    MANIFEST=$WORK/corpus-$FORMAT-$SIZE-s$SEED.manifest.jsonl
    if [[ ${REGEN:-} == 1 || ! -s $CORPUS || ! -s $MANIFEST ]]; then
        [[ -f $GEN_CORPUS ]] || die "corpus generator not found at $GEN_CORPUS (set GEN_CORPUS)"
        say "generating $SIZE $FORMAT corpus (seed $SEED) into $CORPUS"
        python3 "$GEN_CORPUS" --size "$SIZE" --format "$FORMAT" --seed "$SEED" --out "$CORPUS.tmp" --manifest "$MANIFEST.tmp" \
            || die "gen_corpus.py failed"
        mv "$CORPUS.tmp" "$CORPUS"
        mv "$MANIFEST.tmp" "$MANIFEST"
    else
        say "reusing $CORPUS (REGEN=1 to regenerate)"
    fi
    BYTES=$(stat -L -c %s "$CORPUS")
}
