//! The Sentry test vectors in `tests/fixtures/`: every valid fixture passes and
//! round-trips, every invalid one is refused for the reason its README entry names.
//!
//! `FERROPROF_FIXTURES` may point at another copy of the vectors (same layout).

use std::path::PathBuf;

use ferroprof_core::sentry::{
    parse_v1, parse_v2, validate_envelope, validate_v1, validate_v2, Reason, Rejection,
};
use serde_json::{Map, Value};

fn fixtures_dir() -> PathBuf {
    match std::env::var_os("FERROPROF_FIXTURES") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures"),
    }
}

fn read(kind: &str, name: &str) -> Vec<u8> {
    let path = fixtures_dir().join(kind).join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn listing(kind: &str) -> Vec<String> {
    let dir = fixtures_dir().join(kind);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Validates a fixture with the validator its name calls for.
fn validate(name: &str, bytes: &[u8]) -> Result<(), Rejection> {
    if name.contains(".envelope") {
        validate_envelope(bytes, name.ends_with(".gz")).map(drop)
    } else if name.starts_with("profile-chunk-") {
        validate_v2(bytes).map(drop)
    } else {
        validate_v1(bytes).map(drop)
    }
}

const VALID: &[&str] = &[
    "profile-chunk-v2-idle-only-debug-meta.json",
    "profile-chunk-v2-minimal.json",
    "profile-chunk-v2-two-threads-measurements.json",
    "profile-chunk.envelope",
    "profile-chunk.envelope.gz",
    "profile-v1-idle-edges-legacy-fields.json",
    "profile-v1-idle-frames-debug-meta.json",
    "profile-v1-minimal.json",
    "profile-v1-no-thread-metadata.json",
    "profile-v1-two-threads.json",
    "transaction-continuous-profiler-id.envelope",
    "transaction-with-profile.envelope",
];

/// Every invalid fixture, the `expect:` text of the README, and our reason kind.
const INVALID: &[(&str, &str, Reason)] = &[
    (
        "profile-v1-one-sample.json",
        "not enough samples",
        Reason::NotEnoughSamples,
    ),
    (
        "profile-v1-one-sample-per-thread.json",
        "not enough samples",
        Reason::NotEnoughSamples,
    ),
    (
        "profile-v1-unsorted-samples.json",
        "not sorted",
        Reason::NotSorted,
    ),
    (
        "profile-v1-stack-id-out-of-range.json",
        "malformed samples",
        Reason::MalformedSamples,
    ),
    (
        "profile-v1-frame-index-out-of-range.json",
        "malformed stacks",
        Reason::MalformedStacks,
    ),
    (
        "profile-v1-empty-frames.json",
        "malformed stacks",
        Reason::MalformedStacks,
    ),
    (
        "profile-v1-missing-version.json",
        "version \"1\"",
        Reason::PlatformNotSupported,
    ),
    (
        "profile-v1-wrong-platform.json",
        "platform must be 'node'",
        Reason::WrongPlatform,
    ),
    (
        "profile-v1-no-transaction.json",
        "no transaction associated",
        Reason::NoTransaction,
    ),
    (
        "profile-v1-empty-transaction-name.json",
        "invalid transaction metadata",
        Reason::InvalidTransactionMetadata,
    ),
    (
        "profile-v1-too-long.json",
        "duration is too long",
        Reason::DurationTooLong,
    ),
    (
        "profile-v1-missing-device-architecture.json",
        "device.architecture",
        Reason::InvalidField,
    ),
    (
        "profile-v1-numeric-timestamp.json",
        "RFC 3339",
        Reason::InvalidField,
    ),
    (
        "profile-v1-negative-lineno.json",
        "lineno must be an unsigned 32-bit",
        Reason::InvalidField,
    ),
    (
        "profile-v1-stack-id-string.json",
        "stack_id must be a non-negative integer",
        Reason::InvalidField,
    ),
    (
        "profile-chunk-v2-one-sample.json",
        "not enough samples",
        Reason::NotEnoughSamples,
    ),
    (
        "profile-chunk-v2-thread-id-number.json",
        "thread_id must be a string",
        Reason::InvalidField,
    ),
    (
        "profile-chunk-v2-too-long.json",
        "duration is too long",
        Reason::DurationTooLong,
    ),
    (
        "profile-chunk-v2-timestamp-ms.json",
        "does not look like unix seconds",
        Reason::NotUnixSeconds,
    ),
    (
        "profile-chunk-v2-unsorted-samples.json",
        "not sorted",
        Reason::NotSorted,
    ),
    (
        "profile-chunk-v2-missing-profiler-id.json",
        "profiler_id",
        Reason::InvalidField,
    ),
    (
        "profile-chunk-v2-chunk-id-not-uuid.json",
        "chunk_id must be a UUID",
        Reason::InvalidField,
    ),
    (
        "profile-chunk-v2-missing-client-sdk.json",
        "client_sdk",
        Reason::InvalidField,
    ),
    (
        "profile-chunk-v2-version-1.json",
        "version \"2\"",
        Reason::PlatformNotSupported,
    ),
    (
        "profile-chunk-v2-stack-id-out-of-range.json",
        "malformed samples",
        Reason::MalformedSamples,
    ),
    (
        "profile-chunk-v2-wrong-platform.json",
        "platform must be 'node'",
        Reason::WrongPlatform,
    ),
    (
        "profile-chunk-v2-nan-timestamp.json",
        "not valid JSON",
        Reason::InvalidJson,
    ),
    (
        "envelope-profile-without-transaction.envelope",
        "without a transaction",
        Reason::ProfileWithoutTransaction,
    ),
    (
        "envelope-two-profiles.envelope",
        "too many profiles",
        Reason::TooManyProfiles,
    ),
    (
        "envelope-wrong-length.envelope",
        "not followed by a newline",
        Reason::EnvelopeFraming,
    ),
    ("envelope-crlf.envelope", "CRLF", Reason::EnvelopeFraming),
    (
        "envelope-undeclared-gzip.envelope",
        "without a declaration",
        Reason::UndeclaredGzip,
    ),
    (
        "envelope-gzip-item-payload.envelope",
        "gzip-compressed",
        Reason::CompressedItem,
    ),
    (
        "envelope-item-without-type.envelope",
        "has no string",
        Reason::EnvelopeFraming,
    ),
    (
        "envelope-chunk-header-platform-missing.envelope",
        "item header platform",
        Reason::ItemHeaderPlatform,
    ),
    (
        "envelope-profile-trace-id-mismatch.envelope",
        "trace_id",
        Reason::EnvelopeMismatch,
    ),
    (
        "envelope-invalid-profile-item.envelope",
        "not enough samples",
        Reason::NotEnoughSamples,
    ),
];

#[test]
fn the_tables_name_every_fixture() {
    let mut valid: Vec<String> = VALID.iter().map(|s| s.to_string()).collect();
    valid.sort();
    assert_eq!(listing("valid"), valid);
    let mut invalid: Vec<String> = INVALID.iter().map(|s| s.0.to_string()).collect();
    invalid.sort();
    assert_eq!(listing("invalid"), invalid);
}

#[test]
fn every_valid_fixture_validates() {
    for name in VALID {
        if let Err(e) = validate(name, &read("valid", name)) {
            panic!("{name}: {e}");
        }
    }
}

#[test]
fn every_invalid_fixture_is_refused_for_its_reason() {
    let mut failures = Vec::new();
    for (name, expect, reason) in INVALID {
        match validate(name, &read("invalid", name)) {
            Ok(()) => failures.push(format!("{name}: accepted")),
            Err(e) if !e.message().contains(expect) || e.reason() != *reason => failures.push(
                format!("{name}: want {reason} containing {expect:?}, got {e}"),
            ),
            Err(_) => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// --- round trips -------------------------------------------------------------
//
// A payload is parsed into the typed model and written again; the two must be the
// same JSON value after this normalisation, which erases only what the formats
// declare equivalent:
// - every number compares as an f64 (`1795694400.0` = `1795694400`);
// - the u64 fields that may be sent as integers or decimal strings
//   (thread ids, `elapsed_since_start_ns`, `active_thread_id`, `relative_*`)
//   compare as numbers (we always write strings, Python and Node style);
// - the legacy `transactions: [t, ..]` reads as `transaction: t`, and
//   `profile_id` as `event_id`.

const NUMERIC_STRING_KEYS: &[&str] = &[
    "thread_id",
    "elapsed_since_start_ns",
    "active_thread_id",
    "relative_start_ns",
    "relative_end_ns",
    "relative_cpu_start_ms",
    "relative_cpu_end_ms",
];

fn normalise(v: Value, key: Option<&str>) -> Value {
    match v {
        Value::Number(n) => Value::from(n.as_f64().unwrap()),
        Value::String(s) if key.is_some_and(|k| NUMERIC_STRING_KEYS.contains(&k)) => {
            match s.parse::<u64>() {
                Ok(n) => Value::from(n as f64),
                Err(_) => Value::String(s),
            }
        }
        Value::Array(a) => Value::Array(a.into_iter().map(|x| normalise(x, None)).collect()),
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, x)| {
                    let x = normalise(x, Some(&k));
                    (k, x)
                })
                .collect(),
        ),
        other => other,
    }
}

fn normalise_payload(v: Value) -> Value {
    let mut m: Map<String, Value> = match v {
        Value::Object(m) => m,
        other => panic!("payload is not an object: {other}"),
    };
    if !m.contains_key("transaction") {
        if let Some(Value::Array(mut ts)) = m.remove("transactions") {
            m.insert("transaction".into(), ts.remove(0));
        }
    }
    if !m.contains_key("event_id") {
        if let Some(id) = m.remove("profile_id") {
            m.insert("event_id".into(), id);
        }
    }
    normalise(Value::Object(m), None)
}

/// Parses a payload into the typed model and writes it again.
fn reencode(item_type: &str, bytes: &[u8]) -> Vec<u8> {
    let out = match item_type {
        "profile" => serde_json::to_vec(&parse_v1(bytes).unwrap()),
        "profile_chunk" => serde_json::to_vec(&parse_v2(bytes).unwrap()),
        _ => return bytes.to_vec(),
    };
    let out = out.unwrap();
    assert!(!out.contains(&b'\n'), "payloads are single-line JSON");
    out
}

fn assert_same_payload(what: &str, original: &[u8], written: &[u8]) {
    let a = normalise_payload(serde_json::from_slice(original).unwrap());
    let b = normalise_payload(serde_json::from_slice(written).unwrap());
    assert_eq!(a, b, "{what}");
}

#[test]
fn valid_payloads_round_trip_through_the_typed_model() {
    for name in VALID.iter().filter(|n| n.ends_with(".json")) {
        let bytes = read("valid", name);
        let item_type = if name.starts_with("profile-chunk-") {
            "profile_chunk"
        } else {
            "profile"
        };
        let written = reencode(item_type, &bytes);
        assert_same_payload(name, &bytes, &written);
        validate(name, &written).unwrap_or_else(|e| panic!("{name} re-encoded: {e}"));
    }
}

// The envelope writer that ships is the TypeScript envelope model (`src/envelope.ts`);
// `__test__/envelope-model.test.mjs` round-trips every valid fixture envelope through it
// and checks the result with this validator.
