#!/usr/bin/env python3
"""Write a large rule pack for scaling benchmarks: COUNT signatures varied
from the shipped ones, each bound to one of many services by a literal
service prefix (`payments-api-17 ...`), so that every signature brings its
own literals, as a pack for many services would.

    python3 benches/gen_pack.py --count 1000 --out target/pack-1000.yaml
    faultline scan --no-default-rules --rules target/pack-1000.yaml LOG

Needs PyYAML (`pip install pyyaml`) to read the shipped rules.
"""
import argparse
import pathlib
import sys

try:
    import yaml
except ImportError:  # pragma: no cover - a clear message instead of a traceback
    sys.exit("gen_pack.py needs PyYAML: pip install pyyaml")

SERVICES = [
    "payments-api", "checkout", "billing-worker", "search-indexer", "auth-gateway",
    "notifications", "media-transcoder", "inventory-sync", "ledger", "reports-cron",
]
KEEP = ("title", "class", "severity", "description", "not", "all", "levels",
        "explain", "remediation", "references", "outcome")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, required=True, help="signatures to write")
    parser.add_argument("--rules", default=pathlib.Path(__file__).resolve().parent.parent / "rules",
                        type=pathlib.Path, help="directory of shipped rule files (default: the repo's)")
    parser.add_argument("--out", required=True, type=pathlib.Path, help="pack file to write")
    args = parser.parse_args()

    shipped = []
    for path in sorted(args.rules.glob("*.yaml")):
        shipped.extend(yaml.safe_load(path.read_text()).get("rules", []))
    if not shipped:
        sys.exit(f"no rules found in {args.rules}")

    rules = []
    for i in range(args.count):
        base = shipped[i % len(shipped)]
        service = f"{SERVICES[i % len(SERVICES)]}-{i // len(SERVICES)}"
        rule = {key: base[key] for key in KEEP if key in base}
        rule["id"] = f"{base['id']}.{service}"
        rule["patterns"] = [f"{service} (?:{p})" for p in base["patterns"]]
        rules.append(rule)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(yaml.safe_dump({"rules": rules}, sort_keys=False, width=1000))
    print(f"gen_pack.py: {len(rules)} signatures -> {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
