/**
 * The engine of the `node:inspector` fallback: `crates/core` compiled to WebAssembly
 * (`crates/wasm`, built by `npm run build:wasm` into `wasm/ferroprof.wasm`), the same
 * interning, store, chunk cutting, encoders and Relay's rules as the native addon.
 * This module only moves JSON commands in and replies out. Internal.
 *
 * The boundary (crates/wasm/src/abi.rs): `ferroprof_input(len)` sizes the module's
 * input buffer and returns its address; the command's UTF-8 JSON is written there and
 * `ferroprof_call(len)` runs it, returning the length of the reply at
 * `ferroprof_output()`: a u32 (little-endian) JSON length, the JSON, then the bytes of
 * the deliveries' data. Views of the memory are made after each call (a call may grow
 * the memory, which detaches earlier views).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { crypto } from '../builtins.js';
import { packageRoot } from '../loader.js';

/**
 * The part of the `WebAssembly` global used here (`@types/node` 20 does not declare it,
 * and the DOM library is not this package's).
 */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
  RuntimeError: new () => Error;
}

const wasmApi = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

/** Whether `err` is a trap of the module (a panic in the engine, or memory exhausted). */
export function isTrap(err: unknown): boolean {
  return err instanceof wasmApi.RuntimeError;
}

interface Exports {
  memory: { buffer: ArrayBuffer };
  ferroprof_input(len: number): number;
  ferroprof_call(len: number): number;
  ferroprof_validate(len: number, gzip: number): number;
  ferroprof_output(): number;
}

/** A reply: its JSON, and the data bytes that follow it (valid until the next call). */
export interface Reply<T> {
  json: T;
  data: Uint8Array;
}

/** Fills a range of the module's memory with random bytes (chunk ids). */
export type RandomFill = (bytes: Uint8Array) => void;

/** Where the built module is: `wasm/ferroprof.wasm` in the package. */
export function wasmPath(): string {
  return join(packageRoot(), 'wasm', 'ferroprof.wasm');
}

let compiled: object | undefined;

/** The compiled module, read and compiled once per isolate (synchronously: ~1 ms). */
function wasmModule(): object {
  compiled ??= new wasmApi.Module(readFileSync(wasmPath()));
  return compiled;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** One instance of the engine module: its own memory, its own engine. */
export class WasmEngine {
  private readonly exports: Exports;

  /** Throws when the module cannot be read, compiled or instantiated. */
  constructor(random: RandomFill = (b) => crypto().randomFillSync(b)) {
    let memory: Exports['memory'] | undefined;
    const imports = {
      ferroprof: {
        random_fill: (ptr: number, len: number) => {
          if (memory) random(new Uint8Array(memory.buffer, ptr >>> 0, len >>> 0));
        },
      },
    };
    const instance = new wasmApi.Instance(wasmModule(), imports);
    this.exports = instance.exports as Exports;
    memory = this.exports.memory;
  }

  private write(bytes: Uint8Array): number {
    const ptr = this.exports.ferroprof_input(bytes.length) >>> 0;
    new Uint8Array(this.exports.memory.buffer, ptr, bytes.length).set(bytes);
    return bytes.length;
  }

  /** The reply of `len` bytes at the output buffer: its JSON text and its data. */
  private reply(len: number): { text: string; data: Uint8Array } {
    const ptr = this.exports.ferroprof_output() >>> 0;
    const view = new Uint8Array(this.exports.memory.buffer, ptr, len >>> 0);
    const jsonLen = (view[0]! | (view[1]! << 8) | (view[2]! << 16) | (view[3]! << 24)) >>> 0;
    return { text: decoder.decode(view.subarray(4, 4 + jsonLen)), data: view.subarray(4 + jsonLen) };
  }

  private parsed<T>(reply: { text: string; data: Uint8Array }): Reply<T> {
    const json = JSON.parse(reply.text) as T | { error: string };
    if (json !== null && typeof json === 'object' && 'error' in json && typeof json.error === 'string') {
      throw new Error(json.error);
    }
    return { json: json as T, data: reply.data };
  }

  /** Runs one command given as JSON text; the reply as the engine wrote it. */
  callText(command: string): { text: string; data: Uint8Array } {
    const len = this.write(encoder.encode(command));
    return this.reply(this.exports.ferroprof_call(len));
  }

  /** Runs one command; a command the engine refuses throws its message (the native addon's). */
  call<T = Record<string, never>>(command: object): Reply<T> {
    return this.parsed<T>(this.callText(JSON.stringify(command)));
  }

  /** Checks an envelope by Relay's rules; throws `reason: message` when refused. */
  validate<T>(bytes: Uint8Array, gzip: boolean): T {
    const len = this.write(bytes);
    return this.parsed<T>(this.reply(this.exports.ferroprof_validate(len, gzip ? 1 : 0))).json;
  }
}

/** Decodes `data` as UTF-8 in the given lengths, in order. */
export function splitData(data: Uint8Array, lengths: readonly number[]): string[] {
  const out: string[] = [];
  let at = 0;
  for (const len of lengths) {
    out.push(decoder.decode(data.subarray(at, at + len)));
    at += len;
  }
  return out;
}
