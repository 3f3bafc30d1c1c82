//! ferroprof's engine for the `node:inspector` fallback, compiled to WebAssembly
//! (`wasm32-unknown-unknown`, `npm run build:wasm`): the same `crates/core` the native
//! addon runs, so interning, the store, chunk cutting, both Sentry formats and Relay's
//! rules exist once. [`host::Host`] turns the adapter's JSON commands into the engine's
//! messages; `abi` (WebAssembly only) is the boundary JavaScript calls.

#![deny(unsafe_code)]

pub mod host;
mod meta_json;
mod protocol;

// The only `unsafe` of this crate: the exported and imported functions of the module.
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod abi;
