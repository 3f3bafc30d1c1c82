//! One engine: a command log recorded from real `node:inspector` profiles
//! (`fixtures/engine-replay.jsonl`, made by `scripts/record-engine-fixture.mts`) is run
//! through the engine built natively, and every reply and payload must be, byte for
//! byte, the transcript in `fixtures/engine-replay.expected.json`. The WebAssembly
//! build is held to the same transcript by `__test__/wasm-engine.test.mjs`, so the two
//! builds give identical `profile` and `profile_chunk` payloads.
//!
//! `FERROPROF_BLESS=1 cargo test -p ferroprof-wasm` rewrites the transcript after a
//! deliberate format change.

use std::path::PathBuf;

use ferroprof_wasm::host::{chunk_id_from, Host};
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
        .join(name)
}

/// The chunk ids of the replay: 1, 2, 3... as 16 little-endian bytes (the JavaScript
/// test fills the module's random bytes the same way).
fn counting_ids() -> ferroprof_core::engine::ChunkIdSource {
    let mut n: u128 = 0;
    Box::new(move || {
        n += 1;
        chunk_id_from(n.to_le_bytes())
    })
}

/// Each command's reply: its JSON, and its data as UTF-8 text.
fn transcript(log: &str) -> Value {
    let mut host = Host::new(counting_ids());
    let replies: Vec<Value> = log
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let reply = host.call(line.as_bytes());
            serde_json::json!({
                "reply": reply.json,
                "data": String::from_utf8(reply.data).expect("payloads are UTF-8"),
            })
        })
        .collect();
    Value::Array(replies)
}

#[test]
fn the_recorded_log_gives_the_recorded_payloads() {
    let log = std::fs::read_to_string(fixture("engine-replay.jsonl")).unwrap();
    let got = transcript(&log);
    let path = fixture("engine-replay.expected.json");
    let text = serde_json::to_string_pretty(&got).unwrap() + "\n";
    if std::env::var("FERROPROF_BLESS").as_deref() == Ok("1") {
        std::fs::write(&path, &text).unwrap();
    }
    let want = std::fs::read_to_string(&path).unwrap();
    assert!(
        text == want,
        "the transcript differs from {}",
        path.display()
    );

    // The log exercises what the fallback needs: transaction profiles, chunks cut by
    // the engine, a last chunk, an explicit v2 close and a raw window, all encoded.
    let mut results: Vec<Value> = Vec::new();
    for r in got.as_array().unwrap() {
        if let Some(Ok(reply)) = r["reply"].as_str().map(serde_json::from_str::<Value>) {
            results.extend(reply["results"].as_array().cloned().unwrap_or_default());
        }
    }
    let kinds: Vec<&str> = results.iter().filter_map(|r| r["kind"].as_str()).collect();
    assert!(
        kinds.iter().filter(|k| **k == "encoded").count() >= 4,
        "{kinds:?}"
    );
    assert!(kinds.contains(&"raw"), "{kinds:?}");
    assert!(
        results.iter().filter(|r| r["chunkId"].is_string()).count() >= 2,
        "chunks cut by the engine"
    );
}

#[test]
fn bad_commands_get_an_error_not_a_panic() {
    let mut host = Host::new(counting_ids());
    for bad in [
        &b"not json"[..],
        br#"{"op":"poll","nowNs":1}"#,
        br#"{"op":"nope"}"#,
    ] {
        let reply = host.call(bad);
        assert!(reply.json.contains("\"error\""), "{}", reply.json);
    }
    let init = br#"{"op":"init","anchor":{"monoNs":"1","unixNs":"x"}}"#;
    assert!(host.call(init).json.contains("decimal nanoseconds"));
    let init = br#"{"op":"init","anchor":{"monoNs":"1","unixNs":"1700000000000000000"}}"#;
    assert_eq!(host.call(init).json, "{}");
    let meta = br#"{"op":"close","id":9,"endNs":5,"nowNs":5,"activeThreadId":0,"ticket":1,"encoding":"v1","meta":"{}","waitNs":0}"#;
    assert!(host
        .call(meta)
        .json
        .contains("invalid transaction metadata"));
}
