//! Scan throughput benchmarks (criterion).
//!
//! A ~20 MB kubectl-style corpus is generated in-process and deterministically
//! (a smaller cousin of benches/gen_corpus.py: healthy worker traffic
//! with failure incidents injected at a low rate), so this needs no corpus file.
//!
//!     cargo bench --bench scan                 # everything
//!     cargo bench --bench scan -- scan/default # one group
//!
//! Groups (all through the library's public API, as a caller would):
//! - `scan`: the whole pipeline over the buffer with the embedded pack
//!   (`Engine::scan_bytes`: prefilter, confirmation, the summary fold), all
//!   threads and one thread;
//! - `report`: building the report from the summary;
//! - `chunk_size`: scanning with 1 MiB vs 16 MiB chunks;
//! - `rules`: loading and compiling the embedded pack (`Engine::with_default_rules`).

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use faultline::{Engine, Options};

const CORPUS_BYTES: usize = 20 << 20;

const NOISE: &[&str] = &[
    "INFO:__main__:Processing task {id} for agent ops_agent",
    "INFO:httpx:HTTP Request: GET https://xyzcompany.supabase.co/rest/v1/agent_tasks?id=eq.{id} \"HTTP/2 200 OK\"",
    "INFO:httpx:HTTP Request: POST https://xyzcompany.supabase.co/rest/v1/reputation_events \"HTTP/2 201 Created\"",
    "DEBUG:orchestrator.task_queue.redis_queue:Heartbeat {id} ok",
    "INFO:uvicorn.access:10.0.{a}.{b}:5{b}12 - \"GET /health HTTP/1.1\" 200",
    "INFO:uvicorn.access:10.0.{a}.{b}:4{a}33 - \"POST /execute HTTP/1.1\" 202",
    "INFO [run_id={run}] Step {a}/3 completed: data_collection",
    "INFO [run_id={run}] Execution started with input: {\"query\": \"weekly report {id}\"}",
    "INFO [run_id={run}] Execution completed successfully in {a}.{b}s",
    "INFO:celery.worker.strategy:Task tasks.process_event[{uuid}] received",
    "INFO:celery.app.trace:Task tasks.process_event[{uuid}] succeeded in 0.{b}s: None",
    "WARNING:__main__:Slow task {id} took {a}{b}4ms",
    "INFO:orchestrator.task_queue.redis_queue:Dequeued job {uuid} from jobs:pending",
    "INFO:__main__:Memory usage at {pct}% (rss=412MB)",
    "DEBUG:urllib3.connectionpool:https://api.anthropic.com:443 \"POST /v1/messages HTTP/1.1\" 200 {id}",
    "INFO:persistence.db_client:Upserted agent_task {uuid} status=RUNNING",
    "INFO:__main__:Retry 1/3 succeeded for webhook delivery {id}",
    "INFO:governance.reputation:Reputation event recorded for agent {uuid} (+1)",
];

const STARTUP_OK: &[&str] = &[
    "INFO:__main__:============================================================",
    "INFO:__main__:Ops Agent Worker - Orchestrator Integration",
    "INFO:__main__:============================================================",
    "INFO:__main__:Initialized Ops Agent Worker (Redis: redis://red-cq1:6379)",
    "INFO:__main__:\u{2705} Governance modules initialized",
    "INFO:orchestrator.task_queue.redis_queue:Connected to Redis at redis://red-cq1:6379",
    "INFO:__main__:\u{2705} Connected to Orchestrator Redis queue",
    "INFO:__main__:\u{2705} Initialized Ops Agent OODA Loop",
    "INFO:persistence.db_client:Supabase client initialized for agent_tasks persistence",
    "INFO:__main__:\u{2705} Registered with Governance (agent_id: {uuid})",
    "INFO:orchestrator.task_queue.redis_queue:Subscribed to events: ['task.created', 'deploy.started', 'alert.triggered']",
    "INFO:__main__:\u{2705} Subscribed to Orchestrator events",
    "INFO:__main__:\u{1f680} Ops Agent Worker started successfully",
    "INFO:__main__:Starting task processing loop...",
    "INFO:__main__:Starting event listener...",
];

const INCIDENTS: &[&[&str]] = &[
    &[
        "INFO:__main__:\u{2705} Governance modules initialized",
        "Traceback (most recent call last):",
        "  File \"/opt/render/project/src/orchestrator/governance/reputation_engine.py\", line 41, in _get_client",
        "    from orchestrator.persistence.db_client import get_client",
        "ModuleNotFoundError: No module named 'orchestrator.persistence'",
        "INFO:__main__:\u{26a0}\u{fe0f} Could not register with Governance (degraded mode)",
    ],
    &[
        "ERROR:governance.reputation:insert failed: new row for relation \"agent_reputation\" violates check constraint \"agent_reputation_agent_type_check\"",
        "INFO:__main__:\u{26a0}\u{fe0f} Could not register with Governance (degraded mode)",
    ],
    &["ModuleNotFoundError: No module named 'yaml'"],
    &["[ReputationEngine] Supabase unavailable: Connection timeout"],
    &[
        "[ReputationEngine] Error loading policies: [Errno 2] No such file or directory: '/opt/render/project/src/config/policies.yaml'",
    ],
    &[
        "ERROR:app.agent.planner:credit check failed: column credit_balances.available_credits does not exist",
    ],
    &["TypeError: Client.__init__() got an unexpected keyword argument 'proxies'"],
    &[
        "redis.exceptions.ConnectionError: Error while reading from caring-owl-41.upstash.io:6379 : (104, 'Connection reset by peer')",
    ],
    &[
        "WARN [run_id={run}] Memory usage at 85%",
        "WARN [run_id={run}] Memory usage at 92%",
        "ERROR [run_id={run}] Killed by OOM: memory limit exceeded",
    ],
    &[
        "WARN [run_id={run}] Execution time: 55s of 60s limit",
        "ERROR [run_id={run}] Execution timeout exceeded (60s)",
    ],
    &[
        "ERROR [run_id={run}] Failed to connect to external API",
        "ERROR [run_id={run}] Retry 3/3 after 4s",
        "ERROR [run_id={run}] All retries exhausted, marking as failed",
    ],
    &["ERROR [run_id={run}] HTTP 401 Unauthorized from https://api.external.com/v1/data"],
    &["OSError: [Errno 28] No space left on device: '/tmp/agent-workspace/{id}.json'"],
    &["!!! BROKER CONFIGURED: StubBroker !!!"],
    &[
        "consumer: Cannot connect to redis://:**@redis:6379/0: Error 111 connecting to redis:6379. Connection refused..",
    ],
];

/// splitmix64: small, fast, deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo)
    }
}

fn expand(template: &str, run: &str, rng: &mut Rng, out: &mut String) {
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after.find('}').map(|c| (c, &after[..c]));
        let value = match close {
            Some((_, "id")) => Some(rng.range(10_000, 99_999_999).to_string()),
            Some((_, "a")) => Some(rng.range(1, 10).to_string()),
            Some((_, "b")) => Some(rng.below(100).to_string()),
            Some((_, "pct")) => Some(rng.range(20, 70).to_string()),
            Some((_, "run")) => Some(run.to_string()),
            Some((_, "uuid")) => {
                let (x, y) = (rng.next(), rng.next());
                Some(format!(
                    "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
                    x >> 32,
                    (x >> 16) & 0xffff,
                    x & 0xfff,
                    y >> 52,
                    y & 0xffff_ffff_ffff
                ))
            }
            _ => None,
        };
        match (value, close) {
            (Some(v), Some((c, _))) => {
                out.push_str(&v);
                rest = &after[c + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
}

/// A kubectl `--timestamps` style corpus of about `size` bytes, and how many
/// incidents were injected.
fn corpus(size: usize, seed: u64) -> (Vec<u8>, usize) {
    let mut rng = Rng(seed);
    let mut out = String::with_capacity(size + 4096);
    let mut t: u64 = 1_761_200_000_000_000; // microseconds, 2025-10-23
    let mut incidents = 0;
    let mut block = 0u64;
    let mut emit = |out: &mut String, template: &str, run: &str, rng: &mut Rng| {
        t += rng.below(10_000);
        let secs = t / 1_000_000;
        let ts = format!(
            "2025-10-23T{:02}:{:02}:{:02}.{:06}Z ",
            (secs / 3600) % 24,
            (secs / 60) % 60,
            secs % 60,
            t % 1_000_000
        );
        out.push_str(&ts);
        expand(template, run, rng, out);
        out.push('\n');
    };
    while out.len() < size {
        if block.is_multiple_of(200) {
            for template in STARTUP_OK {
                emit(&mut out, template, "", &mut rng);
            }
        }
        block += 1;
        for _ in 0..2000 {
            let run = format!("{:08x}", rng.next() >> 32);
            // About one incident per 5000 lines, as benches/gen_corpus.py's default rate.
            if rng.below(5000) == 0 {
                incidents += 1;
                let incident = INCIDENTS[rng.below(INCIDENTS.len() as u64) as usize];
                for template in incident {
                    emit(&mut out, template, &run, &mut rng);
                }
            } else {
                let template = NOISE[rng.below(NOISE.len() as u64) as usize];
                emit(&mut out, template, &run, &mut rng);
            }
        }
    }
    (out.into_bytes(), incidents)
}

fn engine(chunk_size: usize) -> Engine {
    Engine::with_default_rules(Options {
        chunk_size,
        ..Options::default()
    })
    .unwrap_or_else(|errors| {
        panic!(
            "the embedded rule pack does not load ({} errors); run `faultline rules lint`",
            errors.len()
        )
    })
}

fn single_thread_pool() -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("rayon pool")
}

fn benches(c: &mut Criterion) {
    let (buf, incidents) = corpus(CORPUS_BYTES, 7);
    let engine = engine(Options::default().chunk_size);
    let probe = engine.report(&engine.scan_bytes("corpus.log", &buf));
    let one = single_thread_pool();
    eprintln!(
        "corpus: {} bytes, {} lines, {} incidents injected; {} matches ({} rules); {} rayon threads",
        buf.len(),
        probe.stats.lines,
        incidents,
        probe.stats.matches,
        probe.stats.rules,
        rayon::current_num_threads(),
    );

    let mut group = c.benchmark_group("scan");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    group.throughput(Throughput::Bytes(buf.len() as u64));
    group.bench_function("default_pack/all_threads", |b| {
        b.iter(|| black_box(engine.scan_bytes("corpus.log", black_box(&buf))))
    });
    group.bench_function("default_pack/1_thread", |b| {
        b.iter(|| one.install(|| black_box(engine.scan_bytes("corpus.log", black_box(&buf)))))
    });
    group.finish();

    let scan = engine.scan_bytes("corpus.log", &buf);
    let mut group = c.benchmark_group("report");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    group.bench_function("from_summary", |b| {
        b.iter(|| black_box(engine.report(black_box(&scan)).findings.len()))
    });
    group.finish();

    let mut group = c.benchmark_group("chunk_size");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    group.throughput(Throughput::Bytes(buf.len() as u64));
    for (label, chunk_size) in [("1MiB", 1usize << 20), ("16MiB", 16 << 20)] {
        let chunked = self::engine(chunk_size);
        group.bench_with_input(
            BenchmarkId::new("all_threads", label),
            &chunked,
            |b, chunked| b.iter(|| black_box(chunked.scan_bytes("corpus.log", black_box(&buf)))),
        );
    }
    group.finish();

    let mut group = c.benchmark_group("rules");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    group.bench_function("load_and_compile_embedded", |b| {
        b.iter(|| black_box(self::engine(1 << 20).pack().len()))
    });
    group.finish();
}

criterion_group!(scan, benches);
criterion_main!(scan);
