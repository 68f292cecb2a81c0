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
each is one the shipped pack (rules/*.yaml) must recognise. Each incident
has several wordings (other modules, loggers, hosts, limits, library
versions), none of them a rule's own example: recall on this corpus measures
whether the rules generalise, not whether they match their examples. The healthy
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
# Incidents. Each incident is a list of variants, one drawn at random each
# time; a variant is a list of (line, class), class None marking a context
# line. The variants word the failure the way different libraries, loggers,
# hosts and versions print it, and none is, word for word, an example of the
# rule that detects it (tests/bench_corpus.rs checks both: every variant is
# detected with its class, and none matches a rule example once numbers and
# ids are masked). Fields: {run} the run_id of an agent run in flight (the run
# ends with the incident), {id} a number, {small}, {pid}, {uuid}, {hex},
# {ip}, {upstash} an Upstash host, {clock} a Celery/Dramatiq-style local clock.

SRC = "/opt/render/project/src"
SITE = "/usr/local/lib/python3.12/site-packages"

DEGRADED = [
    ("INFO:agents.ops_agent.worker:\u26a0\ufe0f Could not register with Governance (degraded mode): "
     "reputation engine returned None", "degraded-mode"),
    ("WARNING:__main__:Governance registration skipped; continuing in degraded mode", "degraded-mode"),
    ("WARNING:orchestrator.governance:Running in degraded mode: policy engine not loaded", "degraded-mode"),
]


def _variants(*variants):
    return [list(v) for v in variants]


def _with_degraded(lines):
    """One variant per degraded-mode wording, after `lines`."""
    return [list(lines) + [d] for d in DEGRADED]


def _traceback(frames, last, cls):
    lines = [("Traceback (most recent call last):", None)]
    for path, number, func, code in frames:
        lines.append(('  File "%s", line %d, in %s' % (path, number, func), None))
        lines.append(("    " + code, None))
    lines.append((last, cls))
    return lines


INCIDENTS = [
    # Worker Deployment Troubleshooting Guide: ops-agent-worker governance start-up, first-party import path
    _with_degraded(_traceback(
        [("%s/orchestrator/governance/reputation_engine.py" % SRC, 47, "_get_supabase_client",
          "from orchestrator.persistence.db_client import get_client")],
        "ModuleNotFoundError: No module named 'orchestrator.persistence.db_client'", "module-not-found"))
    + _variants(
        _traceback([("%s/agents/ops_agent/worker.py" % SRC, 12, "<module>", "from governance.policy_engine import PolicyEngine")],
                   "ModuleNotFoundError: No module named 'governance'", "module-not-found"),
        _traceback([("/app/agents/ops_agent/tools/__init__.py", 3, "<module>", "from agents.shared.http import client")],
                   "ModuleNotFoundError: No module named 'agents.shared'", "module-not-found"),
    ),
    # Worker Deployment Troubleshooting Guide, Issue 3: the agent_type check constraint
    _variants(
        [("postgrest.exceptions.APIError: {{'code': '23514', 'details': 'Failing row contains ({uuid}, ops, 100, "
          "sandbox_only).', 'hint': None, 'message': 'new row for relation \"agent_reputation\" violates check "
          "constraint \"agent_reputation_agent_type_check\"'}}", "db-constraint-violation"),
         DEGRADED[0]],
        [('ERROR:persistence.db_client:upsert agent_tasks failed: new row for relation "agent_tasks" violates '
          'check constraint "agent_tasks_priority_check"', "db-constraint-violation")],
        [("sqlalchemy.exc.IntegrityError: (psycopg2.errors.CheckViolation) new row for relation "
          '"reputation_events" violates check constraint "reputation_events_delta_check"', "db-constraint-violation")],
    ),
    # missing third-party packages, with the import that failed
    _variants(*[
        _traceback([(path, number, "<module>", "import %s" % module.split(".")[0])],
                   "ModuleNotFoundError: No module named '%s'" % module, "missing-dependency")
        for path, number, module in [
            ("%s/orchestrator/governance/policy_engine.py" % SRC, 9, "jwt"),
            ("%s/orchestrator/config.py" % SRC, 4, "dotenv"),
            ("/app/app/clients/retry.py", 2, "tenacity"),
            ("/app/app/logging_setup.py", 6, "structlog"),
        ]
    ]),
    _variants(
        [("ModuleNotFoundError: No module named 'postgrest'", "missing-dependency"), DEGRADED[1]],
        [("ModuleNotFoundError: No module named 'gotrue.errors'", "missing-dependency"), DEGRADED[2]],
        [("\u274c Supabase SDK import failed: No module named 'supabase'", "missing-dependency"), DEGRADED[0]],
    ),
    # Supabase unreachable from the reputation engine
    _variants(
        [("[ReputationEngine] Supabase unavailable: Server disconnected without sending a response.", "db-unavailable")],
        [("[ReputationEngine] Supabase unavailable: [Errno -3] Temporary failure in name resolution", "db-unavailable")],
        [("[ReputationEngine] Supabase unavailable: ReadTimeout('The read operation timed out')", "db-unavailable")],
    ),
    # the known, harmless policies.yaml path error
    _variants(
        [("[ReputationEngine] Error loading policies: [Errno 2] No such file or directory: "
          "'/app/config/policies.yml'", "config-error")],
        [("[PolicyEngine] Error loading policies: [Errno 2] No such file or directory: "
          "'%s/agents/ops_agent/config/policies.yaml'" % SRC, "config-error")],
    ),
    # Worker Infrastructure runbook: job worker on Kubernetes with Upstash Redis; schema drift
    _variants(
        [('psycopg2.errors.UndefinedColumn: column "reserved_credits" of relation "credit_balances" does not exist',
          "db-schema-mismatch")],
        [("postgrest.exceptions.APIError: {{'code': 'PGRST204', 'details': None, 'hint': None, 'message': "
          "\"Could not find the 'last_heartbeat' column of 'agent_tasks' in the schema cache\"}}", "db-schema-mismatch")],
        [("ERROR:app.billing.ledger:debit failed: column agent_tasks.cost_cents does not exist", "db-schema-mismatch")],
    ),
    # SDK clients older than the installed httpx
    _variants(*[
        _traceback([("/app/app/agent/%s.py" % module, number, "__init__", "self.client = %s(api_key=api_key)" % cls)],
                   "TypeError: %s.__init__() got an unexpected keyword argument 'proxies'" % cls,
                   "dependency-incompatibility")
        for module, number, cls in [("planner", 31, "anthropic.AsyncAnthropic"), ("summarizer", 18, "openai.OpenAI"),
                                     ("router", 44, "AsyncOpenAI")]
    ]),
    # plain-text Redis against Upstash (TLS only)
    _variants(
        [("redis.exceptions.ConnectionError: Error while reading from {upstash}:6379 : (104, 'Connection reset by peer')",
          "redis-tls")],
        [("ERROR:app.worker.job_queue:dequeue failed: Error 104 connecting to {upstash}:6379. Connection reset by peer.",
          "redis-tls")],
        [("WARNING:orchestrator.task_queue.redis_queue:ping to {upstash}:6379 failed: Connection closed by server.",
          "redis-tls")],
    ),
    # python -m on a module its package already imported
    _variants(
        [("/usr/local/lib/python3.11/runpy.py:126: RuntimeWarning: 'ops_core.tasks.worker' found in sys.modules after "
          "import of package 'ops_core.tasks', but prior to execution of 'ops_core.tasks.worker'; this may result in "
          "unpredictable behaviour", "entrypoint-not-run")],
        [("<frozen runpy>:128: RuntimeWarning: 'agents.ops_agent.worker' found in sys.modules after import of package "
          "'agents.ops_agent', but prior to execution of 'agents.ops_agent.worker'; this may result in unpredictable "
          "behaviour", "entrypoint-not-run")],
    ),
    # Worker Container Troubleshooting Guide: a Celery worker whose broker is down (its retry line is
    # Celery's fixed wording, so it is context here)
    _variants(
        [("[{clock}: ERROR/MainProcess] consumer: Cannot connect to redis://:**@redis-master.queue.svc.cluster.local:"
          "6379/1: Error -2 connecting to redis-master.queue.svc.cluster.local:6379. Name or service not known..",
          "connection-failed"),
         ("Trying again in 4.00 seconds... (2/100)", None)],
        [("[{clock}: ERROR/MainProcess] consumer: Cannot connect to amqp://worker:**@rabbitmq.internal:5672/jobs: "
          "timed out.", "connection-failed"),
         ("Trying again in 6.00 seconds... (3/100)", None)],
        [("[{clock}: ERROR/MainProcess] consumer: Cannot connect to redis://:**@cache:6380/0: Timeout connecting to "
          "server.", "connection-failed")],
    ),
    # a worker process killed with SIGKILL (memory)
    _variants(
        [("[{clock}: ERROR/MainProcess] Task tasks.render_report[{uuid}] raised unexpected: WorkerLostError('Worker "
          "exited prematurely: signal 9 (SIGKILL) Job: {small}.')", "oom-killed")],
        [("INFO:orchestrator.supervisor:celery-worker-{small} restarted: last state Terminated (OOMKilled, "
          "exit code 137)", "oom-killed")],
        [("Memory cgroup out of memory: Killed process {pid} (celery) total-vm:2381452kB, anon-rss:2019548kB, "
          "file-rss:0kB, shmem-rss:0kB, UID:1000 pgtables:4308kB oom_score_adj:0", "oom-killed")],
        [("{clock} default: Moving job to FailedJobRegistry (Work-horse terminated unexpectedly; waitpid returned 9 "
          "(signal 9); )", "oom-killed")],
    ),
    # GPU memory
    _variants(
        [("torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 512.00 MiB. GPU 0 has a total capacity of "
          "23.68 GiB of which 201.12 MiB is free. Process {pid} has 23.47 GiB memory in use.", "gpu-error")],
        [("RuntimeError: CUDA error: CUBLAS_STATUS_ALLOC_FAILED when calling `cublasLtMatmul(handle)`", "gpu-error")],
    ),
    # Ollama not reachable
    _variants(
        [("httpx.ConnectError: [Errno 111] Connection refused (POST http://ollama:11434/api/chat)", "connection-failed")],
        [("requests.exceptions.ConnectionError: HTTPConnectionPool(host='ollama', port=11434): Max retries exceeded "
          "with url: /api/embeddings (Caused by NewConnectionError('<urllib3.connection.HTTPConnection object at "
          "0x7f{hex}>: Failed to establish a new connection: [Errno 113] No route to host'))", "connection-failed")],
    ),
    # PostgreSQL not reachable
    _variants(
        [('sqlalchemy.exc.OperationalError: (psycopg2.OperationalError) connection to server at "db" ({ip}), port 5432 '
          "failed: Connection refused. Is the server running on that host and accepting TCP/IP connections?",
          "db-unavailable")],
        [('psycopg2.OperationalError: could not translate host name "postgres-primary" to address: Temporary failure '
          "in name resolution", "db-unavailable")],
        [("ERROR:app.db:pool init failed: [Errno 111] Connect call failed ('{ip}', 5432)", "db-unavailable")],
    ),
    # disk full
    _variants(
        [("OSError: [Errno 28] No space left on device: '/var/lib/agent/cache/{id}.parquet'", "disk-full")],
        [("ERROR:app.exports:write failed for export {id}: [Errno 28] No space left on device", "disk-full")],
        [("pip._vendor.urllib3.exceptions.ProtocolError: ('Connection broken: OSError(28, \"No space left on device\")')",
          "disk-full")],
    ),
    # Dramatiq actor debugging log: Dramatiq on the in-memory broker; a package missing in tox
    _variants(
        [("[{clock}] [PID {pid}] [MainThread] [dramatiq.broker.StubBroker] [DEBUG] Declaring queue 'default'.",
          "broker-misconfigured")],
        [("WARNING:ops_core.tasks.broker:DRAMATIQ_TESTING=1 is set: using the in-memory broker", "broker-misconfigured")],
    ),
    _variants(
        [("[{clock}] [PID {pid}] [MainThread] [dramatiq.MainProcess] [CRITICAL] ModuleNotFoundError: No module named "
          "'sqlalchemy'", "missing-dependency")],
        [("py312: commands[0]> python -m alembic upgrade head -> ModuleNotFoundError: No module named 'psycopg2'",
          "missing-dependency")],
    ),
    # Agent Troubleshooting Runbook: AgentOS agent runs
    _variants(
        [("WARN [run_id={run}] Memory usage at 87%", None),
         ("WARN [run_id={run}] Memory usage at 96%", None),
         ("ERROR [run_id={run}] Killed by OOM: container memory limit 2Gi exceeded (rss=2148MB)", "oom-killed")],
        [("WARN [run_id={run}] Memory usage at 91%", None),
         ("ERROR [run_id={run}] Killed by OOM: cgroup memory.max reached during step 2/3", "oom-killed")],
    ),
    _variants(
        [("WARN [run_id={run}] Execution time: 240s of 300s limit", None),
         ("ERROR [run_id={run}] agent research-pack aborted: Execution timeout exceeded (300s) during step 2/3",
          "timeout")],
        [("ERROR [run_id={run}] step output_generation failed: Execution timeout exceeded (90s)", "timeout")],
    ),
    _variants(
        [("ERROR [run_id={run}] Failed to connect to partner feed https://feeds.partner.example/v2/items: [Errno 111] "
          "Connection refused", "connection-failed"),
         ("ERROR [run_id={run}] Retry 1/3 after 1s", None),
         ("ERROR [run_id={run}] Retry 2/3 after 2s", None),
         ("ERROR [run_id={run}] Retry 3/3 after 4s", None),
         ("ERROR [run_id={run}] Giving up after 3 attempts: upstream unreachable", "retries-exhausted")],
        [("ERROR [run_id={run}] failed to connect to the CRM API (timeout after 10s)", "connection-failed"),
         ("ERROR [run_id={run}] Retries exhausted (3/3); run marked failed", "retries-exhausted")],
    ),
    _variants(
        [("ERROR [run_id={run}] HTTP 403 from https://api.github.com/repos/acme/infra/issues: Resource not accessible "
          "by integration", "auth-failure")],
        [("httpx.HTTPStatusError: Client error '401 Unauthorized' for url 'https://api.partner.example/v2/items'",
          "auth-failure")],
    ),
]

UPSTASH_NAMES = ["fit-gnat", "brave-lynx", "quiet-heron", "tidy-wren", "keen-moth", "bold-finch"]


def _fill(template, rnd, run):
    """`template` with its fields filled in (literal braces are doubled)."""
    if "{" not in template:
        return template
    return template.format(
        run=run,
        id=rnd.randrange(10_000, 99_999_999),
        small=rnd.randrange(1, 64),
        pid=rnd.randrange(7, 32_768),
        hex="%010x" % rnd.getrandbits(40),
        uuid=_uuid(rnd.getrandbits(128)),
        ip="10.%d.%d.%d" % (rnd.randrange(256), rnd.randrange(256), rnd.randrange(1, 255)),
        upstash="%s-%d.upstash.io" % (UPSTASH_NAMES[rnd.randrange(len(UPSTASH_NAMES))], rnd.randrange(10, 99_999)),
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
                variants = INCIDENTS[(y >> 24) % len(INCIDENTS)]
                incident = variants[(y >> 40) % len(variants)]
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
