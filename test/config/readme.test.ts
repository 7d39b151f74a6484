import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BEGIN, END, README, withTables } from '../../scripts/configTable.js';
import { loadConfig } from '../../src/config/index.js';
import { SETTINGS } from '../../src/config/settings.js';

const dir = mkdtempSync(join(tmpdir(), 'koobridge-limits-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the README's configuration tables", () => {
  it('are the ones the settings declaration gives (else run npm run docs:config)', () => {
    const readme = readFileSync(README, 'utf8');
    const tables = (text: string) => text.slice(text.indexOf(BEGIN), text.indexOf(END));
    expect(tables(readme), 'README.md is out of date: run npm run docs:config').toBe(tables(withTables(readme)));
  });

  it('state the numeric limits the configuration enforces', () => {
    const refused = (variable: string, value: number) => () => loadConfig({ DATA_DIR: dir, [variable]: String(value) });
    let checked = 0;
    for (const { variable, accepts } of Object.values(SETTINGS)) {
      const range = /^a whole number from (\d+) to (\d+)/.exec(accepts);
      const floor = /^a whole number, at least (\d+)$/.exec(accepts);
      const above0 = /^a number above 0, at most (\d+)$/.exec(accepts);
      const decimalRange = /^a number from (\d+) to (\d+)$/.exec(accepts);
      const [min, max, step] = range ? [range[1], range[2], 1] : floor ? [floor[1], undefined, 1] : above0 ? [undefined, above0[1], 0.5] : decimalRange ? [decimalRange[1], decimalRange[2], 0.5] : [];
      if (step === undefined) continue;
      checked++;
      if (step === 1) expect(refused(variable, Number(min ?? 0) + 1.5), `${variable} takes whole numbers only`).toThrow(new RegExp(`${variable}: `));
      if (min !== undefined) {
        expect(refused(variable, Number(min) - step), variable).toThrow(new RegExp(`${variable}: `));
        expect(refused(variable, Number(min)), variable).not.toThrow();
      } else {
        expect(refused(variable, 0), variable).toThrow(new RegExp(`${variable}: `));
      }
      if (max !== undefined) {
        expect(refused(variable, Number(max) + step), variable).toThrow(new RegExp(`${variable}: `));
        expect(refused(variable, Number(max)), variable).not.toThrow();
      }
    }
    expect(checked).toBeGreaterThan(20);
  });
});
