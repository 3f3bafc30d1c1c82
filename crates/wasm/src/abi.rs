//! The WebAssembly boundary. JavaScript asks for an input buffer of `len` bytes
//! (`ferroprof_input`), writes a command into the module's memory there, and calls
//! `ferroprof_call(len)`; the reply waits in the output buffer (`ferroprof_output`,
//! its length returned by the call) until the next call. The buffers are plain `Vec`s
//! owned here: no raw pointer is ever dereferenced in Rust.
//!
//! Why `unsafe` is allowed here, outside the V8 bridge: exporting a symbol
//! (`#[no_mangle]`) and calling a function JavaScript provides (the random bytes of
//! chunk ids; there is no system randomness in `wasm32-unknown-unknown`) are the only
//! ways a WebAssembly module talks to its host, and the compiler counts both as
//! `unsafe`. Each is below, with why it is sound.
//!
//! The module runs on one JS thread: the `Mutex`es never contend, they only make the
//! statics safe Rust.

use std::sync::Mutex;

use crate::host::{chunk_id_from, Host};

#[link(wasm_import_module = "ferroprof")]
extern "C" {
    /// Fills `len` bytes at `ptr` in this module's memory with random bytes
    /// (`crypto.getRandomValues` in the adapter).
    fn random_fill(ptr: *mut u8, len: usize);
}

static HOST: Mutex<Option<Host>> = Mutex::new(None);
static INPUT: Mutex<Vec<u8>> = Mutex::new(Vec::new());
static OUTPUT: Mutex<Vec<u8>> = Mutex::new(Vec::new());

fn random_chunk_id() -> String {
    let mut bytes = [0u8; 16];
    // SAFETY: `bytes` is a live, writable 16-byte buffer of this module's memory for
    // the whole call, and the import writes exactly `len` bytes at `ptr` and keeps
    // neither (the adapter's `random_fill` fills a view of exactly that range).
    unsafe { random_fill(bytes.as_mut_ptr(), bytes.len()) };
    chunk_id_from(bytes)
}

fn with<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Makes the input buffer `len` bytes long; returns its address in memory.
#[no_mangle]
pub extern "C" fn ferroprof_input(len: usize) -> usize {
    let mut input = with(&INPUT);
    input.clear();
    input.resize(len, 0);
    input.as_mut_ptr() as usize
}

/// Runs the command in the first `len` bytes of the input buffer; returns the reply's
/// length (the reply is at `ferroprof_output()`).
#[no_mangle]
pub extern "C" fn ferroprof_call(len: usize) -> usize {
    let input = with(&INPUT);
    let command = &input[..len.min(input.len())];
    let mut host = with(&HOST);
    let host = host.get_or_insert_with(|| Host::new(Box::new(random_chunk_id)));
    let reply = host.call(command).into_bytes();
    store(reply)
}

/// Checks the envelope in the first `len` bytes of the input buffer by Relay's rules
/// (`gzip` non-zero: it is gzip-compressed); returns the reply's length.
#[no_mangle]
pub extern "C" fn ferroprof_validate(len: usize, gzip: u32) -> usize {
    let input = with(&INPUT);
    let reply = Host::validate(&input[..len.min(input.len())], gzip != 0).into_bytes();
    store(reply)
}

/// The address of the last reply.
#[no_mangle]
pub extern "C" fn ferroprof_output() -> usize {
    with(&OUTPUT).as_ptr() as usize
}

fn store(reply: Vec<u8>) -> usize {
    let mut out = with(&OUTPUT);
    *out = reply;
    out.len()
}
