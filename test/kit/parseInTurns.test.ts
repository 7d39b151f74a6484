import { describe, expect, it } from 'vitest';
import { parseBody, parseInTurns, parseJsonObject } from '../../src/http/body.js';

// A body near the size limit is parsed in a worker and handed back a slice of its long lists at a
// time: whatever the body, the object (or the refusal) must be the one a parse in one go gives.
const items = (n: number, item: (i: number) => unknown) => Array.from({ length: n }, (_, i) => item(i));
const outcome = async (parse: (raw: Buffer) => unknown, raw: Buffer) => {
  try {
    return { value: await parse(raw) };
  } catch (err) {
    return { error: (err as Error).message };
  }
};
const dept = (i: number) => ({ orgCode: `d${i}`, orgName: `部门 "${i}" \\ ], [ {x}`, parentCode: i % 7 ? `d${i - 1}` : null });

const bodies: [string, string][] = [
  ['two long lists and a short one', JSON.stringify({ tenantId: 't', a: items(4_500, dept), short: [1, 2], b: items(2_001, (i) => i) })],
  ['a byte order mark first', `\ufeff${JSON.stringify({ orgInfoList: items(2_500, dept) })}`],
  ['a key said twice: the last one counts', `{"orgInfoList": ${JSON.stringify(items(2_500, (i) => i))}, "orgInfoList": [1]}`],
  ['malformed: cut short', JSON.stringify({ orgInfoList: items(2_500, dept) }).slice(0, -3)],
  ['not an object: a long list', JSON.stringify(items(5_000, (i) => i))],
];

describe('parsing a body in turns', () => {
  it.each(bodies)('gives what a parse in one go gives: %s', async (_, text) => {
    const raw = Buffer.from(text);
    expect(await outcome(parseInTurns, raw)).toEqual(await outcome(parseJsonObject, raw));
  });

  it('parses a body above 16 MB in turns, other work running meanwhile; a smaller one in one go', async () => {
    const large = Buffer.from(JSON.stringify({ orgInfoList: items(210_000, dept) }));
    expect(large.length).toBeGreaterThan(16 * 1024 * 1024);
    const turnsDuring = async (raw: Buffer) => {
      let turns = 0;
      const ticking = setInterval(() => turns++, 0);
      try {
        const body = await parseBody(raw);
        expect((body.orgInfoList as unknown[]).length).toBe(JSON.parse(raw.toString()).orgInfoList.length);
      } finally {
        clearInterval(ticking);
      }
      return turns;
    };
    expect(await turnsDuring(large)).toBeGreaterThan(10);
    expect(await turnsDuring(Buffer.from(JSON.stringify({ orgInfoList: items(50_000, dept) })))).toBe(0);
  });
});
