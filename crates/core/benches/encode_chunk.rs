//! Cost of turning a 60 s continuous-profiling chunk into a gzip'd `profile_chunk`
//! (101 Hz, ~50 distinct stacks about 20 frames deep, sampling jitter), as the
//! engine thread does once a minute. Run with `cargo bench -p ferroprof-core`.
//! Targets: under 5 ms per chunk, under 25 bytes per sample after gzip.

use std::time::{Duration, Instant};

use ferroprof_core::sentry::{
    encode_v1, encode_v2, gzip, gzip_level, ChunkMeta, Measurements, ProfileMeta, TransactionMeta,
    GZIP_LEVEL,
};
use ferroprof_core::{ClockAnchor, Frame, Sample, SampleStore, StackId, StoreLimits, VmState};

const MS: u64 = 1_000_000;
const PERIOD_NS: u64 = 1_000_000_000 / 101;
const RUNS: usize = 31;

/// Deterministic xorshift, so every run measures the same data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn frame(i: u64) -> Frame {
    // Two frames in three are application code, one is a dependency.
    let (path, in_app) = match i % 3 {
        0 => (
            format!("/srv/app/node_modules/lib{}/dist/index.js", i % 7),
            false,
        ),
        _ => (format!("/srv/app/src/module{}.js", i % 11), true),
    };
    Frame {
        function: Some(format!("function{i}")),
        filename: Some(path.clone()),
        abs_path: Some(path),
        module: Some(format!("module{}", i % 11)),
        lineno: Some(10 + (i * 37 % 500) as u32),
        colno: Some(1 + (i * 13 % 80) as u32),
        in_app: Some(in_app),
    }
}

/// 60 s of samples on the main thread; 1 in 10 idle, the rest over 50 stacks that
/// share a common root path (as real call trees do), skewed towards a few hot ones.
fn filled_store(rng: &mut Rng, start_ns: u64) -> SampleStore {
    let mut store = SampleStore::new(
        StoreLimits::default(),
        ClockAnchor::new(0, 1_795_694_400_000_000_000),
    );
    store.register_thread(0, "main");
    let stacks: Vec<StackId> = (0..50u64)
        .map(|s| {
            let depth = 16 + rng.below(9);
            let frames: Vec<_> = (0..depth)
                .map(|d| {
                    // The root-side half is shared; the leaf side differs per stack.
                    let id = if d >= depth / 2 { 1000 + d } else { s * 40 + d };
                    store.table_mut().intern_frame(frame(id))
                })
                .collect();
            store.table_mut().intern_stack(&frames)
        })
        .collect();
    let mut ts = start_ns;
    while ts < start_ns + 60_000 * MS {
        let stack = if rng.below(10) == 0 {
            StackId::EMPTY
        } else {
            // Squaring skews the choice towards low indices.
            let r = rng.below(50);
            stacks[(r * r / 50) as usize]
        };
        store.push(
            0,
            Sample {
                ts_ns: ts,
                stack,
                state: VmState::Js,
            },
        );
        ts += PERIOD_NS - 300_000 + rng.below(600_000);
    }
    store
}

fn meta() -> ProfileMeta {
    let mut m = ProfileMeta::node(
        ("ferroprof", "0.1.0"),
        "v22.12.0",
        ("linux", "6.8.0"),
        "x64",
    );
    m.release = Some("my-app@1.0.0".into());
    m.environment = Some("production".into());
    m
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn main() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let start = 10_000 * MS;
    let store = filled_store(&mut rng, start);
    let chunk = ChunkMeta {
        profiler_id: "4d229f1d3807421ba62a5f8bc295d836".into(),
        chunk_id: "0432a0a4c25f4697bf9f0a2fcbe6a814".into(),
    };
    let none = Measurements::new();

    let (mut slice_t, mut encode_t, mut gzip_t, mut total_t) = (vec![], vec![], vec![], vec![]);
    let (mut json_len, mut gz_len, mut samples) = (0, 0, 0);
    for _ in 0..RUNS {
        let t0 = Instant::now();
        let slice = store.slice(start, start + 60_000 * MS);
        let t1 = Instant::now();
        let encoded = encode_v2(&slice, &meta(), &chunk, &none).expect("chunk encodes");
        let t2 = Instant::now();
        let z = gzip(&encoded.bytes);
        let t3 = Instant::now();
        slice_t.push(t1 - t0);
        encode_t.push(t2 - t1);
        gzip_t.push(t3 - t2);
        total_t.push(t3 - t1);
        (json_len, gz_len, samples) = (encoded.bytes.len(), z.len(), slice.samples.len());
    }
    println!("profile_chunk, 60 s at 101 Hz: {samples} samples, 50 stacks, {RUNS} runs");
    println!(
        "  slice           median {:>8.3} ms",
        median(slice_t).as_secs_f64() * 1e3
    );
    println!(
        "  encode (v2)     median {:>8.3} ms",
        median(encode_t).as_secs_f64() * 1e3
    );
    println!(
        "  gzip (level {GZIP_LEVEL})  median {:>8.3} ms",
        median(gzip_t).as_secs_f64() * 1e3
    );
    println!(
        "  encode + gzip   median {:>8.3} ms  (target < 5 ms)",
        median(total_t).as_secs_f64() * 1e3
    );
    println!(
        "  size: {json_len} B JSON, {gz_len} B gzip = {:.2} B/sample after gzip (target < 25)",
        gz_len as f64 / samples as f64
    );

    let json = encode_v2(
        &store.slice(start, start + 60_000 * MS),
        &meta(),
        &chunk,
        &none,
    )
    .expect("chunk encodes")
    .bytes;
    let mut level6_t = vec![];
    let mut level6_len = 0;
    for _ in 0..11 {
        let t = Instant::now();
        level6_len = gzip_level(&json, 6).len();
        level6_t.push(t.elapsed());
    }
    println!(
        "  for comparison, gzip level 6: median {:.3} ms, {:.2} B/sample",
        median(level6_t).as_secs_f64() * 1e3,
        level6_len as f64 / samples as f64
    );

    // A 10 s transaction profile out of the same store, for comparison.
    let txn = TransactionMeta {
        profile_id: "a1b2c3d4e5f64a7b8c9d0e1f2a3b4c5d".into(),
        id: "9b73438f70e044ecbd006b7fd15b7373".into(),
        name: "GET /users".into(),
        trace_id: "4c79f60c11214eb38604f4ae0781bfb2".into(),
        active_thread_id: 0,
    };
    let mut v1_t = vec![];
    let mut v1_sizes = (0, 0, 0);
    for _ in 0..RUNS {
        let t0 = Instant::now();
        let slice = store.slice(start, start + 10_000 * MS);
        let encoded = encode_v1(&slice, &meta(), &txn, &none).expect("profile encodes");
        let z = gzip(&encoded.bytes);
        v1_t.push(t0.elapsed());
        v1_sizes = (encoded.bytes.len(), z.len(), slice.samples.len());
    }
    println!(
        "profile (v1), 10 s transaction: slice + encode + gzip median {:.3} ms, {} B gzip = {:.2} B/sample",
        median(v1_t).as_secs_f64() * 1e3,
        v1_sizes.1,
        v1_sizes.1 as f64 / v1_sizes.2 as f64
    );
}
