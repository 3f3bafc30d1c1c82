//! Encoders and the envelope writer, checked against the validators.

use super::*;
use crate::clock::ClockAnchor;
use crate::frame::Frame;
use crate::slice::{ProfileSlice, SliceSample};
use crate::store::VmState;

const MS: u64 = 1_000_000;
/// 2026-11-26T12:00:00.123456789Z, taken at monotonic 5 s.
const ANCHOR: ClockAnchor = ClockAnchor {
    mono_ns: 5_000 * MS,
    unix_ns: 1_795_694_400_123_456_789,
};

fn frame(name: &str) -> Frame {
    Frame {
        function: Some(name.into()),
        abs_path: Some(format!("/app/{name}.js")),
        lineno: Some(1),
        in_app: Some(true),
        ..Frame::default()
    }
}

/// A slice of thread 0 from `start`, one sample every 10 ms; `idle[i]` makes
/// sample `i` idle.
fn slice(start_ns: u64, idle: &[bool]) -> ProfileSlice {
    let samples = idle
        .iter()
        .enumerate()
        .map(|(i, &is_idle)| SliceSample {
            ts_ns: start_ns + i as u64 * 10 * MS,
            thread_id: 0,
            stack_id: u32::from(is_idle),
            state: if is_idle { VmState::Idle } else { VmState::Js },
        })
        .collect();
    ProfileSlice {
        start_ns,
        end_ns: start_ns + idle.len() as u64 * 10 * MS,
        anchor: Some(ANCHOR),
        frames: vec![frame("main"), frame("work")],
        stacks: vec![vec![1, 0], vec![]],
        samples,
        thread_names: [(0, "main".to_string())].into(),
    }
}

fn meta() -> ProfileMeta {
    let mut m = ProfileMeta::node(
        ("ferroprof", "0.1.0"),
        "v22.12.0",
        ("linux", "6.8.0"),
        "x64",
    );
    m.release = Some("my-app@1.0.0".into());
    m
}

fn txn() -> TransactionMeta {
    TransactionMeta {
        profile_id: new_event_id(),
        id: "9b73438f70e044ecbd006b7fd15b7373".into(),
        name: "GET /users".into(),
        trace_id: "4c79f60c11214eb38604f4ae0781bfb2".into(),
        active_thread_id: 0,
    }
}

fn chunk() -> ChunkMeta {
    ChunkMeta {
        profiler_id: new_event_id(),
        chunk_id: new_event_id(),
    }
}

fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes).unwrap()
}

#[test]
fn v1_encodes_what_relay_expects() {
    let s = slice(6_000 * MS, &[false, false, true]);
    let out = encode_v1(&s, &meta(), &txn(), &Measurements::new()).unwrap();
    assert!(!out.bytes.contains(&b'\n'));
    validate_v1(&out.bytes).unwrap();
    let v = json(&out.bytes);
    // 1 s after the anchor, cut to the microsecond.
    assert_eq!(v["timestamp"], "2026-11-26T12:00:01.123456Z");
    assert_eq!(v["version"], "1");
    assert_eq!(v["runtime"]["name"], "node");
    assert!(
        v.get("environment").is_none(),
        "None is omitted, never null"
    );
    let samples = v["profile"]["samples"].as_array().unwrap();
    // The origin moved back 789 ns to a whole microsecond.
    assert_eq!(samples[0]["elapsed_since_start_ns"], "789");
    assert_eq!(samples[1]["elapsed_since_start_ns"], "10000789");
    assert_eq!(samples[0]["thread_id"], "0");
    assert_eq!(samples[0]["stack_id"], 0);
    assert_eq!(v["transaction"]["relative_start_ns"], "789");
    assert_eq!(v["transaction"]["relative_end_ns"], "30000789");
    assert_eq!(v["transaction"]["active_thread_id"], "0");
    assert_eq!(v["profile"]["thread_metadata"]["0"]["name"], "main");
    assert_eq!(
        out.summary.samples, 3,
        "the idle trailing sample is kept: it has an (idle) frame"
    );
    assert_eq!(samples[2]["stack_id"], 2, "a stack of its own");
    assert_eq!(v["profile"]["stacks"][2], serde_json::json!([2]));
    assert_eq!(
        v["profile"]["frames"][2],
        serde_json::json!({"function": "(idle)", "in_app": false})
    );
}

#[test]
fn waiting_transactions_and_chunks_keep_their_profile() {
    let waiting = slice(6_000 * MS, &[true, true, true]);
    let out = encode_v1(&waiting, &meta(), &txn(), &Measurements::new()).unwrap();
    assert_eq!(validate_v1(&out.bytes).unwrap().samples, 3);
    let out = encode_v2(&waiting, &meta(), &chunk(), &Measurements::new()).unwrap();
    assert_eq!(validate_v2(&out.bytes).unwrap().samples, 3);
    let mut native = slice(6_000 * MS, &[true, true]);
    native.samples[1].state = VmState::Other;
    let v = json(
        &encode_v2(&native, &meta(), &chunk(), &Measurements::new())
            .unwrap()
            .bytes,
    );
    let functions: Vec<_> = v["profile"]["frames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["function"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(functions, ["main", "work", "(idle)", "(program)"]);
}

#[test]
fn files_with_debug_ids_get_a_sourcemap_image() {
    let s = slice(6_000 * MS, &[false, false]);
    let mut m = meta();
    let out = encode_v1(&s, &m, &txn(), &Measurements::new()).unwrap();
    assert!(
        json(&out.bytes).get("debug_meta").is_none(),
        "none without debug ids"
    );
    m.debug_ids = [
        (
            "/app/work.js".to_string(),
            "c941d872-af1f-4f0c-a7ff-ad3d295fe153".to_string(),
        ),
        (
            "/app/unused.js".to_string(),
            "d941d872-af1f-4f0c-a7ff-ad3d295fe153".to_string(),
        ),
    ]
    .into();
    let expected = serde_json::json!({"images": [{
        "type": "sourcemap",
        "code_file": "/app/work.js",
        "debug_id": "c941d872-af1f-4f0c-a7ff-ad3d295fe153",
    }]});
    let v1 = encode_v1(&s, &m, &txn(), &Measurements::new()).unwrap();
    validate_v1(&v1.bytes).unwrap();
    assert_eq!(json(&v1.bytes)["debug_meta"], expected);
    let v2 = encode_v2(&s, &m, &chunk(), &Measurements::new()).unwrap();
    validate_v2(&v2.bytes).unwrap();
    assert_eq!(json(&v2.bytes)["debug_meta"], expected);
}

#[test]
fn v2_encodes_what_relay_expects() {
    let s = slice(6_000 * MS, &[false, true, false]);
    let out = encode_v2(&s, &meta(), &chunk(), &Measurements::new()).unwrap();
    validate_v2(&out.bytes).unwrap();
    let v = json(&out.bytes);
    let samples = v["profile"]["samples"].as_array().unwrap();
    assert_eq!(samples[0]["thread_id"], "0");
    assert_eq!(
        samples[0]["timestamp"].as_f64(),
        Some(1_795_694_401.123_456)
    );
    assert_eq!(
        samples[2]["timestamp"].as_f64(),
        Some(1_795_694_401.143_456)
    );
    assert_eq!(v["release"], "my-app@1.0.0");
    assert_eq!(v["client_sdk"]["name"], "ferroprof");
    assert_eq!(
        out.summary.samples, 3,
        "v2 keeps idle samples of busy threads"
    );

    let mut unreleased = meta();
    unreleased.release = None;
    let out = encode_v2(&s, &unreleased, &chunk(), &Measurements::new()).unwrap();
    assert_eq!(json(&out.bytes)["release"], "");
}

#[test]
fn encoders_refuse_what_relay_would_drop() {
    let one = slice(6_000 * MS, &[false]);
    let err = encode_v1(&one, &meta(), &txn(), &Measurements::new()).unwrap_err();
    assert_eq!(err.reason(), Reason::NotEnoughSamples);
    let err = encode_v2(&one, &meta(), &chunk(), &Measurements::new()).unwrap_err();
    assert_eq!(err.reason(), Reason::NotEnoughSamples);
    let lonely_busy = slice(6_000 * MS, &[true, false, true]);
    let out = encode_v1(&lonely_busy, &meta(), &txn(), &Measurements::new()).unwrap();
    assert_eq!(
        out.summary.samples, 3,
        "idle samples count: Relay keeps them"
    );

    let mut long = slice(6_000 * MS, &[false, false]);
    long.samples[1].ts_ns = long.start_ns + 31_000 * MS;
    long.end_ns = long.samples[1].ts_ns;
    let err = encode_v1(&long, &meta(), &txn(), &Measurements::new()).unwrap_err();
    assert_eq!(err.reason(), Reason::DurationTooLong);
    encode_v2(&long, &meta(), &chunk(), &Measurements::new()).expect("31 s is fine for a chunk");
    long.samples[1].ts_ns = long.start_ns + 67_000 * MS;
    let err = encode_v2(&long, &meta(), &chunk(), &Measurements::new()).unwrap_err();
    assert_eq!(err.reason(), Reason::DurationTooLong);

    let mut bad = slice(6_000 * MS, &[false, false]);
    bad.stacks[0].push(7);
    let err = encode_v2(&bad, &meta(), &chunk(), &Measurements::new()).unwrap_err();
    assert_eq!(err.reason(), Reason::MalformedStacks);

    let mut unanchored = slice(6_000 * MS, &[false, false]);
    unanchored.anchor = None;
    let err = encode_v1(&unanchored, &meta(), &txn(), &Measurements::new()).unwrap_err();
    assert_eq!(err.reason(), Reason::NoClockAnchor);

    let mut bad_txn = txn();
    bad_txn.name.clear();
    let s = slice(6_000 * MS, &[false, false]);
    let err = encode_v1(&s, &meta(), &bad_txn, &Measurements::new()).unwrap_err();
    assert_eq!(err.reason(), Reason::InvalidTransactionMetadata);
}

#[test]
fn encoders_sort_samples() {
    let mut s = slice(6_000 * MS, &[false, false, false]);
    s.samples.reverse();
    for bytes in [
        encode_v1(&s, &meta(), &txn(), &Measurements::new())
            .unwrap()
            .bytes,
        encode_v2(&s, &meta(), &chunk(), &Measurements::new())
            .unwrap()
            .bytes,
    ] {
        let v = json(&bytes);
        let samples = v["profile"]["samples"].as_array().unwrap();
        let key = |x: &serde_json::Value| {
            x.get("timestamp")
                .and_then(|t| t.as_f64())
                .unwrap_or_else(|| {
                    x["elapsed_since_start_ns"]
                        .as_str()
                        .unwrap()
                        .parse()
                        .unwrap()
                })
        };
        assert!(samples.windows(2).all(|w| key(&w[0]) <= key(&w[1])));
    }
}

#[test]
fn deep_stacks_are_cut_and_counted() {
    let mut s = slice(6_000 * MS, &[false, false]);
    s.frames = (0..300).map(|i| frame(&format!("f{i}"))).collect();
    s.stacks[0] = (0..300).collect();
    let mut m = meta();
    m.max_stack_depth = 100;
    let out = encode_v2(&s, &m, &chunk(), &Measurements::new()).unwrap();
    assert_eq!(out.stats.truncated_stacks, 1);
    let v = json(&out.bytes);
    let stack = v["profile"]["stacks"][0].as_array().unwrap();
    assert_eq!(stack.len(), 100);
    assert_eq!(stack[0], 0, "the leaf is kept");
}

#[test]
fn measurements_carry_units_and_never_nan() {
    let s = slice(6_000 * MS, &[false, false]);
    let mut ms = Measurements::new();
    ms.insert(
        "cpu_usage".into(),
        MeasurementSeries {
            unit: MeasurementUnit::Percent,
            values: vec![
                MeasurementPoint {
                    mono_ns: 6_000 * MS,
                    value: 12.5,
                },
                MeasurementPoint {
                    mono_ns: 6_010 * MS,
                    value: f64::NAN,
                },
                MeasurementPoint {
                    mono_ns: 6_020 * MS,
                    value: f64::INFINITY,
                },
            ],
        },
    );
    ms.insert(
        "broken".into(),
        MeasurementSeries {
            unit: MeasurementUnit::Byte,
            values: vec![MeasurementPoint {
                mono_ns: 6_000 * MS,
                value: f64::NAN,
            }],
        },
    );
    let v1 = encode_v1(&s, &meta(), &txn(), &ms).unwrap();
    assert_eq!(v1.stats.dropped_non_finite, 3);
    let v = json(&v1.bytes);
    assert_eq!(v["measurements"]["cpu_usage"]["unit"], "percent");
    assert_eq!(
        v["measurements"]["cpu_usage"]["values"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert!(v["measurements"].get("broken").is_none());
    let v2 = encode_v2(&s, &meta(), &chunk(), &ms).unwrap();
    let v = json(&v2.bytes);
    assert_eq!(
        v["measurements"]["cpu_usage"]["values"][0]["timestamp"].as_f64(),
        Some(1_795_694_401.123_456)
    );
    for bytes in [&v1.bytes, &v2.bytes] {
        let text = std::str::from_utf8(bytes).unwrap();
        assert!(!text.contains("null") && !text.contains("NaN"));
    }
}

fn transaction_event(event_id: &str, trace_id: &str, profile_id: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "event_id": event_id,
        "type": "transaction",
        "platform": "node",
        "transaction": "GET /users",
        "start_timestamp": 1_795_694_401.0,
        "timestamp": 1_795_694_401.03,
        "contexts": {
            "trace": {"trace_id": trace_id, "span_id": "fa90fdead5f74053"},
            "profile": {"profile_id": profile_id}
        },
        "spans": []
    }))
    .unwrap()
}

/// Frames a test envelope the way the SDK does (the writer that ships is the
/// TypeScript envelope model, `src/envelope.ts`; the core only encodes payloads).
fn envelope_of(event_id: &str, items: &[(&str, &[u8])]) -> Vec<u8> {
    let header = serde_json::json!({
        "event_id": event_id,
        "sent_at": "2026-11-26T20:00:00.000Z",
        "sdk": serde_json::to_value(meta().sdk).unwrap(),
    });
    let mut out = serde_json::to_vec(&header).unwrap();
    for (item_type, payload) in items {
        let mut item = serde_json::json!({"type": item_type, "length": payload.len()});
        if *item_type == "profile_chunk" {
            item["platform"] = "node".into();
        } else {
            item["content_type"] = "application/json".into();
        }
        out.push(b'\n');
        out.extend(serde_json::to_vec(&item).unwrap());
        out.push(b'\n');
        out.extend_from_slice(payload);
    }
    out.push(b'\n');
    out
}

#[test]
fn encoded_payloads_validate_in_envelopes_plain_and_gzipped() {
    let t = txn();
    let s = slice(6_000 * MS, &[false, false, false]);
    let profile = encode_v1(&s, &meta(), &t, &Measurements::new()).unwrap();
    let event = transaction_event(&t.id, &t.trace_id, &t.profile_id);
    let bytes = envelope_of(
        &t.id,
        &[("transaction", &event), ("profile", &profile.bytes)],
    );
    let summary = validate_envelope(&bytes, false).unwrap();
    assert_eq!(summary.items.len(), 2);
    assert_eq!(summary.items[1].profile.map(|p| p.samples), Some(3));
    let gz = gzip(&bytes);
    validate_envelope(&gz, true).unwrap();
    assert_eq!(
        validate_envelope(&gz, false).unwrap_err().reason(),
        Reason::UndeclaredGzip
    );

    let chunk_payload = encode_v2(&s, &meta(), &chunk(), &Measurements::new()).unwrap();
    let bytes = envelope_of(&new_event_id(), &[("profile_chunk", &chunk_payload.bytes)]);
    validate_envelope(&bytes, false).unwrap();
}

#[test]
fn envelope_ties_profile_to_transaction() {
    let t = txn();
    let s = slice(6_000 * MS, &[false, false]);
    let profile = encode_v1(&s, &meta(), &t, &Measurements::new())
        .unwrap()
        .bytes;
    let build = |event: Vec<u8>| {
        validate_envelope(
            &envelope_of(&t.id, &[("transaction", &event), ("profile", &profile)]),
            false,
        )
    };
    build(transaction_event(&t.id, &t.trace_id, &t.profile_id)).unwrap();
    let other = new_event_id();
    for (event, want) in [
        (transaction_event(&t.id, &t.trace_id, &other), "profile_id"),
        (
            transaction_event(&other, &t.trace_id, &t.profile_id),
            "transaction.id",
        ),
        (transaction_event(&t.id, &other, &t.profile_id), "trace_id"),
    ] {
        let err = build(event).unwrap_err();
        assert_eq!(err.reason(), Reason::EnvelopeMismatch);
        assert!(err.message().contains(want), "{want}: {err}");
    }
}
