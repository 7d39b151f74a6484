import { describe, expect, it } from 'vitest';
import { canonicalPayload, type CanonicalChannel } from '../../src/marketplace/canonicalJson.js';

/** The Java demo's bytes for a body, as text (the expectations below are what Jackson writes). */
const form = (body: string, channel: CanonicalChannel = 'kit') => canonicalPayload(Buffer.from(body, 'utf8'), channel).toString('utf8');

describe("the Java demo's canonical form", () => {
  it('sorts top-level keys as a TreeMap does, integer-like ones too ("10" before "9")', () => {
    expect(form('{"9":"nine","b":1,"10":"ten","B":2,"a":3}')).toBe('{"10":"ten","9":"nine","B":2,"a":3,"b":1}');
  });

  it('keeps nested keys in arrival order, integer-like ones too', () => {
    expect(form('{"o":{"10":1,"9":2,"b":3,"a":4},"l":[{"9":0,"10":1}]}')).toBe('{"l":[{"9":0,"10":1}],"o":{"10":1,"9":2,"b":3,"a":4}}');
  });

  it('sorts by UTF-16 code units, as String.compareTo: upper case first, U+1F600 (a surrogate pair) before U+FFEE', () => {
    expect(form('{"é":1,"😀":2,"\uffee":3,"Z":4,"z":5}')).toBe('{"Z":4,"z":5,"é":1,"😀":2,"\uffee":3}');
  });

  it('drops top-level nulls and keeps nested ones', () => {
    expect(form('{"a":null,"b":{"c":null},"d":[null]}')).toBe('{"b":{"c":null},"d":[null]}');
  });

  it('takes the last of duplicate top-level keys, a later null removing the key', () => {
    expect(form('{"a":1,"b":2,"a":3,"b":null}')).toBe('{"a":3}');
  });

  it('prints floats as Java prints a Double', () => {
    const floats = '[1.0,100.0,1e2,1.5e-7,1E10,2.5E+3,0.001,0.0001,1234567.0,9999999.5,12345678.9,123.456,-2.50,0.1,1e21,1e-3,5e-324,1.7976931348623157e308]';
    const java = '[1.0,100.0,100.0,1.5E-7,1.0E10,2500.0,0.001,1.0E-4,1234567.0,9999999.5,1.23456789E7,123.456,-2.5,0.1,1.0E21,0.001,4.9E-324,1.7976931348623157E308]';
    expect(form(`{"f":${floats}}`)).toBe(`{"f":${java}}`);
  });

  it('prints negative zero and floats beyond a Double as Jackson does', () => {
    expect(form('{"a":-0.0,"b":0.0,"c":1e-400,"d":1e400,"e":-1e400}')).toBe('{"a":-0.0,"b":0.0,"c":0.0,"d":"Infinity","e":"-Infinity"}');
  });

  it('keeps every digit of integers beyond 2^53 and reads -0 as the int 0', () => {
    const body = '{"a":12345678901234567891,"b":-9223372036854775809,"c":9007199254740993,"d":-0,"e":[-0,10]}';
    expect(form(body)).toBe('{"a":12345678901234567891,"b":-9223372036854775809,"c":9007199254740993,"d":0,"e":[0,10]}');
  });

  it('escapes control characters as Jackson does: short forms, else \\u00XX in upper case', () => {
    expect(form('{"s":"a\\u001fb\\u0000c\\u007f\\b\\t\\n\\f\\r\\"\\\\"}')).toBe('{"s":"a\\u001Fb\\u0000c\u007f\\b\\t\\n\\f\\r\\"\\\\"}');
  });

  it('writes non-ASCII and "/" as themselves, however they arrived', () => {
    const out = canonicalPayload(Buffer.from('{"s":"\\u00e9\\u4e2d\\/\\ud83d\\ude00 é中/😀"}'), 'kit');
    expect(out.equals(Buffer.from('{"s":"é中/😀 é中/😀"}', 'utf8'))).toBe(true);
  });

  it('writes a lone surrogate half as "?", as Java encodes it in UTF-8', () => {
    expect(form('{"s":"x\\ud800y\\udc00"}')).toBe('{"s":"x?y?"}');
  });

  it('sorts escaped keys by what they decode to and writes them as Jackson does', () => {
    expect(form('{"\\u0062":1,"a\\u0001":2,"\\u0061":3}')).toBe('{"a":3,"a\\u0001":2,"b":1}');
  });

  it('drops the spaces between tokens, keeps those in strings, and ignores a byte order mark', () => {
    expect(form('\ufeff { "b" : [ 1 , 2.0 , { "x" : " y z " } ] ,\n\t"a" : true }\r\n')).toBe('{"a":true,"b":[1,2.0,{"x":" y z "}]}');
    expect(form('{ }')).toBe('{}');
  });

  describe('basic calls (the demo reads a Map<String,String>)', () => {
    it('makes every top-level number or boolean the string of its text as written', () => {
      expect(form('{"testFlag":1,"b":1.50,"c":1e2,"d":-0,"e":true,"f":false,"g":"x"}', 'basic')).toBe('{"b":"1.50","c":"1e2","d":"-0","e":"true","f":"false","g":"x","testFlag":"1"}');
    });

    it('drops top-level nulls and keeps a nested value as JSON in the kit form', () => {
      expect(form('{"a":null,"o":{"10":1.0,"9":null},"l":[1]}', 'basic')).toBe('{"l":[1],"o":{"10":1.0,"9":null}}');
    });
  });

  it('refuses what is not one JSON object', () => {
    for (const bad of ['', '[]', '"x"', '{"a":1', '{"a" 1}', '{"a":1}x', '{"a":tru}', '{"a":1.}', '{"a":"x}']) {
      expect(() => form(bad), bad).toThrow(/not valid JSON/);
    }
  });
});
