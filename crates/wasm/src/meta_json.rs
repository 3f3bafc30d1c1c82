//! JSON shapes the fallback's adapter passes for encoding (its protocol with this
//! module is JSON): process-wide profile metadata, and per-window transaction or chunk
//! metadata, checked into the engine's typed structs. The engine itself parses no JSON.

use serde::Deserialize;

use ferroprof_core::engine::Encoding;
use ferroprof_core::sentry::{
    ChunkMeta, DeviceInfo, OsInfo, ProfileMeta, RuntimeInfo, SdkInfo, TransactionMeta,
    DEFAULT_MAX_STACK_DEPTH,
};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProfileMetaJson {
    sdk: SdkInfo,
    runtime: RuntimeInfo,
    os: OsInfo,
    device: DeviceInfo,
    release: Option<String>,
    environment: Option<String>,
    max_stack_depth: Option<usize>,
    /// Debug IDs by file path (`globalThis._sentryDebugIds`, resolved by the SDK).
    #[serde(default)]
    debug_ids: std::collections::BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TransactionJson {
    profile_id: String,
    id: String,
    name: String,
    trace_id: String,
    active_thread_id: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ChunkJson {
    profiler_id: String,
    chunk_id: String,
}

pub fn parse_profile_meta(json: &str) -> Result<ProfileMeta, String> {
    let m: ProfileMetaJson =
        serde_json::from_str(json).map_err(|e| format!("invalid profile metadata: {e}"))?;
    let mut meta = ProfileMeta::new(m.sdk, m.runtime, m.os, m.device);
    meta.release = m.release;
    meta.environment = m.environment;
    meta.max_stack_depth = m.max_stack_depth.unwrap_or(DEFAULT_MAX_STACK_DEPTH);
    meta.debug_ids = m.debug_ids;
    Ok(meta)
}

/// `encoding` is `raw`, `v1` (with transaction metadata) or `v2` (with chunk metadata).
pub fn parse_encoding(
    encoding: Option<&str>,
    meta: Option<&str>,
    active_thread_id: u64,
) -> Result<Encoding, String> {
    let need_meta = || meta.ok_or_else(|| "this encoding needs its metadata".to_string());
    match encoding.unwrap_or("raw") {
        "raw" => Ok(Encoding::Raw),
        "v1" => {
            let t: TransactionJson = serde_json::from_str(need_meta()?)
                .map_err(|e| format!("invalid transaction metadata: {e}"))?;
            Ok(Encoding::V1(TransactionMeta {
                profile_id: t.profile_id,
                id: t.id,
                name: t.name,
                trace_id: t.trace_id,
                active_thread_id: t.active_thread_id.unwrap_or(active_thread_id),
            }))
        }
        "v2" => {
            let c: ChunkJson = serde_json::from_str(need_meta()?)
                .map_err(|e| format!("invalid chunk metadata: {e}"))?;
            Ok(Encoding::V2(ChunkMeta {
                profiler_id: c.profiler_id,
                chunk_id: c.chunk_id,
            }))
        }
        other => Err(format!(
            "encoding must be 'raw', 'v1' or 'v2', got '{other}'"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_and_their_metadata_are_checked() {
        assert_eq!(parse_encoding(None, None, 3), Ok(Encoding::Raw));
        let v1 = parse_encoding(
            Some("v1"),
            Some(r#"{"profileId":"a","id":"b","name":"n","traceId":"t"}"#),
            3,
        )
        .unwrap();
        let Encoding::V1(meta) = v1 else { panic!("v1") };
        assert_eq!(meta.active_thread_id, 3, "defaults to the closing thread");
        assert!(parse_encoding(Some("v2"), None, 0)
            .unwrap_err()
            .contains("metadata"));
        assert!(parse_encoding(Some("v2"), Some("{}"), 0)
            .unwrap_err()
            .contains("chunk"));
        assert!(parse_encoding(Some("v9"), None, 0)
            .unwrap_err()
            .contains("'v9'"));
        assert!(parse_profile_meta("[]").is_err());
    }
}
