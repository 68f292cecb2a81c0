#!/usr/bin/env python3
"""Deterministic synthetic log corpus for faultline's benchmarks and recall checks.

What comes out is the log of one ops-agent-worker pod over many hours:
mostly healthy traffic (task processing, Supabase/HTTP requests, Redis
heartbeats, Celery tasks, access lines, agent runs logged as
`[run_id=...] Agent pack loaded / Execution started / Step k/3 completed /
Execution completed successfully`, and a full start-up banner with its
milestones each time the worker restarts), with failure incidents dropped in
at a low, fixed rate (by default one per about 5000 lines).

Every incident is worded the way the failure shows up in real logs (the
runbooks behind the shipped rule pack: ops-agent-worker governance start-up,
Upstash/Redis TLS, SDK version clashes, schema drift, Dramatiq's StubBroker,
container restarts from memory, disk, GPU or dependency trouble, and AgentOS
agent runs that time out, run out of memory or lose their upstream), and
each is one the shipped pack (rules/*.yaml) must recognise. The healthy
lines include near misses (memory below the warning threshold, a retry that
succeeded, HTTP 200/201/202) and must not match any rule.

--manifest writes one JSON object per injected incident line:

    {"line": 123456, "class": "oom-killed", "format": "kubectl"}

`line` is 1-based in the output file; `class` is the failure class the line
shows, or null for an incident's context lines (a traceback header, a memory
warning before the kill, a retry still in progress), which a scanner may or
may not report. Every line outside the manifest is healthy, so a scanner
should report nothing at warning or above there. benches/compare.sh reads
the manifest to measure recall and false positives.

Usage:

    benches/gen_corpus.py --size 1G --format kubectl --seed 7 \\
        --out corpus.log --manifest corpus.manifest.jsonl

--size takes bytes with an optional K/M/G suffix (binary: 1G = 2^30 bytes);
the output ends a few lines past it. Formats:

    plain           the application's own lines (Python logging style)
    kubectl         an RFC 3339 timestamp before each line (`kubectl logs --timestamps`)
    kubectl-prefix  `[pod/NAME/worker] ` before that (`kubectl logs --prefix --timestamps`)
    datadog-jsonl   one JSON event per line, as in a Datadog log archive

The same arguments always give the same bytes (Python 3.8+; only the standard
library is used). Output is produced in blocks of a few thousand lines and
written in binary, so a 1 GB corpus takes well under two minutes.
"""
import argparse
import json
import random
import sys
import time

EPOCH = 1_761_200_000  # 2025-10-23T06:13:20Z, in seconds
MAX_STEP_US = 8191  # lines are 0-8 ms apart (4 ms on average)
RESTART_EVERY = 400_000  # lines between two worker start-ups
BLOCK_LINES = 4000
ACTIVE_RUNS = 6  # agent runs in flight at once, interleaved

SUPABASE = "https://xyzcompany.supabase.co/rest/v1"


# ---------------------------------------------------------------------------
# Healthy lines. Each function gets `y`, a random integer of at least 170
# bits, and takes its fields from disjoint bit ranges of it.

def _uuid(y):
    h = "%032x" % (y & ((1 << 128) - 1))
    return "%s-%s-4%s-a%s-%s" % (h[:8], h[8:12], h[13:16], h[17:20], h[20:])


def _task(y):
    return 10_000 + (y & 0xFFFFFFF) % 99_990_000


def _ip(y):
    return "10.0.%d.%d" % (1 + (y >> 28) % 9, (y >> 32) % 100)


HEALTHY = [
    lambda y: "INFO:__main__:Processing task %d for agent ops_agent" % _task(y),
    lambda y: 'INFO:httpx:HTTP Request: GET %s/agent_tasks?id=eq.%d "HTTP/2 200 OK"' % (SUPABASE, _task(y)),
    lambda y: 'INFO:httpx:HTTP Request: POST %s/reputation_events "HTTP/2 201 Created"' % SUPABASE,
    lambda y: 'INFO:httpx:HTTP Request: PATCH %s/agent_tasks?id=eq.%d "HTTP/2 204 No Content"' % (SUPABASE, _task(y)),
    lambda y: "DEBUG:orchestrator.task_queue.redis_queue:Heartbeat %d ok" % _task(y),
    lambda y: 'INFO:uvicorn.access:%s:5%02d12 - "GET /health HTTP/1.1" 200' % (_ip(y), (y >> 40) % 100),
    lambda y: 'INFO:uvicorn.access:%s:4%d33 - "POST /execute HTTP/1.1" 202' % (_ip(y), (y >> 40) % 10),
    lambda y: "INFO:celery.worker.strategy:Task tasks.process_event[%s] received" % _uuid(y >> 48),
    lambda y: "INFO:celery.app.trace:Task tasks.process_event[%s] succeeded in 0.%03ds: None"
    % (_uuid(y >> 48), (y >> 28) % 1000),
    lambda y: "WARNING:__main__:Slow task %d took %d ms" % (_task(y), 1200 + (y >> 28) % 3000),
    lambda y: "INFO:orchestrator.task_queue.redis_queue:Dequeued job %s from jobs:pending" % _uuid(y >> 48),
    lambda y: "INFO:__main__:Memory usage at %d%% (rss=%dMB)" % (20 + (y >> 28) % 50, 300 + (y >> 36) % 200),
    lambda y: 'DEBUG:urllib3.connectionpool:https://api.anthropic.com:443 "POST /v1/messages HTTP/1.1" 200 %d'
    % (800 + (y >> 28) % 9000),
    lambda y: "INFO:persistence.db_client:Upserted agent_task %s status=RUNNING" % _uuid(y >> 48),
    lambda y: "INFO:__main__:Retry 1/3 succeeded for webhook delivery %d" % _task(y),
    lambda y: "INFO:governance.reputation:Reputation event recorded for agent %s (+1)" % _uuid(y >> 48),
]

# Agent runs (seed wording of a successful AgentOS execution). A run is six
# lines; several runs are in flight at once and their lines interleave.
PACKS = ["research-pack v1.2.3", "ops-pack v0.9.1", "growth-pack v2.0.0", "support-pack v1.4.0"]
STEPS = ["data_collection", "analysis", "output_generation"]


def _run_line(state, run, y):
    if state == 0:
        return "INFO [run_id=%s] Agent pack loaded: %s" % (run, PACKS[(y >> 28) % len(PACKS)])
    if state == 1:
        return 'INFO [run_id=%s] Execution started with input: {"query": "weekly report %d"}' % (run, _task(y))
    if state <= 4:
        return "INFO [run_id=%s] Step %d/3 completed: %s" % (run, state - 1, STEPS[state - 2])
    return "INFO [run_id=%s] Execution completed successfully in %d.%ds" % (run, 3 + (y >> 28) % 80, (y >> 36) % 10)


# One weighted draw per line picks a healthy template, or (None) advances
# one of the agent runs in flight. About one line in six belongs to a run.
PICK = HEALTHY * 5 + [None] * 16
assert len(PICK) == 96

# The worker's start-up banner and its eight success milestones (Worker Deployment Troubleshooting Guide).
STARTUP = [
    "INFO:__main__:============================================================",
    "INFO:__main__:Ops Agent Worker - Orchestrator Integration",
    "INFO:__main__:============================================================",
    "INFO:__main__:Initialized Ops Agent Worker (Redis: redis://red-cq1:6379)",
    "INFO:__main__:\u2705 Governance modules initialized",
    "INFO:orchestrator.task_queue.redis_queue:Connected to Redis at redis://red-cq1:6379",
    "INFO:__main__:\u2705 Connected to Orchestrator Redis queue",
    "INFO:__main__:\u2705 Initialized Ops Agent OODA Loop",
    "INFO:persistence.db_client:Supabase client initialized for agent_tasks persistence",
    'INFO:httpx:HTTP Request: GET %s/agent_reputation?select=%%2A&agent_type=eq.ops_agent "HTTP/2 200 OK"' % SUPABASE,
    "INFO:__main__:\u2705 Registered with Governance (agent_id: {uuid})",
    "INFO:__main__:   Permission Level: sandbox_only, Reputation Score: 100",
    "INFO:orchestrator.task_queue.redis_queue:Subscribed to events: ['task.created', 'deploy.started', 'alert.triggered']",
    "INFO:__main__:\u2705 Subscribed to Orchestrator events",
    "INFO:__main__:\U0001f680 Ops Agent Worker started successfully",
    "INFO:__main__:Starting task processing loop...",
    "INFO:__main__:Starting event listener...",
]

# ---------------------------------------------------------------------------
# Incidents: lists of (line, class). class None marks a context line. Fields:
# {run} the run_id of an agent run in flight (the run ends with the incident),
# {id} a number, {uuid}, {pid}, {clock} a Celery/Dramatiq-style local clock.

DEGRADED = ("INFO:__main__:\u26a0\ufe0f Could not register with Governance (degraded mode)", "degraded-mode")
SRC = "/opt/render/project/src"
SITE = "/usr/local/lib/python3.12/site-packages"

INCIDENTS = [
    # Worker Deployment Troubleshooting Guide: ops-agent-worker governance start-up
    [
        ("INFO:__main__:\u2705 Governance modules initialized", None),
        ("Traceback (most recent call last):", None),
        ('  File "%s/orchestrator/governance/reputation_engine.py", line 41, in _get_client' % SRC, None),
        ("    from orchestrator.persistence.db_client import get_client", None),
        ("ModuleNotFoundError: No module named 'orchestrator.persistence'", "module-not-found"),
        DEGRADED,
    ],
    [
        ('ERROR:governance.reputation:insert failed: new row for relation "agent_reputation" violates check '
         'constraint "agent_reputation_agent_type_check"', "db-constraint-violation"),
        DEGRADED,
    ],
    [
        ("Traceback (most recent call last):", None),
        ('  File "%s/orchestrator/governance/policy_engine.py", line 9, in <module>' % SRC, None),
        ("    import yaml", None),
        ("ModuleNotFoundError: No module named 'yaml'", "missing-dependency"),
    ],
    [
        ("ModuleNotFoundError: No module named 'supabase'", "missing-dependency"),
        DEGRADED,
    ],
    [
        ("[ReputationEngine] Supabase unavailable: Connection timeout", "db-unavailable"),
    ],
    [
        ("[ReputationEngine] Error loading policies: [Errno 2] No such file or directory: "
         "'%s/config/policies.yaml'" % SRC, "config-error"),
    ],
    # Worker Infrastructure runbook: job worker on Kubernetes with Upstash Redis
    [
        ("ERROR:app.agent.planner:credit check failed: column credit_balances.available_credits does not exist",
         "db-schema-mismatch"),
    ],
    [
        ("Traceback (most recent call last):", None),
        ('  File "/app/app/agent/planner.py", line 27, in __init__', None),
        ("    self.client = anthropic.Anthropic(api_key=api_key)", None),
        ("TypeError: Client.__init__() got an unexpected keyword argument 'proxies'", "dependency-incompatibility"),
    ],
    [
        ("redis.exceptions.ConnectionError: Error while reading from caring-owl-41.upstash.io:6379 : "
         "(104, 'Connection reset by peer')", "redis-tls"),
    ],
    [
        ("<frozen runpy>:128: RuntimeWarning: 'app.worker.main' found in sys.modules after import of package "
         "'app.worker', but prior to execution of 'app.worker.main'; this may result in unpredictable behaviour",
         "entrypoint-not-run"),
    ],
    # Worker Container Troubleshooting Guide: a Celery worker container that keeps restarting
    [
        ("[{clock}: ERROR/MainProcess] consumer: Cannot connect to redis://:**@redis:6379/0: Error 111 "
         "connecting to redis:6379. Connection refused..", "connection-failed"),
        ("Trying again in 2.00 seconds... (1/100)", "connection-failed"),
    ],
    [
        ("[{clock}: ERROR/MainProcess] Task handler raised error: WorkerLostError('Worker exited prematurely: "
         "signal 9 (SIGKILL) Job: {small}.')", "oom-killed"),
    ],
    [
        ("torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 7.79 GiB total "
         "capacity; 5.91 GiB already allocated; 1.12 GiB free; 6.02 GiB reserved in total by PyTorch)",
         "gpu-error"),
    ],
    [
        ("requests.exceptions.ConnectionError: HTTPConnectionPool(host='ollama', port=11434): Max retries exceeded "
         "with url: /api/generate (Caused by NewConnectionError('<urllib3.connection.HTTPConnection object at "
         "0x7f{hex}>: Failed to establish a new connection: [Errno 111] Connection refused'))",
         "connection-failed"),
    ],
    [
        ('psycopg2.OperationalError: connection to server at "postgres" (172.18.0.3), port 5432 failed: '
         "Connection refused", "db-unavailable"),
    ],
    [
        ("OSError: [Errno 28] No space left on device: '/tmp/agent-workspace/{id}.json'", "disk-full"),
    ],
    # Dramatiq actor debugging log: Dramatiq worker on the wrong broker, missing packages in tox
    [
        ("!!! BROKER CONFIGURED: StubBroker !!!", "broker-misconfigured"),
    ],
    [
        ("ModuleNotFoundError: No module named 'alembic'", "missing-dependency"),
    ],
    # Agent Troubleshooting Runbook: AgentOS agent runs
    [
        ("WARN [run_id={run}] Memory usage at 85%", None),
        ("WARN [run_id={run}] Memory usage at 92%", None),
        ("ERROR [run_id={run}] Killed by OOM: memory limit exceeded", "oom-killed"),
    ],
    [
        ("WARN [run_id={run}] Execution time: 50s of 60s limit", None),
        ("WARN [run_id={run}] Execution time: 55s of 60s limit", None),
        ("ERROR [run_id={run}] Execution timeout exceeded (60s)", "timeout"),
    ],
    [
        ("ERROR [run_id={run}] Failed to connect to external API", "connection-failed"),
        ("ERROR [run_id={run}] Retry 1/3 after 1s", None),
        ("ERROR [run_id={run}] Retry 2/3 after 2s", None),
        ("ERROR [run_id={run}] Retry 3/3 after 4s", None),
        ("ERROR [run_id={run}] All retries exhausted, marking as failed", "retries-exhausted"),
    ],
    [
        ("ERROR [run_id={run}] HTTP 401 Unauthorized from https://api.external.com/v1/data", "auth-failure"),
    ],
]


def _fill(template, rnd, run):
    if "{" not in template:
        return template
    return template.format(
        run=run,
        id=rnd.randrange(10_000, 99_999_999),
        small=rnd.randrange(1, 64),
        hex="%010x" % rnd.getrandbits(40),
        uuid=_uuid(rnd.getrandbits(128)),
        clock="2025-10-23 %02d:%02d:%02d,%03d" % (
            rnd.randrange(24), rnd.randrange(60), rnd.randrange(60), rnd.randrange(1000)),
    )


# ---------------------------------------------------------------------------
# Output formats. A formatter turns (timestamp, message) into one line
# without its newline.

def _level(msg):
    """Datadog status for a message, as a log pipeline would guess it."""
    head = msg[:8]
    if head.startswith("DEBUG"):
        return "debug"
    if head.startswith("INFO"):
        return "info"
    if head.startswith("WARN"):
        return "warn"
    if head.startswith("ERROR") or "Error" in msg or "rror:" in msg or "Traceback" in msg:
        return "error"
    return "info"


def make_formatter(fmt, pod):
    if fmt == "plain":
        return lambda ts, msg: msg
    if fmt == "kubectl":
        return lambda ts, msg: ts + " " + msg
    if fmt == "kubectl-prefix":
        prefix = "[pod/%s/worker] " % pod
        return lambda ts, msg: prefix + ts + " " + msg
    if fmt == "datadog-jsonl":
        quote = json.encoder.encode_basestring  # C-accelerated, keeps non-ASCII as is
        host = quote("i-0%s" % pod[-13:].replace("-", ""))
        tail = ',"attributes":{"pod_name":%s,"kube_namespace":"agents"}}' % quote(pod)

        def datadog(ts, msg):
            return ('{"date":"' + ts + '","host":' + host + ',"service":"ops-agent-worker","status":"'
                    + _level(msg) + '","message":' + quote(msg) + tail)
        return datadog
    raise ValueError("unknown format %r" % fmt)


def parse_size(text):
    t = text.strip().upper()
    for unit in ("IB", "B"):
        if t.endswith(unit) and len(t) > len(unit) and not t[-len(unit) - 1].isdigit():
            t = t[: -len(unit)]
            break
    mult = 1
    for suffix, m in (("K", 1 << 10), ("M", 1 << 20), ("G", 1 << 30), ("T", 1 << 40)):
        if t.endswith(suffix):
            t, mult = t[:-1], m
            break
    try:
        size = int(float(t) * mult)
    except ValueError:
        raise argparse.ArgumentTypeError("not a size: %r (use e.g. 500M, 1G)" % text)
    if size <= 0:
        raise argparse.ArgumentTypeError("size must be positive: %r" % text)
    return size


class Clock:
    """Timestamps that advance 0-8 ms per line; the text of the whole second
    is rebuilt only when the second changes."""

    def __init__(self):
        self.us = 0
        self.sec = None
        self.head = ""

    def stamp(self, step):
        self.us += step
        sec, frac = divmod(self.us, 1_000_000)
        if sec != self.sec:
            self.sec = sec
            self.head = time.strftime("%Y-%m-%dT%H:%M:%S.", time.gmtime(EPOCH + sec))
        return "%s%06dZ" % (self.head, frac)


def generate(args, out, manifest):
    rnd = random.Random(args.seed)
    fmt = args.format
    pod = "ops-agent-worker-%08x-%05x" % (rnd.getrandbits(32), rnd.getrandbits(20))
    render = make_formatter(fmt, pod)
    clock = Clock()
    stamp = clock.stamp
    rate = args.incident_rate
    target = args.size
    getrandbits = rnd.getrandbits
    random_ = rnd.random
    pick = PICK
    npick = len(PICK)

    def new_run():
        return "%08x" % getrandbits(32)

    runs = [[new_run(), 0] for _ in range(ACTIVE_RUNS)]
    written = 0
    line_no = 0
    next_restart = 0
    incidents = 0

    while written < target:
        buf = []
        add = buf.append
        # Smaller blocks near the end so the output stops close to --size.
        remaining = target - written
        count = BLOCK_LINES if remaining > 2_000_000 else max(1, remaining // 400)
        for _ in range(count):
            if line_no + len(buf) >= next_restart:
                # The worker (re)starts: its banner and start-up milestones.
                next_restart += RESTART_EVERY
                for template in STARTUP:
                    add(render(stamp(getrandbits(13)), _fill(template, rnd, "")))
            u = random_()
            y = getrandbits(192)
            if u < rate:
                incidents += 1
                incident = INCIDENTS[(y >> 24) % len(INCIDENTS)]
                slot = runs[(y >> 20) % ACTIVE_RUNS]
                for template, cls in incident:
                    add(render(stamp(getrandbits(13)), _fill(template, rnd, slot[0])))
                    if manifest is not None:
                        manifest.append('{"line": %d, "class": %s, "format": "%s"}\n'
                                        % (line_no + len(buf), json.dumps(cls), fmt))
                if any("{run}" in template for template, _ in incident):
                    slot[0], slot[1] = new_run(), 0  # that run failed; a new one takes its slot
                continue
            ts = stamp(y & MAX_STEP_US)
            y >>= 13
            make = pick[int(u * npick)]
            if make is not None:
                add(render(ts, make(y)))
            else:
                slot = runs[y % ACTIVE_RUNS]
                add(render(ts, _run_line(slot[1], slot[0], y >> 3)))
                if slot[1] == 5:
                    slot[0], slot[1] = new_run(), 0
                else:
                    slot[1] += 1
        data = ("\n".join(buf) + "\n").encode("utf-8")
        out.write(data)
        written += len(data)
        line_no += len(buf)
        if manifest is not None and manifest:
            args.manifest_file.write("".join(manifest))
            manifest.clear()
    return written, line_no, incidents


def main():
    ap = argparse.ArgumentParser(
        description="Write a deterministic ops-agent-worker log corpus with failure incidents injected at a "
                    "known rate, and optionally a manifest of the injected lines (JSON lines).")
    ap.add_argument("--size", type=parse_size, default=parse_size("100M"),
                    help="output size in bytes, K/M/G suffixes are powers of 2 (default 100M)")
    ap.add_argument("--format", default="kubectl", choices=["plain", "kubectl", "kubectl-prefix", "datadog-jsonl"],
                    help="line format (default kubectl)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--incident-rate", type=float, default=0.0002,
                    help="chance that a line slot holds an incident instead (default 0.0002: 1 in 5000)")
    ap.add_argument("--out", required=True, help="corpus file to write ('-' for stdout)")
    ap.add_argument("--manifest", help="also write the injected lines here (JSON lines)")
    args = ap.parse_args()
    if not 0 <= args.incident_rate < 1:
        ap.error("--incident-rate must be in [0, 1)")

    started = time.monotonic()
    out = sys.stdout.buffer if args.out == "-" else open(args.out, "wb", buffering=1 << 22)
    args.manifest_file = open(args.manifest, "w", encoding="utf-8") if args.manifest else None
    try:
        written, lines, incidents = generate(args, out, [] if args.manifest_file else None)
    finally:
        if out is not sys.stdout.buffer:
            out.close()
        else:
            out.flush()
        if args.manifest_file:
            args.manifest_file.close()
    print("gen_corpus.py: %d bytes, %d lines, %d incidents (%s, seed %d) in %.1fs -> %s"
          % (written, lines, incidents, args.format, args.seed, time.monotonic() - started, args.out),
          file=sys.stderr)


if __name__ == "__main__":
    main()
