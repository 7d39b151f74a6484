import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../helpers/child.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { SETTINGS } from '../../src/config/settings.js';

/**
 * The image's rules, read from deploy/Dockerfile (no Docker engine here to build it; the steps
 * themselves are proven by deploy/try-dockerfile.sh, which takes a few minutes, so it is run by
 * hand, not by the suite).
 */

interface Instruction {
  keyword: string;
  args: string;
}
interface Stage {
  from: string;
  name?: string;
  steps: Instruction[];
}

function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  const lines = text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim());
  for (const line of lines.filter((l) => l && !l.startsWith('#'))) {
    const [, keyword, args] = /^(\S+)\s+(.*)$/.exec(line)!;
    const step = { keyword: keyword!.toUpperCase(), args: args!.replace(/\s+/g, ' ') };
    if (step.keyword === 'FROM') {
      const [from, , name] = step.args.split(' ');
      stages.push({ from: from!, name, steps: [] });
    } else stages.at(-1)!.steps.push(step);
  }
  return stages;
}

const stages = parseDockerfile(readFileSync(join(repoRoot, 'deploy/Dockerfile'), 'utf8'));
const final = stages.at(-1)!;
const all = (stage: Stage, keyword: string) => stage.steps.filter((s) => s.keyword === keyword).map((s) => s.args);
const last = (stage: Stage, keyword: string) => all(stage, keyword).at(-1);
const ignored = readFileSync(join(repoRoot, '.dockerignore'), 'utf8').split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean);

describe('deploy/Dockerfile', () => {
  it('builds in one stage and runs in another, on the same Node major as package.json allows', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage.from).toMatch(/^node:20-/);
    // better-sqlite3 is compiled in the build stage: the run stage must be the same base image.
    expect(final.from).toBe(stages[0]!.from);
    expect(JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).engines.node).toBe('>=20.19');
  });

  it('runs as a user other than root', () => {
    const user = last(final, 'USER');
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
  });

  it('starts node itself as PID 1 (exec form, no npm or shell in between), which handles SIGTERM', () => {
    expect(all(final, 'ENTRYPOINT')).toEqual([]);
    expect(JSON.parse(last(final, 'CMD')!)).toEqual(['node', 'dist/src/main.js']);
    expect(readFileSync(join(repoRoot, 'src/main.ts'), 'utf8')).toMatch(/for \(const signal of \['SIGINT', 'SIGTERM'\]\) process\.on\(signal/);
  });

  it('ships production dependencies only: the build stage prunes the dev ones, the run stage installs nothing', () => {
    const build = stages.find((s) => all(final, 'COPY').some((c) => c.startsWith(`--from=${s.name} `) && / node_modules$/.test(c)));
    expect(build, 'node_modules copied from a named build stage').toBeDefined();
    const runs = all(build!, 'RUN').join(' && ');
    expect(runs).toMatch(/npm ci\b/);
    expect(runs.indexOf('npm prune --omit=dev')).toBeGreaterThan(runs.indexOf('npm ci'));
    for (const run of all(final, 'RUN')) expect(run).not.toMatch(/\b(npm|npx|yarn|pnpm)\b/);
  });

  it('copies what the build and the server read, and nothing the build context leaves out', () => {
    const fromContext = stages.flatMap((s) => all(s, 'COPY')).filter((c) => !c.startsWith('--from='));
    const sources = fromContext.flatMap((c) => c.split(' ').filter((w) => !w.startsWith('--')).slice(0, -1));
    expect(sources).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', 'tsconfig.json', 'src', 'migrations', 'views']));
    for (const source of sources) {
      expect(existsSync(join(repoRoot, source)), source).toBe(true);
      expect(ignored, `${source} is left out by .dockerignore`).not.toContain(source);
    }
    expect(ignored).toEqual(expect.arrayContaining(['.git', 'node_modules', 'dist', 'data']));
  });

  it('keeps DATA_DIR in a volume the user may write, and runs in production', () => {
    const env = Object.fromEntries(all(final, 'ENV').flatMap((e) => e.split(' ').map((pair) => pair.split('=') as [string, string])));
    expect(env.NODE_ENV).toBe('production');
    expect(env[SETTINGS.dataDir.variable]).toMatch(/^\//);
    expect(all(final, 'VOLUME')).toContain(env[SETTINGS.dataDir.variable]);
    const user = last(final, 'USER')!;
    const workdir = last(final, 'WORKDIR')!;
    const folder = env[SETTINGS.dataDir.variable]!.slice(workdir.length + 1);
    expect(all(final, 'RUN')).toContain(`mkdir ${folder} && chown ${user}:${user} ${folder}`);
  });
});

describe("the image's HEALTHCHECK command", () => {
  const healthcheck = last(final, 'HEALTHCHECK')!;
  const command = healthcheck.slice(healthcheck.indexOf('CMD ') + 4);
  const run = (port: number) => promisify(execFile)('sh', ['-c', command], { env: { PATH: process.env.PATH, PORT: String(port) }, timeout: 10_000 }).then(() => 0, (e: { code: number }) => e.code);
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer('sqlite');
  });
  afterAll(() => s.stop());

  it('succeeds against a live server on $PORT, fails where none answers', async () => {
    expect(command).toContain('/healthz');
    expect(await run(s.port)).toBe(0);
    const closed = s.port === 1 ? 2 : 1;
    expect(await run(closed)).not.toBe(0);
  });
});
