/**
 * A minimal protobuf writer: varints, length-delimited fields and nested messages,
 * enough to encode pprof's profile.proto.
 */
export class ProtoWriter {
  private chunks: number[] = [];

  private varint(value: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(value));
    while (v >= 0x80n) {
      this.chunks.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.chunks.push(Number(v));
  }

  private tag(field: number, wireType: 0 | 2): void {
    this.varint((field << 3) | wireType);
  }

  /** An int64/uint64 field; zero is the default and is left out. */
  int(field: number, value: number | bigint): this {
    if (value === 0 || value === 0n) return this;
    this.tag(field, 0);
    this.varint(value);
    return this;
  }

  /** A repeated integer field, packed. */
  packed(field: number, values: readonly number[]): this {
    if (values.length === 0) return this;
    const inner = new ProtoWriter();
    for (const v of values) inner.varint(v);
    return this.bytes(field, inner.finish());
  }

  /** A bytes field. */
  bytes(field: number, data: Uint8Array): this {
    this.tag(field, 2);
    this.varint(data.length);
    for (const b of data) this.chunks.push(b);
    return this;
  }

  /** A string field (written even when empty: the pprof string table needs "" at 0). */
  string(field: number, value: string): this {
    return this.bytes(field, Buffer.from(value, 'utf8'));
  }

  /** A nested message field. */
  message(field: number, build: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  /** The encoded bytes. */
  finish(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }
}

/** One field of a protobuf message: a varint, or the bytes of a length-delimited field. */
export interface ProtoField {
  field: number;
  varint?: bigint;
  bytes?: Uint8Array;
}

/**
 * A minimal protobuf reader (the counterpart of {@link ProtoWriter}): splits a message
 * into its fields; fixed-width fields are skipped. Throws on truncated input.
 */
export function readFields(buf: Uint8Array): ProtoField[] {
  const out: ProtoField[] = [];
  let pos = 0;
  const varint = (): bigint => {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= buf.length) throw new Error('truncated varint');
      const b = buf[pos++]!;
      v |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return v;
      shift += 7n;
      if (shift > 63n) throw new Error('varint too long');
    }
  };
  while (pos < buf.length) {
    const key = Number(varint());
    const field = key >>> 3;
    const wire = key & 7;
    if (wire === 0) out.push({ field, varint: varint() });
    else if (wire === 2) {
      const len = Number(varint());
      if (pos + len > buf.length) throw new Error('truncated field');
      out.push({ field, bytes: buf.subarray(pos, pos + len) });
      pos += len;
    } else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
  return out;
}

/** The values of a repeated integer field, packed or not. */
export function repeatedInts(fields: ProtoField[], field: number): number[] {
  const out: number[] = [];
  for (const f of fields) {
    if (f.field !== field) continue;
    if (f.varint !== undefined) out.push(Number(f.varint));
    else if (f.bytes) {
      for (const g of readFields(withKeys(f.bytes))) out.push(Number(g.varint ?? 0n));
    }
  }
  return out;
}

/** Packed varints re-read as a message of field-1 varints (each prefixed with key 0x08). */
function withKeys(packed: Uint8Array): Uint8Array {
  const out: number[] = [];
  out.push(0x08);
  for (let i = 0; i < packed.length; i++) {
    out.push(packed[i]!);
    if (packed[i]! < 0x80 && i + 1 < packed.length) out.push(0x08);
  }
  return Uint8Array.from(out);
}

/** The first varint of `field`, as a number (0 when absent). */
export function intField(fields: ProtoField[], field: number): number {
  const f = fields.find((x) => x.field === field && x.varint !== undefined);
  return f ? Number(f.varint) : 0;
}
