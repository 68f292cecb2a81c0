"""The engines tests/export.rs checks exported queries with.

    engines.py run SQL_FILE INPUT   run an exported DuckDB script over INPUT (a path or glob);
                                    print one JSON row per match: [file, line, rule, exact]
    engines.py compile              read a JSON list of regexes on stdin, compile each under
                                    DuckDB's RE2, print a JSON list of {regex, error}
    engines.py re2-match            read [[regex, line], ...] on stdin, print a JSON list of
                                    booleans: DuckDB regexp_matches (RE2, a search)
    engines.py lucene-match         the same for exported Lucene regexps, read as whole-value
                                    matches (Python re.fullmatch with DOTALL: Lucene's `.`
                                    takes any character); the subset of Lucene syntax the
                                    exporter writes means the same in Python

Exit 3 when the duckdb module is missing, so the caller can tell that
apart from a failing query.
"""

import json
import re
import sys


def connect():
    try:
        import duckdb
    except ImportError:
        print("python module duckdb is not installed (pip install duckdb)", file=sys.stderr)
        sys.exit(3)
    return duckdb, duckdb.connect()


def run(sql_file, input_glob):
    _, con = connect()
    con.execute("SET VARIABLE faultline_input = ?", [input_glob])
    with open(sql_file, encoding="utf-8") as f:
        script = f.read()
    # The script ends with the query of its result; run the rest, then that.
    setup, select, final = script.rpartition("SELECT * FROM faultline_matches")
    con.execute(setup)
    for row in con.execute(select + final.rstrip().rstrip(";")).fetchall():
        file, line_number, rule_id, _severity, _class, exact, _line = row
        print(json.dumps([file, line_number, rule_id, exact]))


def compile_all():
    duckdb, con = connect()
    errors = []
    for regex in json.load(sys.stdin):
        try:
            con.execute("SELECT regexp_matches('', ?)", [regex]).fetchall()
        except duckdb.Error as e:
            errors.append({"regex": regex, "error": str(e)})
    print(json.dumps(errors))


def re2_match():
    _, con = connect()
    pairs = json.load(sys.stdin)
    con.execute("CREATE TABLE t(i INTEGER, re VARCHAR, line VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?, ?)", [[i, r, l] for i, (r, l) in enumerate(pairs)])
    rows = con.execute("SELECT regexp_matches(line, re) FROM t ORDER BY i").fetchall()
    print(json.dumps([bool(r[0]) for r in rows]))


def lucene_match():
    cache = {}
    out = []
    for regex, line in json.load(sys.stdin):
        if regex not in cache:
            cache[regex] = re.compile(regex, re.DOTALL)
        out.append(cache[regex].fullmatch(line) is not None)
    print(json.dumps(out))


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode == "run" and len(sys.argv) == 4:
        run(sys.argv[2], sys.argv[3])
    elif mode == "compile":
        compile_all()
    elif mode == "re2-match":
        re2_match()
    elif mode == "lucene-match":
        lucene_match()
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
