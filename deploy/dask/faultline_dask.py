#!/usr/bin/env python3
"""Run one faultline scan over a Dask distributed cluster.

The map step runs `faultline scan --partial` on every worker, one task per
shard of the inputs (`--shard I/N`, whole files picked by a stable hash of
the path) or per byte range of one big file (`--ranges N`). Each task sends
its partial back to this driver through Dask (partials are small: the
bounded summary, not the logs), so no shared scratch space is needed; the
inputs themselves must be readable by every worker at the same path (a
shared volume, or the same object-storage mount everywhere). The reduce
step is `faultline merge` here, which prints the report a single
`faultline scan` of the same inputs prints, byte for byte in JSON, and
exits as scan would (2 when a shard is missing or an input unreadable).

    faultline_dask.py --workers 4 --shards 8 /data/incident/
    faultline_dask.py --scheduler tcp://dask-scheduler:8786 --shards 64 /mnt/logs/
    faultline_dask.py --workers 4 --ranges 8 /data/huge.log

Without --scheduler it starts a LocalCluster of --workers processes (one
thread each) on this machine. Progress and timings go to stderr, one line
per task: `faultline-dask: shard 3/8 on pid 4242 (tcp://...): exit 0, 1.20 s`.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time


def scan_share(faultline, share_args, paths, rule_args, threads):
    """Runs on a worker: scan one share into a partial and return its bytes."""
    with tempfile.TemporaryDirectory(prefix="faultline-partial-") as scratch:
        out = os.path.join(scratch, "partial.json.gz")
        command = [faultline, "scan", "--partial", out, *share_args, *rule_args]
        if threads:
            command += ["--threads", str(threads)]
        started = time.monotonic()
        done = subprocess.run(command + ["--", *paths], capture_output=True, text=True)
        elapsed = time.monotonic() - started
        # Exit 2 with a partial written: some input could not be read; the
        # partial records it and the merge reports it.
        if not os.path.exists(out):
            raise RuntimeError(
                "faultline scan %s failed (exit %d): %s"
                % (" ".join(share_args), done.returncode, done.stderr.strip())
            )
        with open(out, "rb") as f:
            partial = f.read()
    worker = _worker_address()
    return {
        "partial": partial,
        "exit": done.returncode,
        "stderr": done.stderr,
        "pid": os.getpid(),
        "worker": worker,
        "seconds": elapsed,
    }


def _worker_address():
    try:
        from dask.distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return "local"


def shares(args):
    """The share arguments of every task, and their labels."""
    if args.ranges:
        if len(args.paths) != 1 or not os.path.isfile(args.paths[0]):
            sys.exit("faultline-dask: --ranges splits one regular file; name exactly one")
        size = os.path.getsize(args.paths[0])
        step = max(1, -(-size // args.ranges))
        cuts = list(range(0, size, step)) or [0]
        out = []
        for i, start in enumerate(cuts):
            end = "" if i + 1 == len(cuts) else str(cuts[i + 1])
            out.append((["--range", "%d-%s" % (start, end)], "bytes %d-%s" % (start, end)))
        return out
    count = args.shards
    return [(["--shard", "%d/%d" % (i, count)], "shard %d/%d" % (i, count)) for i in range(count)]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="+", metavar="PATH", help="files, directories or globs, as for faultline scan")
    ap.add_argument("--scheduler", help="address of a running Dask scheduler (default: start a LocalCluster)")
    ap.add_argument("--workers", type=int, default=2, help="LocalCluster worker processes (default 2)")
    split = ap.add_mutually_exclusive_group()
    split.add_argument("--shards", type=int, help="split the inputs into this many shards (default: one per worker)")
    split.add_argument("--ranges", type=int, help="split the one file named into this many byte ranges")
    ap.add_argument("--faultline", default=os.environ.get("FAULTLINE_BIN") or shutil.which("faultline") or "faultline",
                    help="the faultline binary, at this path on every worker (default: $FAULTLINE_BIN, then PATH)")
    ap.add_argument("--threads", type=int, help="threads per scan (default: cores / workers)")
    ap.add_argument("--format", "-f", default="text", help="report format, as for faultline merge (default text)")
    ap.add_argument("--output", "-o", help="write the report here instead of stdout")
    ap.add_argument("--partials", help="also keep the partials in this directory")
    ap.add_argument("--rules", action="append", default=[], metavar="PATH", help="extra rule files, as for faultline scan")
    ap.add_argument("--no-default-rules", action="store_true", help="use only the --rules given")
    args = ap.parse_args(argv)
    for name in ("workers", "shards", "ranges"):
        value = getattr(args, name)
        if value is not None and value < 1:
            ap.error("--%s must be at least 1" % name)

    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        sys.exit('faultline-dask: Dask distributed is not installed: pip install "dask[distributed]"')

    rule_args = [a for r in args.rules for a in ("--rules", r)]
    if args.no_default_rules:
        rule_args.append("--no-default-rules")
    cluster = None
    if args.scheduler:
        client = Client(args.scheduler)
        workers = max(1, len(client.scheduler_info()["workers"]))
    else:
        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
        workers = args.workers
    if args.shards is None and args.ranges is None:
        args.shards = workers
    threads = args.threads or max(1, (os.cpu_count() or 1) // workers)
    try:
        started = time.monotonic()
        tasks = shares(args)
        futures = [
            client.submit(scan_share, args.faultline, share, args.paths, rule_args, threads,
                          key="faultline-scan-%d-%s" % (i, os.getpid()), pure=False)
            for i, (share, _) in enumerate(tasks)
        ]
        results = []
        for (_, label), future in zip(tasks, futures):
            # A task that failed leaves no partial: the merge names the
            # shard or bytes it was to cover, and exits 2.
            try:
                results.append(future.result())
            except Exception as error:  # the task's own error, raised here
                sys.stderr.write("faultline-dask: %s failed: %s\n" % (label, error))
                results.append(None)
        mapped = time.monotonic() - started
    finally:
        client.close()
        if cluster is not None:
            cluster.close()

    keep = args.partials or tempfile.mkdtemp(prefix="faultline-partials-")
    os.makedirs(keep, exist_ok=True)
    files = []
    for i, ((_, label), result) in enumerate(zip(tasks, results)):
        if result is None:
            continue
        path = os.path.join(keep, "partial-%04d.json.gz" % i)
        with open(path, "wb") as f:
            f.write(result["partial"])
        files.append(path)
        sys.stderr.write(result["stderr"])
        sys.stderr.write("faultline-dask: %s on pid %d (%s): exit %d, %.2f s, partial %d bytes\n"
                         % (label, result["pid"], result["worker"], result["exit"],
                            result["seconds"], len(result["partial"])))

    if not files:
        sys.stderr.write("faultline-dask: every task failed; nothing to merge\n")
        return 2
    merge_started = time.monotonic()
    command = [args.faultline, "merge", "--format", args.format, *rule_args, "--", *files]
    if args.output:
        with open(args.output, "wb") as out:
            merged = subprocess.run(command, stdout=out)
    else:
        sys.stdout.flush()
        merged = subprocess.run(command)
    sys.stderr.write("faultline-dask: %d tasks on %d workers: map %.2f s, merge %.2f s\n"
                     % (len(tasks), workers, mapped, time.monotonic() - merge_started))
    if not args.partials:
        shutil.rmtree(keep, ignore_errors=True)
    return merged.returncode


if __name__ == "__main__":
    sys.exit(main())
