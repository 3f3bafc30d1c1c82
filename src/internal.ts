// Private entry (dist/internal.js, not in package.json `exports`): what the postinstall
// script and the packaging tests need from the loader. Not a public API.
export { NativeBindingError, binaryFileName, loadNativeBinding } from './loader.js';
export { nodeAbi, platformTag } from './platform.js';
// The WebAssembly engine of the inspector fallback and its batches, for the test that
// replays one recorded command log through it and the native build of the same crate
// (and for scripts/record-engine-fixture.mjs, which records that log).
export { batchOf } from './backend/profile.js';
export { WasmEngine, splitData } from './backend/wasm.js';
