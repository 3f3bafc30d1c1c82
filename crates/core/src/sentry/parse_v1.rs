//! Reading a `profile` (v1) payload from bytes into [`ProfileV1`], type errors first.

use serde_json::Value;

use super::json::{parse_json, Obj};
use super::metadata::{DeviceInfo, OsInfo, RuntimeInfo};
use super::model_v1::{
    MeasurementV1, MeasurementValueV1, ProfileV1, SampleProfileV1, SampleV1, TransactionMetadata,
};
use super::parse::{
    read_debug_meta, read_frames, read_measurements, read_stacks, read_thread_metadata,
    read_version,
};
use super::rejection::{Reason, Rejection};

/// Parses a v1 payload, checking JSON types only (no semantic rules).
pub fn parse_v1(bytes: &[u8]) -> Result<ProfileV1, Rejection> {
    let doc = parse_json(bytes)?;
    let root = Obj::root(&doc)?;
    let version = read_version(&root, "1", "profile")?;
    let platform = root.str_req("platform")?;
    let event_id = match root.get("event_id") {
        Some(_) => root.str_req("event_id")?,
        None => root
            .str_req("profile_id")
            .map_err(|_| Rejection::field("event_id is required and must be a string (a UUID)"))?,
    };
    let timestamp =
        match root.get("timestamp") {
            Some(Value::String(s)) => s.clone(),
            _ => return Err(Rejection::field(
                "timestamp is required and must be an RFC 3339 string (a number does not parse)",
            )),
        };
    let device = root.obj_req("device")?;
    let os = root.obj_req("os")?;
    let runtime = root
        .obj_opt("runtime")?
        .map(|r| -> Result<RuntimeInfo, Rejection> {
            Ok(RuntimeInfo {
                name: r.str_req("name")?,
                version: r.str_req("version")?,
            })
        })
        .transpose()?;
    let profile = root.obj_req("profile")?;
    Ok(ProfileV1 {
        event_id,
        version,
        platform,
        timestamp,
        release: root.str_opt("release")?,
        environment: root.str_opt_not_null("environment")?,
        dist: root.str_opt_not_null("dist")?,
        device: DeviceInfo {
            architecture: device.str_req("architecture")?,
            model: device.str_opt("model")?,
            manufacturer: device.str_opt("manufacturer")?,
            locale: device.str_opt("locale")?,
            is_emulator: device.bool_opt("is_emulator")?,
        },
        os: OsInfo {
            name: os.str_req("name")?,
            version: os.str_req("version")?,
            build_number: os.str_opt("build_number")?,
        },
        runtime,
        transaction: read_transaction(&root)?,
        profile: SampleProfileV1 {
            frames: read_frames(&profile)?,
            stacks: read_stacks(&profile)?,
            samples: read_samples(&profile)?,
            thread_metadata: read_thread_metadata(&profile)?,
        },
        debug_meta: read_debug_meta(&root)?,
        measurements: read_measurements(
            &root,
            |v| {
                Ok(MeasurementValueV1 {
                    elapsed_since_start_ns: v.u64ish_req("elapsed_since_start_ns")?,
                    value: v.f64_req("value", "a finite number")?,
                })
            },
            |unit, values| MeasurementV1 { unit, values },
        )?,
    })
}

/// `transaction`, or the first entry of the legacy `transactions` array.
fn read_transaction(root: &Obj) -> Result<TransactionMetadata, Rejection> {
    let txn = match (root.non_null("transaction"), root.arr_opt("transactions")?) {
        (Some(t), _) => Obj::at(t, "transaction".into()),
        (None, Some([first, ..])) => Obj::at(first, "transactions[0]".into()),
        (None, _) => {
            return Err(Rejection::new(
                Reason::NoTransaction,
                "no transaction associated with this profile (neither `transaction` nor \
                 `transactions` is present)",
            ))
        }
    };
    let read = || -> Result<TransactionMetadata, Rejection> {
        let t = txn?;
        Ok(TransactionMetadata {
            id: t.str_req("id")?,
            name: t.str_req("name")?,
            trace_id: t.str_req("trace_id")?,
            active_thread_id: t.u64ish_opt("active_thread_id")?,
            relative_start_ns: t.u64ish_opt("relative_start_ns")?,
            relative_end_ns: t.u64ish_opt("relative_end_ns")?,
            relative_cpu_start_ms: t.u64ish_opt("relative_cpu_start_ms")?,
            relative_cpu_end_ms: t.u64ish_opt("relative_cpu_end_ms")?,
        })
    };
    read().map_err(|e| {
        Rejection::new(
            Reason::InvalidTransactionMetadata,
            format!("invalid transaction metadata: {}", e.message()),
        )
    })
}

fn read_samples(profile: &Obj) -> Result<Vec<SampleV1>, Rejection> {
    let path = profile.path_of("samples");
    profile
        .arr_req("samples")?
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let s = Obj::at(v, format!("{path}[{i}]"))?;
            Ok(SampleV1 {
                stack_id: s.index_req("stack_id")?,
                thread_id: s.u64ish_req("thread_id")?,
                elapsed_since_start_ns: s.u64ish_req("elapsed_since_start_ns")?,
            })
        })
        .collect()
}
