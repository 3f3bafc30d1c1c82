//! Reading a `profile_chunk` (v2) payload from bytes into [`ProfileChunkV2`].

use serde_json::Value;

use super::json::{parse_json, Obj};
use super::model_v2::{
    MeasurementV2, MeasurementValueV2, ProfileChunkV2, SampleProfileV2, SampleV2,
};
use super::parse::{
    read_debug_meta, read_frames, read_measurements, read_sdk, read_stacks, read_thread_metadata,
    read_version,
};
use super::rejection::Rejection;

/// Parses a v2 payload, checking JSON types only (no semantic rules).
pub fn parse_v2(bytes: &[u8]) -> Result<ProfileChunkV2, Rejection> {
    let doc = parse_json(bytes)?;
    let root = Obj::root(&doc)?;
    let version = read_version(&root, "2", "profile_chunk")?;
    let platform = root.str_req("platform")?;
    let client_sdk = match root.non_null("client_sdk") {
        Some(v) => read_sdk(&Obj::at(v, "client_sdk".into())?)?,
        None => {
            return Err(Rejection::field(
                "client_sdk is required: an object {name, version}",
            ))
        }
    };
    let profile = root.obj_req("profile")?;
    Ok(ProfileChunkV2 {
        chunk_id: root.str_req("chunk_id")?,
        profiler_id: root.str_req("profiler_id")?,
        version,
        platform,
        release: root.str_opt("release")?,
        environment: root.str_opt("environment")?,
        client_sdk,
        profile: SampleProfileV2 {
            frames: read_frames(&profile)?,
            stacks: read_stacks(&profile)?,
            samples: read_samples(&profile)?,
            thread_metadata: read_thread_metadata(&profile)?,
        },
        debug_meta: read_debug_meta(&root)?,
        measurements: read_measurements(
            &root,
            |v| {
                Ok(MeasurementValueV2 {
                    timestamp: v.f64_req("timestamp", "Unix seconds")?,
                    value: v.f64_req("value", "a finite number")?,
                })
            },
            |unit, values| MeasurementV2 { unit, values },
        )?,
    })
}

fn read_samples(profile: &Obj) -> Result<Vec<SampleV2>, Rejection> {
    let path = profile.path_of("samples");
    profile
        .arr_req("samples")?
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let s = Obj::at(v, format!("{path}[{i}]"))?;
            let thread_id = match s.get("thread_id") {
                Some(Value::String(t)) => t.clone(),
                _ => {
                    return Err(Rejection::field(format!(
                        "{} must be a string (a JSON number is a type error in v2)",
                        s.path_of("thread_id")
                    )))
                }
            };
            Ok(SampleV2 {
                stack_id: s.index_req("stack_id")?,
                thread_id,
                timestamp: s.f64_req("timestamp", "Unix seconds")?,
            })
        })
        .collect()
}
