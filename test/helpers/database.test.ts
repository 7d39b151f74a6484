import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { stores } from './stores.js';
import { startTestServer } from './server.js';

describe.each(stores)('test stores on %s', (store) => {
  it("leave no folder behind in the system's temp directory once stopped", async () => {
    const s = await startTestServer(store);
    const dataDir = s.rt.config.dataDir;
    expect(existsSync(dataDir)).toBe(true);
    await s.stop();
    expect(existsSync(dataDir)).toBe(false);
  });
});
