/**
 * The body as the marketplace's Java demo re-serialises it before signing (spec §3.2-§3.4): Jackson
 * reads the body into a map, a TreeMap sorts its top-level keys, top-level nulls are dropped, and
 * Jackson writes it back compact. Written here from the body's bytes rather than from JSON.parse's
 * result, which would lose what Jackson keeps: the digits of integers beyond 2^53, the arrival order
 * of integer-like keys, and whether a number was written as a float ("1.0" stays a float in Java).
 * The work is on bytes, copied in runs: every byte JSON gives meaning to is ASCII, and UTF-8 never
 * uses an ASCII byte inside a multi-byte character.
 */

/** Kit calls: values as Jackson types them. Basic calls: the demo reads a Map<String,String>. */
export type CanonicalChannel = 'kit' | 'basic';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MINUS = 0x2d;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const LETTER_N = 0x6e;

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isSpace = (c: number | undefined) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
/** A number's bytes after its first: digits, fraction, exponent. */
const isNumberPart = (c: number | undefined) => c !== undefined && (isDigit(c) || c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b || c === MINUS);
const isScalarStart = (c: number) => c === MINUS || isDigit(c) || c === 0x74 || c === 0x66;

class NotJson extends Error {
  constructor(at: number) {
    super(`body: not valid JSON at byte ${at}`);
  }
}

/**
 * The Java demo's form of a JSON object's UTF-8 bytes, for the channel's rules. Meant for a body
 * JSON.parse accepts; other input throws or gives a form no signature matches.
 */
export function canonicalPayload(raw: Buffer, channel: CanonicalChannel): Buffer {
  const bom = raw[0] === 0xef && raw[1] === 0xbb && raw[2] === 0xbf ? 3 : 0;
  const s = new Scanner(raw, bom);
  s.skipSpace();
  s.expect(OPEN_OBJECT);
  // Later duplicates win, as in the demo's map; a null (even a later one) leaves the key out.
  const members = new Map<string, { start: number; end: number }>();
  s.skipSpace();
  if (raw[s.at] === CLOSE_OBJECT) s.at++;
  else {
    for (;;) {
      const start = s.out.length;
      const key = s.key();
      s.skipSpace();
      s.expect(COLON);
      s.skipSpace();
      const first = raw[s.at]!;
      if (first === LETTER_N) {
        s.out.length = start;
        s.at = s.literalEnd(s.at);
        members.delete(key);
      } else {
        s.out.byte(COLON);
        // Jackson gives a basic call's number or boolean the text as written ("testFlag":1 → "1",
        // 1.50 → "1.50"). An object or array it cannot read as a string at all: kept as JSON.
        if (channel === 'basic' && isScalarStart(first)) s.quotedScalar();
        else s.value();
        members.set(key, { start, end: s.out.length });
      }
      s.skipSpace();
      if (raw[s.at] === COMMA) {
        s.at++;
        s.skipSpace();
        continue;
      }
      s.expect(CLOSE_OBJECT);
      break;
    }
  }
  s.skipSpace();
  if (s.at < raw.length) throw new NotJson(s.at);
  return sortedObject(s.out.buf, members);
}

/** `{` + the members in key order + `}`. String.compareTo (TreeMap's order) and sort() both compare UTF-16 code units. */
function sortedObject(written: Buffer, members: Map<string, { start: number; end: number }>): Buffer {
  const keys = [...members.keys()].sort();
  let size = 1 + Math.max(keys.length, 1);
  for (const m of members.values()) size += m.end - m.start;
  const out = Buffer.allocUnsafe(size);
  out[0] = OPEN_OBJECT;
  let at = 1;
  keys.forEach((key, i) => {
    if (i) out[at++] = COMMA;
    const m = members.get(key)!;
    at += written.copy(out, at, m.start, m.end);
  });
  out[at] = CLOSE_OBJECT;
  return out;
}

/** A growing byte buffer. */
class Output {
  buf: Buffer;
  length = 0;
  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(bigger, 0, 0, this.length);
    this.buf = bigger;
  }

  byte(c: number): void {
    this.room(1);
    this.buf[this.length++] = c;
  }

  bytes(src: Buffer, start: number, end: number): void {
    this.room(end - start);
    if (end - start > 32) this.length += src.copy(this.buf, this.length, start, end);
    else for (let i = start; i < end; i++) this.buf[this.length++] = src[i]!;
  }

  text(s: string): void {
    this.room(Buffer.byteLength(s));
    this.length += this.buf.write(s, this.length);
  }
}

class Scanner {
  /** Mostly the input less its spaces: it rarely grows (a float such as 1e5 printed as 100000.0). */
  readonly out: Output;
  constructor(
    readonly b: Buffer,
    public at: number,
  ) {
    this.out = new Output(b.length + 64);
  }

  skipSpace(): void {
    while (isSpace(this.b[this.at])) this.at++;
  }

  expect(c: number): void {
    if (this.b[this.at] !== c) throw new NotJson(this.at);
    this.at++;
  }

  /** The end of the string starting at `at` (after its closing quote), and whether it has escapes. */
  stringEnd(at: number): { end: number; escaped: boolean } {
    const b = this.b;
    let escaped = false;
    let i = at + 1;
    for (;;) {
      const c = b[i];
      if (c === QUOTE) return { end: i + 1, escaped };
      if (c === BACKSLASH) {
        escaped = true;
        i += 2;
      } else if (c === undefined) throw new NotJson(at);
      else i++;
    }
  }

  /** Writes a member name as Jackson does; returns it as the map holds it (decoded). */
  key(): string {
    const b = this.b;
    const start = this.at;
    if (b[start] !== QUOTE) throw new NotJson(start);
    const { end, escaped } = this.stringEnd(start);
    this.at = end;
    if (!escaped) {
      this.out.bytes(b, start, end);
      return b.toString('utf8', start + 1, end - 1);
    }
    const decoded = decodeString(b, start, end);
    this.out.text(jacksonString(decoded));
    return decoded;
  }

  /**
   * Writes the value starting at `at` as Jackson writes it back and moves past it. Bytes Jackson
   * writes unchanged (most of them) are copied in runs; only spaces, escaped strings and numbers
   * Java prints differently break a run.
   */
  value(): void {
    const b = this.b;
    const out = this.out;
    let i = this.at;
    let depth = 0;
    let run = i;
    do {
      const c = b[i];
      if (c === QUOTE) {
        const { end, escaped } = this.stringEnd(i);
        if (escaped) {
          out.bytes(b, run, i);
          out.text(jacksonString(decodeString(b, i, end)));
          run = end;
        }
        i = end;
      } else if (c === MINUS || isDigit(c!)) {
        const start = i;
        let float = false;
        while (isNumberPart(b[++i])) float ||= !isDigit(b[i]!);
        // "-0" is the int 0 to Jackson; any other integer keeps its digits (Integer, Long or BigInteger).
        if (float || (i - start === 2 && c === MINUS && b[start + 1] === 0x30)) {
          out.bytes(b, run, start);
          out.text(float ? floatText(b.toString('latin1', start, i), start) : '0');
          run = i;
        }
      } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
        depth++;
        i++;
      } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
        if (--depth < 0) throw new NotJson(i);
        i++;
      } else if (isSpace(c)) {
        out.bytes(b, run, i);
        while (isSpace(b[++i]));
        run = i;
      } else if (c === 0x74 || c === 0x66 || c === LETTER_N) {
        i = this.literalEnd(i);
      } else if ((c === COLON || c === COMMA) && depth > 0) {
        i++;
      } else {
        throw new NotJson(i);
      }
    } while (depth > 0);
    out.bytes(b, run, i);
    this.at = i;
  }

  /** Writes the number, true or false starting at `at` as a string of its text. */
  quotedScalar(): void {
    const b = this.b;
    const start = this.at;
    let end = start + 1;
    if (b[start] === MINUS || isDigit(b[start]!)) while (isNumberPart(b[end])) end++;
    else end = this.literalEnd(start);
    this.out.byte(QUOTE);
    this.out.bytes(b, start, end);
    this.out.byte(QUOTE);
    this.at = end;
  }

  /** The end of true, false or null at `at`. */
  literalEnd(at: number): number {
    for (const word of ['true', 'false', 'null']) {
      if (this.b.toString('latin1', at, at + word.length) === word) return at + word.length;
    }
    throw new NotJson(at);
  }
}

function decodeString(b: Buffer, start: number, end: number): string {
  try {
    return JSON.parse(b.toString('utf8', start, end)) as string;
  } catch {
    throw new NotJson(start);
  }
}

const FLOAT = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** A number with a fraction or exponent: a Double to Jackson, printed by Java. */
function floatText(text: string, at: number): string {
  if (!FLOAT.test(text)) throw new NotJson(at);
  const x = Number(text);
  // Jackson writes the Doubles JSON has no number for as strings.
  return Number.isFinite(x) ? javaDouble(x) : x > 0 ? '"Infinity"' : '"-Infinity"';
}

/**
 * Java's Double.toString (the JDK 19+ definition, which older JDKs meet for all but rare values):
 * the shortest digits that read back as the same double, but at least two when a single digit
 * would do (the closer of them: 4.9E-324, not 5E-324); plain between 10^-3 and 10^7 with at
 * least one fraction digit ("100.0"), otherwise d.dddE±n ("1.0E10", "1.5E-7").
 */
export function javaDouble(x: number): string {
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  const a = Math.abs(x);
  let { digits, exp } = decimal(a.toExponential());
  if (digits.length === 1) {
    const two = a.toExponential(1);
    if (Number(two) === a) ({ digits, exp } = decimal(two));
  }
  if (exp < -3 || exp >= 7) return `${sign}${digits[0]}.${digits.slice(1) || '0'}E${exp}`;
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const whole = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
  return `${sign}${whole}.${digits.slice(exp + 1) || '0'}`;
}

/** The significant digits (no trailing zeros) and decimal exponent of toExponential's text. */
function decimal(exponential: string): { digits: string; exp: number } {
  const e = exponential.indexOf('e');
  const digits = (exponential[0]! + exponential.slice(2, e)).replace(/0+$/, '') || '0';
  return { digits, exp: Number(exponential.slice(e + 1)) };
}

/**
 * A string as Jackson writes it: only '"', '\' and control characters escaped, the short forms
 * where JSON has them and \u00XX (upper-case hex) otherwise; everything else as it is. Java then
 * encodes a lone surrogate half (only an escape can make one) as '?'.
 */
export function jacksonString(s: string): string {
  const json = JSON.stringify(s);
  if (!json.includes('\\u')) return json;
  return json.replace(/\\(?:u([0-9a-f]{4})|.)/g, (escape, hex?: string) => {
    if (!hex) return escape;
    return hex.startsWith('d') ? '?' : `\\u${hex.toUpperCase()}`;
  });
}
