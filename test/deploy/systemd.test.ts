import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/child.js';
import { SETTINGS } from '../../src/config/settings.js';

const unitFile = join(repoRoot, 'deploy/koobridge.service');
const unit = readFileSync(unitFile, 'utf8');
const values = (key: string) => [...unit.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]!);
const seconds = (text: string) => Number(/^(\d+)s?$/.exec(text)![1]);
const hasSystemdAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;

describe('deploy/koobridge.service', () => {
  it('runs node itself as an unprivileged user, restarts it on failure, and waits for its drain before killing it', () => {
    expect(values('ExecStart')).toEqual(['/usr/bin/node dist/src/main.js']);
    expect(values('User')).toEqual(['koobridge']);
    expect(values('Restart')).toEqual(['on-failure']);
    expect(values('KillSignal')).toEqual(['SIGTERM']);
    expect(seconds(values('TimeoutStopSec')[0]!)).toBeGreaterThan(Number(SETTINGS.shutdownTimeoutSeconds.default));
    expect(values('EnvironmentFile')).toEqual(['/etc/koobridge/koobridge.env']);
    expect(values('Environment')).toEqual(expect.arrayContaining(['NODE_ENV=production', `${SETTINGS.dataDir.variable}=/var/lib/koobridge`]));
    expect(values('StateDirectory')).toEqual(['koobridge']);
    // V8 compiles code at run time: a unit that forbids writable-and-executable memory cannot run node.
    expect(values('MemoryDenyWriteExecute')).toEqual([]);
  });

  it.runIf(hasSystemdAnalyze)('passes systemd-analyze verify, and its exposure score is "OK"', () => {
    const verify = spawnSync('systemd-analyze', ['verify', unitFile], { encoding: 'utf8' });
    expect(verify.status, verify.stderr).toBe(0);
    expect(verify.stderr.trim()).toBe('');
    const security = execFileSync('systemd-analyze', ['security', '--offline=yes', unitFile], { encoding: 'utf8' });
    const [, score, verdict] = /Overall exposure level for koobridge\.service: ([\d.]+) (\w+)/.exec(security)!;
    expect(verdict, `exposure ${score}`).toBe('OK');
  });
});
