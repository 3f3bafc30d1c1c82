/**
 * Where a function is in the text V8 ran: its name token (the start) and the line of
 * its closing brace (the end). A frame brings its function's name, the column where
 * the function starts (where its parameter list begins, the only column V8 gives) and
 * the line executing in it; the start is the line where the name ends right before that
 * column, the end is found by matching brackets past strings, comments, template
 * literals and regular expressions.
 *
 * The span is what tells a real executing line from one of V8's inlining defect: V8
 * credits the ticks of code it inlined to the outer function with the inlined
 * function's line, which can lie outside the function, or in another script.
 */

/** A function's start (its name token) and, when its body could be matched, its last line. */
export interface FunctionSpan {
  /** 1-based line of the name token (or of `function`/`async` for anonymous ones). */
  line: number;
  /** 0-based column of that token. */
  column: number;
  /** 1-based line of the body's closing brace; absent for expression-bodied arrows and unmatched text. */
  endLine?: number;
}

/** How far from the executing line the function's start is looked for. */
const MAX_SCAN_LINES = 20_000;
/** How much text a function's body may span before matching gives up. */
const MAX_BODY_CHARS = 4 * 1024 * 1024;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The pattern of the text right before a function's parameter list, for its name. */
function startPattern(name: string): RegExp {
  const named = name && name !== '<anonymous>' ? escapeRegExp(name.split('.').pop()!) : undefined;
  // `name(`, `name = (`, `name: function (`, `function name(`, `async name(`.
  return named
    ? new RegExp(`(?:^|[^\\w$])(${named})\\s*(?:[:=]\\s*(?:async\\s*)?(?:function\\s*\\*?\\s*)?)?$`)
    : /(?:^|[^\w$])(function\s*\*?\s*|async\s*)$/;
}

/** The start on line `l` (1-based) of a function whose parameters begin at 0-based `col`. */
function startOn(lines: string[], l: number, col: number, pattern: RegExp): { line: number; column: number } | undefined {
  const text = lines[l - 1];
  if (text === undefined || text.length < col) return undefined;
  const m = pattern.exec(text.slice(0, col));
  return m ? { line: l, column: m.index + m[0].indexOf(m[1]!) } : undefined;
}

/**
 * The function named `name` whose parameters begin at 1-based column `startCol`: the
 * nearest such start at or above `line`, else the nearest below it (a line V8 got
 * wrong can lie before the function), with its end when the body can be matched.
 */
export function findFunction(src: SourceText, line: number, startCol: number, name: string): FunctionSpan | undefined {
  const lines = src.lines;
  const col = startCol - 1;
  const pattern = startPattern(name);
  let start: { line: number; column: number } | undefined;
  const from = Math.min(line, lines.length);
  for (let l = from; l >= 1 && l > from - MAX_SCAN_LINES && !start; l--) start = startOn(lines, l, col, pattern);
  for (let l = from + 1; l <= lines.length && l < from + MAX_SCAN_LINES && !start; l++) start = startOn(lines, l, col, pattern);
  if (!start) return undefined;
  const endLine = src.bodyEnd(start.line, col);
  return endLine === undefined ? start : { ...start, endLine };
}

/**
 * Whether `line` can be a line executing in `span`: within its start and end lines,
 * or, when its end is unknown, not beyond the file.
 */
export function lineInSpan(span: FunctionSpan, line: number, lineCount: number): boolean {
  if (line > lineCount || line < span.line) return false;
  return span.endLine === undefined || line <= span.endLine;
}

/** A file's text, split into lines once, with each line's offset. */
export class SourceText {
  readonly lines: string[];
  private readonly lineStarts: number[] = [0];
  /** Function body ends already matched, by the offset of their parameters. */
  private readonly ends = new Map<number, number | undefined>();

  constructor(readonly text: string) {
    this.lines = text.split(/\r?\n/);
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.lineStarts.push(i + 1);
  }

  /** The 1-based line holding character `offset`. */
  lineAt(offset: number): number {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  /** The 1-based end line of the body whose parameters begin at 1-based `line`, 0-based `col`. */
  bodyEnd(line: number, col: number): number | undefined {
    const offset = (this.lineStarts[line - 1] ?? this.text.length) + col;
    if (!this.ends.has(offset)) this.ends.set(offset, bodyEndLine(this, offset));
    return this.ends.get(offset);
  }
}

/** A cursor over a file's text, bounded to {@link MAX_BODY_CHARS} from where it starts. */
class Cursor {
  private readonly text: string;
  private readonly end: number;

  constructor(
    private readonly src: SourceText,
    public i: number,
  ) {
    this.text = src.text;
    this.end = Math.min(this.text.length, i + MAX_BODY_CHARS);
  }

  get ch(): string {
    return this.i < this.end ? this.text[this.i]! : '';
  }

  at(k: number): string {
    return this.i + k < this.end ? this.text[this.i + k]! : '';
  }

  get done(): boolean {
    return this.i >= this.end;
  }

  /** 1-based line of the cursor. */
  line(): number {
    return this.src.lineAt(this.i);
  }

  /** Skips white space and comments. */
  skipBlank(): void {
    for (;;) {
      if (/\s/.test(this.ch)) this.i++;
      else if (this.ch === '/' && this.at(1) === '/') this.skipTo('\n');
      else if (this.ch === '/' && this.at(1) === '*') {
        const end = this.text.indexOf('*/', this.i + 2);
        this.i = end < 0 ? this.end : end + 2;
      } else return;
    }
  }

  private skipTo(s: string): void {
    const end = this.text.indexOf(s, this.i);
    this.i = end < 0 ? this.end : end;
  }

  /** Skips a quoted string starting at the cursor; false when it does not end on its line. */
  skipString(): boolean {
    const quote = this.ch;
    this.i++;
    while (!this.done) {
      const c = this.ch;
      if (c === '\\') this.i += 2;
      else if (c === quote) {
        this.i++;
        return true;
      } else if (c === '\n') return false;
      else this.i++;
    }
    return false;
  }

  /** Skips a template literal starting at the cursor, its `${…}` parts included. */
  skipTemplate(): boolean {
    this.i++;
    while (!this.done) {
      const c = this.ch;
      if (c === '\\') this.i += 2;
      else if (c === '`') {
        this.i++;
        return true;
      } else if (c === '$' && this.at(1) === '{') {
        this.i++;
        if (!this.skipBalanced()) return false;
      } else this.i++;
    }
    return false;
  }

  /** Skips a regular expression literal starting at the cursor. */
  skipRegExp(): boolean {
    this.i++;
    let inClass = false;
    while (!this.done) {
      const c = this.ch;
      if (c === '\\') this.i += 2;
      else if (c === '\n') return false;
      else {
        if (c === '[') inClass = true;
        else if (c === ']') inClass = false;
        else if (c === '/' && !inClass) {
          this.i++;
          while (/[\w$]/.test(this.ch)) this.i++;
          return true;
        }
        this.i++;
      }
    }
    return false;
  }

  /**
   * Skips from an opening bracket at the cursor past its closing one; false when the
   * text ends first or the brackets do not match.
   */
  skipBalanced(): boolean {
    const stack: string[] = [];
    const closer: Record<string, string> = { '(': ')', '[': ']', '{': '}' };
    // The last significant token, to tell a regular expression from a division.
    let prev = '';
    while (!this.done) {
      const c = this.ch;
      if (c === '/' && (this.at(1) === '/' || this.at(1) === '*')) {
        this.skipBlank();
        continue;
      }
      if (c === '"' || c === "'") {
        if (!this.skipString()) return false;
        prev = 'a';
        continue;
      }
      if (c === '`') {
        if (!this.skipTemplate()) return false;
        prev = 'a';
        continue;
      }
      if (
        c === '/' &&
        (prev === '' ||
          /[(,=:[!&|?{};+\-*%<>~^]$/.test(prev) ||
          /^(return|typeof|case|do|else|in|of|new|delete|void|throw|yield|await)$/.test(prev))
      ) {
        if (!this.skipRegExp()) return false;
        prev = 'a';
        continue;
      }
      if (closer[c]) stack.push(closer[c]!);
      else if (c === ')' || c === ']' || c === '}') {
        if (stack.pop() !== c) return false;
        if (stack.length === 0) {
          this.i++;
          return true;
        }
      }
      if (/[\w$]/.test(c)) {
        const m = /^[\w$]+/.exec(this.text.slice(this.i, this.i + 64))!;
        prev = m[0];
        this.i += m[0].length;
        continue;
      }
      if (!/\s/.test(c)) prev = c;
      this.i++;
    }
    return false;
  }
}

/**
 * The 1-based line of the closing brace of the function whose parameters begin at
 * `offset`; `undefined` when it has no block body (an expression-bodied arrow) or the
 * text does not match up.
 */
function bodyEndLine(src: SourceText, offset: number): number | undefined {
  const c = new Cursor(src, offset);
  // The parameters: a list in parentheses, or an arrow function's one name.
  if (c.ch === '(') {
    if (!c.skipBalanced()) return undefined;
  } else if (/[\w$]/.test(c.ch)) {
    while (/[\w$]/.test(c.ch)) c.i++;
  } else return undefined;
  c.skipBlank();
  // A TypeScript return type: its object types, generics and tuples are bracketed; the
  // body is the first brace that does not open a type (one after a name or a bracket).
  if (c.ch === ':') {
    c.i++;
    let prev = ':';
    for (;;) {
      c.skipBlank();
      if (c.done) return undefined;
      const ch = c.at(0);
      if (ch === '{' && /[\w$)\]}>]/.test(prev)) break;
      if (ch === '{' || ch === '(' || ch === '[') {
        if (!c.skipBalanced()) return undefined;
        prev = '}';
      } else if (ch === '=' && c.at(1) === '>') {
        c.i += 2;
        prev = '=>';
      } else if (ch === ';' || ch === '}') return undefined;
      else {
        prev = ch;
        c.i++;
      }
    }
  }
  if (c.ch === '=' && c.at(1) === '>') {
    c.i += 2;
    c.skipBlank();
  }
  if (c.ch !== '{') return undefined;
  if (!c.skipBalanced()) return undefined;
  c.i--;
  return c.line();
}
