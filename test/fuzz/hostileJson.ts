import fc from 'fast-check';

/**
 * Generators of hostile request bodies, as raw bytes: what a careless or malicious client can send. Raw, because
 * several cases (duplicate keys, `__proto__`, numbers out of range, broken UTF-8) cannot be made with JSON.stringify.
 */

/** JSON text of a value (used to splice generated values into hand-built hostile text). */
const text = (v: unknown): string => JSON.stringify(v) ?? 'null';

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));

/** Strings a parser or a database may trip on: lone surrogates, NUL, RTL marks, emoji, long runs. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.tuple(fc.string({ maxLength: 5 }), loneSurrogate, fc.string({ maxLength: 5 })).map(([a, s, b]) => `${a}${s}${b}`),
  fc.constantFrom('\u0000', '\u202e\u202d', '💥'.repeat(50), '%', '%zz', '../../etc/passwd', "'; DROP TABLE events; --", '__proto__', 'constructor', ''),
  fc.integer({ min: 1, max: 300 }).map((n) => 'x'.repeat(n * 1000)),
);

/** Numbers JSON allows but a double does not hold, next to ordinary edge cases. */
const hostileNumberText = fc.constantFrom('1e400', '-1e400', '1e308', '-0', '0.1e-400', '123456789012345678901234567890', '5e-324', '1E+2', '1.7976931348623157e308');

/** A JSON text (possibly invalid on purpose) of a hostile value, nested to at most `depth`. */
export const hostileJsonText = (depth = 3): fc.Arbitrary<string> =>
  fc.letrec<{ value: string }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.jsonValue({ maxDepth: 2 }).map(text),
      hostileString.map(text),
      hostileNumberText,
      fc.constantFrom('true', 'null', '[]', '{}', '"\\ud800"', '"\\udfff\\ud800"'),
      depth > 0
        ? fc.array(tie('value'), { maxLength: 4 }).map((items) => `[${items.join(',')}]`)
        : fc.constant('[]'),
      depth > 0
        ? fc
            .array(fc.tuple(fc.oneof(hostileString, fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty')), tie('value')), { maxLength: 4 })
            .map((entries) => `{${entries.map(([k, v]) => `${text(k)}:${v}`).join(',')}}`)
        : fc.constant('{}'),
    ),
  })).value;

/** Nested arrays or objects `n` levels deep around a value. */
export const nested = (n: number, inner = '1', kind: 'array' | 'object' = 'array'): string =>
  kind === 'array' ? `${'['.repeat(n)}${inner}${']'.repeat(n)}` : `${'{"a":'.repeat(n)}${inner}${'}'.repeat(n)}`;

/** Whole bodies that are hostile in themselves, independent of any schema. */
export const hostileBodyText: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: 50, max: 6000 }).chain((n) => fc.constantFrom(nested(n), nested(n, '1', 'object'), `{"payload":${nested(n)}}`)),
  fc.constantFrom(
    '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}',
    '{"name":"a","name":"b"}',
    '{"payload":1e400,"eventType":"x"}',
    '{',
    '[1,2',
    '"unterminated',
    'nul\u0000l',
    '\ufeff{}',
    ' ',
    '{"a":1}garbage',
  ),
  fc.integer({ min: 255, max: 260 }).map((kib) => `{"name":"${'x'.repeat(kib * 1024 - 12)}"}`),
  hostileJsonText(),
);

/** Bytes that are not UTF-8 at all (a stray continuation byte, a truncated sequence, an overlong encoding). */
export const invalidUtf8: fc.Arbitrary<Buffer> = fc.constantFrom(
  Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0x80, 0x22, 0x7d]),
  Buffer.from([0x22, 0xe2, 0x82, 0x22]),
  Buffer.from([0x22, 0xc0, 0xaf, 0x22]),
  Buffer.from([0xff, 0xfe, 0x7b, 0x7d]),
);

/** Mostly JSON (to get past the door), now and then anything else or nothing. */
export const contentTypes: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'application/merge-patch+json') },
  {
    weight: 2,
    arbitrary: fc.constantFrom<string | undefined>('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/jsonx', '', undefined),
  },
);

/** encodeURIComponent throws on a lone surrogate: those become the (invalid) UTF-8 escape a client could still send. */
export const encodeSegment = (s: string): string =>
  s
    .split(/([\ud800-\udfff])/)
    .map((part) => (part.length === 1 && /[\ud800-\udfff]/.test(part) ? '%ED%A0%80' : encodeURIComponent(part)))
    .join('');

/** Path segments that break percent-decoding or routing. */
export const hostileSegment: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('%', '%zz', '%E0%A4%A', '%00', '%2F', '..', '.', '%252F', '%ED%A0%80', 'a%', `${'x'.repeat(3000)}`, '%C0%AF', '%FF'),
  fc.string({ unit: 'binary', maxLength: 20 }).map(encodeSegment),
  fc.stringMatching(/^[a-z_]{1,8}_[0-9A-Za-z]{1,30}$/),
);
