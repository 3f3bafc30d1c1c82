//! Reading the parts that both sample formats share from untrusted JSON.

use std::collections::BTreeMap;

use serde_json::Value;

use super::check::check_version;
use super::json::{index, Obj};
use super::metadata::{DebugMeta, SdkInfo, ThreadMetadata};
use super::rejection::Rejection;
use crate::frame::Frame;

/// Relay's first, minimal pass: `version` routes the item. It must be a string.
pub(crate) fn read_version(root: &Obj, want: &str, item: &str) -> Result<String, Rejection> {
    match root.get("version") {
        None | Some(Value::Null) => check_version(None, want, item).map(|_| String::new()),
        Some(Value::String(v)) => check_version(Some(v), want, item).map(|_| v.clone()),
        Some(_) => Err(Rejection::field(format!(
            "version must be a string (\"{want}\"), not a number"
        ))),
    }
}

/// `frames`: every field optional, with Relay's aliases (`name`, `file`, `line`,
/// `column`). `instruction_addr` and `platform` are type-checked but not kept: the
/// Node profiler never sends them.
pub(crate) fn read_frames(profile: &Obj) -> Result<Vec<Frame>, Rejection> {
    let path = profile.path_of("frames");
    profile
        .arr_req("frames")?
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let f = Obj::at(v, format!("{path}[{i}]"))?;
            f.str_opt("instruction_addr")?;
            f.str_opt("platform")?;
            Ok(Frame {
                function: f.first_str(&["function", "name"])?,
                abs_path: f.str_opt("abs_path")?,
                filename: f.first_str(&["filename", "file"])?,
                module: f.str_opt("module")?,
                lineno: f.first_u32(&["lineno", "line"])?,
                colno: f.first_u32(&["colno", "column"])?,
                in_app: f.bool_opt("in_app")?,
            })
        })
        .collect()
}

/// `stacks`: arrays of frame indices.
pub(crate) fn read_stacks(profile: &Obj) -> Result<Vec<Vec<u32>>, Rejection> {
    let path = profile.path_of("stacks");
    profile
        .arr_req("stacks")?
        .iter()
        .enumerate()
        .map(|(i, stack)| match stack {
            Value::Array(frames) => frames
                .iter()
                .enumerate()
                .map(|(j, f)| index(f, &format!("{path}[{i}][{j}]")))
                .collect(),
            _ => Err(Rejection::field(format!(
                "{path}[{i}] must be an array of frame indices"
            ))),
        })
        .collect()
}

/// `thread_metadata`: `{ "<thread id>": {name?, priority?} }`.
pub(crate) fn read_thread_metadata(
    profile: &Obj,
) -> Result<Option<BTreeMap<String, ThreadMetadata>>, Rejection> {
    let Some(threads) = profile.obj_opt("thread_metadata")? else {
        return Ok(None);
    };
    threads
        .map()
        .iter()
        .map(|(tid, v)| {
            let t = Obj::at(v, threads.path_of(tid))?;
            let priority = t.first_u32(&["priority"])?;
            Ok((
                tid.clone(),
                ThreadMetadata {
                    name: t.str_opt("name")?,
                    priority,
                },
            ))
        })
        .collect::<Result<_, _>>()
        .map(Some)
}

pub(crate) fn read_debug_meta(root: &Obj) -> Result<Option<DebugMeta>, Rejection> {
    let Some(meta) = root.obj_opt("debug_meta")? else {
        return Ok(None);
    };
    let images = meta.arr_opt("images")?.unwrap_or_default().to_vec();
    Ok(Some(DebugMeta { images }))
}

pub(crate) fn read_sdk(obj: &Obj) -> Result<SdkInfo, Rejection> {
    Ok(SdkInfo {
        name: obj.str_req("name")?,
        version: obj.str_req("version")?,
    })
}

/// Measurement series: `{name: {unit, values: [..]}}`, each value read by `value`
/// and each series put together by `series(unit, values)`.
pub(crate) fn read_measurements<T, M>(
    root: &Obj,
    value: impl Fn(&Obj) -> Result<T, Rejection>,
    series: impl Fn(String, Vec<T>) -> M,
) -> Result<Option<BTreeMap<String, M>>, Rejection> {
    let Some(all) = root.obj_opt("measurements")? else {
        return Ok(None);
    };
    all.map()
        .iter()
        .map(|(name, series_json)| {
            let obj = Obj::at(series_json, all.path_of(name))?;
            let path = obj.path_of("values");
            let values = obj
                .arr_req("values")?
                .iter()
                .enumerate()
                .map(|(i, v)| value(&Obj::at(v, format!("{path}[{i}]"))?))
                .collect::<Result<Vec<T>, _>>()?;
            Ok((name.clone(), series(obj.str_req("unit")?, values)))
        })
        .collect::<Result<_, _>>()
        .map(Some)
}
