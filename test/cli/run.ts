import { spawn } from 'node:child_process';
import { cliCommand, repoRoot } from '../helpers/child.js';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `koobridge <args>` in a process of its own, as a merchant runs it, with exactly `env` (plus PATH
 * and HOME) and its working directory in the checkout unless told.
 */
export function runCli(args: string[], env: Record<string, string> = {}, cwd = repoRoot): Promise<CliRun> {
  const [node, ...argv] = cliCommand(...args);
  const proc = spawn(node!, argv, {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => proc.once('close', (code) => resolve({ code, stdout, stderr })));
}

/** The JSON a `--json` run printed. */
export function jsonOf(run: CliRun): any {
  try {
    return JSON.parse(run.stdout);
  } catch {
    throw new Error(`not JSON (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  }
}
