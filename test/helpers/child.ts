import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { request, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { kitSignature } from '../../src/marketplace/signing.js';
import { TEST_KEYS, keyEnv } from './keys.js';
import { nonce } from './server.js';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '../..');
export const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** koobridge in a process of its own, as an operator runs it: signals and exit codes are real. */
export interface ChildServer {
  proc: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** What it wrote to stderr alone (start-up failures). */
  stderr(): string;
  /** Resolves once its output matches (rejects if it exits first). */
  waitFor(pattern: RegExp): Promise<string>;
  exited: Promise<Exit>;
  /** Its port, once it said it listens. */
  listening(): Promise<number>;
}

/** The keys and settings every child needs; a test adds its store and whatever it varies. */
export const childEnv = (env: Record<string, string>): Record<string, string> => ({
  PATH: process.env.PATH ?? '',
  HOME: process.env.HOME ?? '',
  NODE_ENV: 'test',
  HOST: '127.0.0.1',
  PORT: '0',
  LOG_LEVEL: 'info',
  ...keyEnv(),
  ...env,
});

/** The `koobridge` command line (src/cli/main.ts under tsx) with `args`, for spawnChild. */
export const cliCommand = (...args: string[]) => [process.execPath, '--import', tsxLoader, `${repoRoot}/src/cli/main.ts`, ...args];

/** Runs `command` (default: src/main.ts under tsx) with exactly `env` (see childEnv). */
export function spawnChild(env: Record<string, string>, command: string[] = [process.execPath, '--import', tsxLoader, 'src/main.ts']): ChildServer {
  const proc = spawn(command[0]!, command.slice(1), { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  let errText = '';
  const waiters = new Set<() => void>();
  const exited = new Promise<Exit>((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  const take = (chunk: Buffer) => {
    text += chunk.toString();
    for (const w of waiters) w();
  };
  proc.stdout!.on('data', take);
  proc.stderr!.on('data', (chunk: Buffer) => {
    errText += chunk.toString();
    take(chunk);
  });
  const waitFor = (pattern: RegExp) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const m = pattern.exec(text);
        if (m) {
          waiters.delete(check);
          resolve(m[1] ?? m[0]);
        }
      };
      waiters.add(check);
      check();
      void exited.then(() => {
        if (waiters.delete(check)) reject(new Error(`exited before printing ${pattern}; output:\n${text}`));
      });
    });
  return {
    proc,
    output: () => text,
    stderr: () => errText,
    waitFor,
    exited,
    listening: async () => Number(await waitFor(/koobridge listening on [^\s]+:(\d+)/)),
  };
}

/** A signed kit call whose body is sent only when `release` is called: in flight for as long as the test likes. */
export function heldKitCall(port: number, call: string, body: unknown) {
  const raw = JSON.stringify(body);
  const timestamp = String(Date.now());
  const n = nonce();
  const req = request({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path: `/koogallery/produceAPI/v2/${call}`,
    headers: {
      'content-type': 'application/json;charset=utf8',
      'content-length': Buffer.byteLength(raw),
      'x-sign': kitSignature(TEST_KEYS.kit, n, timestamp, raw).toUpperCase(),
      'x-timestamp': timestamp,
      'x-nonce': n,
      // The server's "100 Continue" says it has taken the request: from then on it is in flight.
      expect: '100-continue',
    },
  });
  const answer = new Promise<{ res: IncomingMessage; body: { resultCode: string } }>((resolve, reject) => {
    req.once('error', reject);
    req.once('response', (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.once('end', () => resolve({ res, body: JSON.parse(text) }));
    });
  });
  return {
    received: new Promise<void>((resolve) => req.once('continue', resolve)),
    release: () => req.end(raw),
    answer,
  };
}

/** A raw connection, for requests sent in parts (half before a signal, the rest after). */
export interface RawConnection {
  socket: Socket;
  write(s: string): void;
  /** Resolves once what the server sent matches. */
  until(pattern: RegExp): Promise<void>;
  /** Everything the server sent, once it closed the connection. */
  closed: Promise<string>;
}

export async function rawConnection(port: number): Promise<RawConnection> {
  const socket = connect(port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  let text = '';
  socket.on('data', (c) => (text += c));
  socket.on('error', () => undefined);
  const closed = new Promise<string>((resolve) => socket.once('close', () => resolve(text)));
  return {
    socket,
    write: (s) => socket.write(s),
    until: (pattern) =>
      new Promise<void>((resolve) => {
        const check = () => pattern.test(text) && (socket.off('data', check), resolve());
        socket.on('data', check);
        check();
      }),
    closed,
  };
}
