// Argument checks of the public API. Every error names the call, the argument, what
// it accepts and what it got: `ferroprof: new Profile(transaction): transaction must
// be a Transaction (from startTransaction()), got undefined`.

/** A short, safe description of a value for an error message. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'undefined':
      return 'undefined';
    case 'string':
      return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
    case 'number':
    case 'boolean':
    case 'bigint':
      return `${typeof value} ${String(value)}`;
    case 'function':
      return 'a function';
    case 'symbol':
      return 'a symbol';
    default:
      if (Array.isArray(value)) return 'an array';
      if (value instanceof Uint8Array) return `a ${value.constructor.name}`;
      return value.constructor && value.constructor !== Object ? `a ${value.constructor.name}` : 'an object';
  }
}

/** A `TypeError` in the common form. */
export function argTypeError(call: string, name: string, accepts: string, value: unknown): TypeError {
  return new TypeError(`ferroprof: ${call}: ${name} must be ${accepts}, got ${describeValue(value)}`);
}

/** A `RangeError` in the common form. */
export function argRangeError(call: string, name: string, accepts: string, value: unknown): RangeError {
  return new RangeError(`ferroprof: ${call}: ${name} must be ${accepts}, got ${describeValue(value)}`);
}

/** `value` is a plain options object (or `undefined` when `optional`). */
export function checkObject(call: string, name: string, value: unknown, optional: boolean): void {
  if (value === undefined && optional) return;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw argTypeError(call, name, optional ? 'an object or undefined' : 'an object', value);
  }
}

/** `value` is a function. */
export function checkFunction(call: string, name: string, value: unknown): void {
  if (typeof value !== 'function') throw argTypeError(call, name, 'a function', value);
}

/** `value` is a string (non-empty unless `allowEmpty`). */
export function checkString(call: string, name: string, value: unknown, allowEmpty = false): void {
  if (typeof value !== 'string') throw argTypeError(call, name, allowEmpty ? 'a string' : 'a non-empty string', value);
  if (!allowEmpty && value === '') throw argRangeError(call, name, 'a non-empty string', value);
}

/** `value` is a finite number ≥ 0 of milliseconds; `undefined` gives `fallback`. */
export function checkTimeout(call: string, name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw argTypeError(call, name, 'a number of milliseconds (≥ 0)', value);
  if (!Number.isFinite(value) || value < 0) throw argRangeError(call, name, 'a finite number of milliseconds ≥ 0', value);
  return value;
}

/** `value` is an integer in [min, max]. */
export function checkInteger(call: string, name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number') throw argTypeError(call, name, `an integer in [${min}, ${max}]`, value);
  if (!Number.isInteger(value) || value < min || value > max)
    throw argRangeError(call, name, `an integer in [${min}, ${max}]`, value);
  return value;
}
