//! The JSON shape of a raw window (`encoding: raw`), as the TypeScript API reads it.

use std::collections::HashMap;

use serde::Serialize;

use crate::clock::ClockAnchor;
use crate::frame::Frame;
use crate::slice::ProfileSlice;
use crate::store::{ThreadId, VmState};

/// The JSON shape of a window handed to JavaScript (camelCase, numbers in ns/ms).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WindowPayload<'a> {
    id: u32,
    complete: bool,
    active_thread_id: ThreadId,
    start_ns: u64,
    end_ns: u64,
    /// Unix time of `start_ns`, milliseconds.
    start_unix_ms: f64,
    frames: &'a [Frame],
    stacks: &'a [Vec<u32>],
    samples: Vec<PayloadSample>,
    thread_names: HashMap<String, &'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PayloadSample {
    ts_ns: u64,
    thread_id: ThreadId,
    stack_id: u32,
    state: VmState,
}

impl<'a> WindowPayload<'a> {
    pub(crate) fn new(
        slice: &'a ProfileSlice,
        id: u32,
        active_thread_id: ThreadId,
        complete: bool,
    ) -> Self {
        let anchor = slice.anchor.unwrap_or(ClockAnchor::new(0, 0));
        Self {
            id,
            complete,
            active_thread_id,
            start_ns: slice.start_ns,
            end_ns: slice.end_ns,
            start_unix_ms: anchor.to_unix_ns(slice.start_ns) as f64 / 1e6,
            frames: &slice.frames,
            stacks: &slice.stacks,
            samples: slice
                .samples
                .iter()
                .map(|s| PayloadSample {
                    ts_ns: s.ts_ns,
                    thread_id: s.thread_id,
                    stack_id: s.stack_id,
                    state: s.state,
                })
                .collect(),
            thread_names: slice
                .thread_names
                .iter()
                .map(|(k, v)| (k.to_string(), v.as_str()))
                .collect(),
        }
    }
}
