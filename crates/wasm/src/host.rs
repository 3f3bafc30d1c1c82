//! The engine of one isolate that has no native binary, driven by JSON commands from
//! the TypeScript adapter (`src/backend/inspector.ts`): the same [`Engine`] the native
//! engine thread drives, with the same sample filter, fed on the JS thread. Safe Rust,
//! target-independent: the native tests replay a recorded command log through it and
//! the WebAssembly build must give the same bytes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::meta_json;
use ferroprof_core::engine::{
    Batch, ChunkIdSource, ChunkPlan, Close, Delivery, Engine, EngineConfig, LineMode, Message,
    Payload, RawNode, RawSample, SampleFilter, Verdict, WindowLimit,
};
use ferroprof_core::readings::Readings;
use ferroprof_core::sentry::ProfileMeta;
use ferroprof_core::{ClockAnchor, V8NodeInfo, V8SourceType};
use serde::Serialize;

use crate::protocol::{
    BatchIn, BatchOut, CloseIn, Command, ConfigIn, ResultOut, ValidatedItemOut, ValidatedOut,
};

/// A chunk id from 16 random bytes: a v4 UUID as Sentry writes it (32 hex digits).
pub fn chunk_id_from(bytes: [u8; 16]) -> String {
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .simple()
        .to_string()
}

/// Counters of the samples handed in, before the engine sees them.
#[derive(Clone, Copy, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
struct FilterCounts {
    copied: u64,
    duplicate: u64,
    near_duplicate: u64,
}

/// See the module documentation.
pub struct Host {
    engine: Option<Engine<u32>>,
    config: EngineConfig,
    filters: HashMap<u64, SampleFilter>,
    counts: FilterCounts,
    readings: Readings,
    /// Shared with each engine `init` starts.
    new_chunk_id: Arc<Mutex<ChunkIdSource>>,
}

/// A reply: its JSON, then the bytes of the deliveries' data in order.
pub struct Reply {
    pub json: String,
    pub data: Vec<u8>,
}

impl Reply {
    fn json(value: impl Serialize) -> Self {
        Self {
            json: serde_json::to_string(&value)
                .unwrap_or_else(|e| error_json(&format!("unserialisable reply: {e}"))),
            data: Vec::new(),
        }
    }

    fn error(message: &str) -> Self {
        Self {
            json: error_json(message),
            data: Vec::new(),
        }
    }

    /// The reply as one buffer: the JSON's length (u32, little-endian), the JSON, the data.
    pub fn into_bytes(self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + self.json.len() + self.data.len());
        out.extend_from_slice(&(self.json.len() as u32).to_le_bytes());
        out.extend_from_slice(self.json.as_bytes());
        out.extend_from_slice(&self.data);
        out
    }
}

fn error_json(message: &str) -> String {
    serde_json::json!({ "error": message }).to_string()
}

fn default_meta() -> ProfileMeta {
    ProfileMeta::node(("ferroprof", env!("CARGO_PKG_VERSION")), "", ("", ""), "")
}

fn parse_u64(what: &str, s: &str) -> Result<u64, String> {
    s.parse()
        .map_err(|_| format!("{what} must be decimal nanoseconds, got '{s}'"))
}

impl Host {
    /// `new_chunk_id` names the chunks the engine cuts.
    pub fn new(new_chunk_id: ChunkIdSource) -> Self {
        Self {
            engine: None,
            config: EngineConfig::default(),
            filters: HashMap::new(),
            counts: FilterCounts::default(),
            readings: Readings::new(),
            new_chunk_id: Arc::new(Mutex::new(new_chunk_id)),
        }
    }

    /// Runs one JSON command; a bad command gets `{"error"}`, never a panic.
    pub fn call(&mut self, input: &[u8]) -> Reply {
        match serde_json::from_slice::<Command>(input) {
            Ok(command) => self.run(command),
            Err(e) => Reply::error(&format!("invalid command: {e}")),
        }
    }

    fn run(&mut self, command: Command) -> Reply {
        if let Command::Init { anchor, app_root } = command {
            return match (
                parse_u64("anchor.monoNs", &anchor.mono_ns),
                parse_u64("anchor.unixNs", &anchor.unix_ns),
            ) {
                (Ok(mono), Ok(unix)) => {
                    self.init(ClockAnchor::new(mono, unix), app_root);
                    Reply::json(serde_json::json!({}))
                }
                (Err(e), _) | (_, Err(e)) => Reply::error(&e),
            };
        }
        let Some(engine) = self.engine.as_mut() else {
            return Reply::error("the engine is not initialised (init first)");
        };
        let ok = || Reply::json(serde_json::json!({}));
        match command {
            Command::Init { .. } => ok(),
            Command::Configure(c) => {
                apply_config(&mut self.config, c);
                engine.handle(Message::Configure(self.config.clone()), 0);
                ok()
            }
            Command::ProfileMeta { json } => match meta_json::parse_profile_meta(&json) {
                Ok(meta) => {
                    engine.handle(Message::SetProfileMeta(Box::new(meta)), 0);
                    ok()
                }
                Err(e) => Reply::error(&e),
            },
            Command::ThreadStarted { thread_id, name } => {
                engine.handle(Message::ThreadStarted { thread_id, name }, 0);
                ok()
            }
            Command::ThreadEnded { thread_id } => {
                engine.handle(Message::ThreadEnded { thread_id }, 0);
                ok()
            }
            Command::Batch(batch) => {
                let filter = self.filters.entry(batch.thread_id).or_default();
                let (batch, out) = filtered_batch(batch, filter);
                self.counts.copied += out.copied;
                self.counts.duplicate += out.duplicate;
                self.counts.near_duplicate += out.near_duplicate;
                engine.handle(Message::Batch(batch), 0);
                Reply::json(out)
            }
            Command::Open {
                id,
                start_ns,
                chunk,
                limit,
            } => {
                let chunks = chunk.map(|c| ChunkPlan {
                    period_ns: c.period_ns,
                    profiler_id: c.profiler_id,
                    reply: 0,
                    wait_ns: c.wait_ns,
                });
                let limit = limit.map(|l| WindowLimit {
                    max_ns: l.max_ns,
                    wait_ns: l.wait_ns,
                });
                engine.handle(
                    Message::OpenWindow {
                        id,
                        start_ns,
                        chunks,
                        limit,
                    },
                    0,
                );
                ok()
            }
            Command::Close(close) => match close_message(close) {
                Ok((msg, now_ns)) => {
                    engine.handle(Message::CloseWindow(msg), now_ns);
                    ok()
                }
                Err(e) => Reply::error(&e),
            },
            Command::Reading { mono_ns, cpu, rss } => {
                if let Some(cpu) = cpu {
                    self.readings.push_cpu(mono_ns, cpu);
                }
                if let Some(rss) = rss {
                    self.readings.push_memory(mono_ns, rss);
                }
                ok()
            }
            Command::Poll { now_ns } => {
                let readings = &self.readings;
                let deliveries = engine.poll(now_ns, &|start, end| readings.window(start, end));
                results_reply(deliveries)
            }
            Command::Stats => Reply::json(serde_json::json!({
                "engine": engine.stats(),
                "filter": self.counts,
            })),
            Command::NextDeadline => Reply::json(serde_json::json!({
                "deadlineNs": engine.next_deadline_ns(),
            })),
        }
    }

    fn init(&mut self, anchor: ClockAnchor, app_root: Option<String>) {
        self.config.app_root = app_root;
        let shared = Arc::clone(&self.new_chunk_id);
        let ids: ChunkIdSource = Box::new(move || {
            let mut source = shared.lock().unwrap_or_else(|e| e.into_inner());
            let next = &mut *source;
            next()
        });
        self.engine = Some(Engine::new(
            self.config.clone(),
            anchor,
            default_meta(),
            ids,
        ));
        self.filters.clear();
    }

    /// Checks an envelope by Relay's rules (`validateEnvelope`).
    pub fn validate(bytes: &[u8], gzip: bool) -> Reply {
        match ferroprof_core::sentry::validate_envelope(bytes, gzip) {
            Ok(summary) => Reply::json(ValidatedOut {
                event_id: summary.event_id,
                items: summary
                    .items
                    .into_iter()
                    .map(|i| ValidatedItemOut {
                        item_type: i.item_type,
                        length: i.length,
                        samples: i.profile.map(|p| p.samples),
                        threads: i.profile.map(|p| p.threads),
                    })
                    .collect(),
            }),
            Err(r) => Reply::error(&format!("{}: {}", r.reason().as_str(), r.message())),
        }
    }
}

fn apply_config(config: &mut EngineConfig, c: ConfigIn) {
    if let Some(v) = c.max_stack_depth {
        config.max_stack_depth = v.max(1);
    }
    if let Some(v) = c.max_samples {
        config.limits.max_samples = v.max(1);
    }
    if let Some(v) = c.max_bytes {
        config.limits.max_bytes = v;
    }
    if let Some(v) = c.prune_margin_ns {
        config.prune_margin_ns = v;
    }
}

/// The batch of a rotated profile without the samples the filter drops (the overlap of
/// two profiles, V8's start-of-profile extras), as the native isolate collects it.
fn filtered_batch(b: BatchIn, filter: &mut SampleFilter) -> (Batch, BatchOut) {
    let mut out = BatchOut {
        copied: b.samples.len() as u64,
        ..BatchOut::default()
    };
    let mut samples = Vec::with_capacity(b.samples.len());
    for &(ts_us, node, state) in &b.samples {
        match filter.classify(ts_us, b.interval_us) {
            Verdict::Keep => samples.push(RawSample {
                ts_ns: ts_us.max(0) as u64 * 1_000,
                node,
                state,
            }),
            Verdict::Duplicate => out.duplicate += 1,
            Verdict::NearDuplicate => out.near_duplicate += 1,
        }
    }
    out.kept = samples.len() as u64;
    let covered_us = filter.last_ts_us().unwrap_or(0).max(b.covered_us).max(0);
    let nodes = b
        .nodes
        .into_iter()
        .map(|n| RawNode {
            key: n.id,
            parent: n.parent,
            info: V8NodeInfo {
                function_name: n.function_name,
                source_type: if n.url.is_empty() {
                    V8SourceType::Internal
                } else {
                    V8SourceType::Script
                },
                script_name: n.url,
                line: n.line,
                column: n.column,
            },
            line_ticks: n.ticks,
        })
        .collect();
    let batch = Batch {
        thread_id: b.thread_id,
        nodes,
        samples,
        covered_until_ns: covered_us as u64 * 1_000,
        lines: LineMode::Executing,
    };
    (batch, out)
}

fn close_message(c: CloseIn) -> Result<(Close<u32>, u64), String> {
    let encoding =
        meta_json::parse_encoding(c.encoding.as_deref(), c.meta.as_deref(), c.active_thread_id)?;
    Ok((
        Close {
            id: c.id,
            end_ns: c.end_ns,
            active_thread_id: c.active_thread_id,
            reply: c.ticket,
            encoding,
            reopen: c.reopen,
            wait_ns: c.wait_ns,
        },
        c.now_ns,
    ))
}

fn results_reply(deliveries: Vec<Delivery<u32>>) -> Reply {
    let mut data = Vec::new();
    let mut results = Vec::with_capacity(deliveries.len());
    for d in deliveries {
        // The adapter reads a raw window, a refusal or a failure as JSON, an encoded
        // payload as it is.
        let text = match &d.payload {
            Payload::Raw(w) => serde_json::to_string(w).unwrap_or_else(|_| "null".into()),
            Payload::Encoded(s) => s.clone(),
            Payload::Rejected(r) => serde_json::json!({
                "reason": r.reason.as_str(),
                "message": r.message,
                "samples": d.samples,
            })
            .to_string(),
            Payload::Failed(m) => serde_json::json!({ "message": m }).to_string(),
        };
        results.push(ResultOut {
            id: d.id,
            ticket: d.reply,
            kind: d.kind(),
            chunk_id: d.chunk_id,
            complete: d.complete,
            samples: d.samples,
            start_ns: d.start_ns,
            end_ns: d.end_ns,
            truncated: d.truncated,
            data_len: text.len(),
        });
        data.extend_from_slice(text.as_bytes());
    }
    let mut reply = Reply::json(serde_json::json!({ "results": results }));
    reply.data = data;
    reply
}
