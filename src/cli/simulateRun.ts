import { randomBytes } from 'node:crypto';
import { signedCallRequest, type CallCredentials } from '../marketplace/signing.js';
import { ALL_CASES, FIXTURE, type CaseValues, type Channel, type DebugCase } from './debugCases.js';
import { judgeFields, judgeRefusal, judgeRepeat, judgeResultCode, judgeTransport, type Answer, type Failure } from './judge.js';

/** Where and how the cases are sent. */
export interface Target {
  /** The production address: lifecycle calls go to it, kit calls to it + /produceAPI/v2/<call>. */
  url: string;
  kitKey?: string;
  basicKey?: string;
  /** The seller centre's answer limit (20 s). */
  limitSeconds: number;
}

export interface SimulateInput {
  target: Target;
  cases: DebugCase[];
  rounds: number;
  /** Given: every case after newInstance names it; else the one newInstance answered. */
  instanceId?: string;
  tenantId: string;
  clientSecret: string;
  negative: boolean;
  onProgress?: (text: string) => void;
}

export interface CaseResult {
  case: string;
  channel: Channel;
  /** null for the --negative cases, sent once after the rounds. */
  round: number | null;
  status: number | null;
  resultCode: string | null;
  resultMsg: string | null;
  ms: number;
  passed: boolean;
  failures: Failure[];
}

const nonce = () => randomBytes(32).toString('hex').toUpperCase();

/** Sends one call signed as the marketplace signs it (spec §3.2, §3.3), within the answer limit. */
async function send(target: Target, channel: Channel, call: string, raw: string, c: CallCredentials): Promise<Answer> {
  const { url, headers } = signedCallRequest(channel, target.url, call, raw, c);
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  try {
    // The limit covers the whole answer, its body included.
    const res = await fetch(url, { method: 'POST', headers, body: raw, signal: AbortSignal.timeout(target.limitSeconds * 1000), redirect: 'manual' });
    const text = await res.text();
    return { ms: ms(), status: res.status, contentType: res.headers.get('content-type') ?? undefined, text };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    if (e.name === 'TimeoutError') return { ms: ms(), transportError: { kind: 'timeout', detail: `no answer within ${target.limitSeconds} s` } };
    return { ms: ms(), transportError: { kind: 'unreachable', detail: e.cause?.code ?? e.cause?.message ?? e.message } };
  }
}

function keyFor(target: Target, channel: Channel): string {
  const key = channel === 'kit' ? target.kitKey : target.basicKey;
  if (!key) throw new Error(`no ${channel} access key: give --${channel}-key or set ${channel === 'kit' ? 'KIT_ACCESS_KEY' : 'BASIC_ACCESS_KEY'}`);
  return key;
}

const fresh = (key: string): CallCredentials => ({ key, timestamp: String(Date.now()), nonce: nonce() });

function resultOf(name: string, channel: Channel, round: number | null, a: Answer, failures: Failure[], body?: Record<string, unknown>): CaseResult {
  return {
    case: name,
    channel,
    round,
    status: a.status ?? null,
    resultCode: typeof body?.resultCode === 'string' ? body.resultCode : null,
    resultMsg: typeof body?.resultMsg === 'string' ? body.resultMsg : null,
    ms: a.ms,
    passed: failures.length === 0,
    failures,
  };
}

/** Sends the cases round after round (then the negative ones once) and judges each answer as the seller centre does. */
export async function simulate(input: SimulateInput): Promise<CaseResult[]> {
  const { target, cases } = input;
  for (const channel of new Set(cases.map((c) => c.channel))) keyFor(target, channel);
  const results: CaseResult[] = [];
  const firstAnswers = new Map<string, Record<string, unknown>>();
  // The kit bodies keep their timeStamps from round to round, as a saved case does.
  const kitTime = Date.now() - cases.length * 1000;
  let values: CaseValues = { instanceId: input.instanceId ?? FIXTURE.instanceId, tenantId: input.tenantId, clientSecret: input.clientSecret, kitTime };
  const total = cases.length * input.rounds;
  for (let round = 1; round <= input.rounds; round++) {
    for (const [i, c] of cases.entries()) {
      input.onProgress?.(`round ${round}/${input.rounds}  case ${(round - 1) * cases.length + i + 1}/${total}  ${c.name}`);
      const answer = await send(target, c.channel, c.call, JSON.stringify(c.body(values)), fresh(keyFor(target, c.channel)));
      const { failures, body } = judgeTransport(answer, target.limitSeconds);
      if (body && failures.length === 0) {
        const refused = judgeResultCode(body);
        if (refused) failures.push(refused);
        else failures.push(...judgeFields(c.call, body, values.instanceId));
        if (round > 1) failures.push(...judgeRepeat(c.call, firstAnswers.get(c.name), body));
        else firstAnswers.set(c.name, body);
      }
      if (c.call === 'newInstance' && input.instanceId === undefined && typeof body?.instanceId === 'string' && body.instanceId !== '') {
        values = { ...values, instanceId: body.instanceId };
      }
      results.push(resultOf(c.name, c.channel, round, answer, failures, body));
    }
  }
  if (input.negative) {
    for (const channel of new Set(cases.map((c) => c.channel))) results.push(...(await negativeCases(input, channel, values)));
  }
  return results;
}

interface Refusal {
  name: string;
  expected: string;
  what: string;
  fix: string;
  /** The request to send: its raw body and credentials. */
  request(key: string): { raw: string; c: CallCredentials };
}

/**
 * What the marketplace never sends, each to be refused with the code the spec and the Java demo
 * give (spec §3.3): a wrong signature 000001, a stale timestamp 000002, a nonce already spent on
 * another request 000001, a body that is not JSON 000002.
 */
async function negativeCases(input: SimulateInput, channel: Channel, values: CaseValues): Promise<CaseResult[]> {
  const { target } = input;
  const key = keyFor(target, channel);
  const call = channel === 'kit' ? 'tenantSync' : 'queryInstance';
  // A debug case as the rounds sent it: the one request here that is answered 000000 changes nothing.
  const body = ALL_CASES.find((c) => c.name === (channel === 'kit' ? 'tenantSync:2' : 'queryInstance'))!.body(values);
  const raw = JSON.stringify(body);
  const other = JSON.stringify({ ...body, ...(channel === 'kit' ? { name: 'replayed' } : { instanceId: `${values.instanceId},replayed` }) });
  const stale = String(Date.now() - 10 * 60_000);
  // The nonce the replay reuses is first spent by a request as the marketplace would send it.
  const replayed = fresh(key);
  const refusals: Refusal[] = [
    {
      name: 'wrong key',
      expected: '000001',
      what: 'a request signed with another key',
      fix: 'verify the signature with the access key bound to this interface type before anything else',
      request: () => ({ raw, c: fresh(randomBytes(24).toString('hex')) }),
    },
    {
      name: 'stale timestamp',
      expected: '000002',
      what: 'a request timestamped 10 minutes ago',
      fix: 'refuse a timestamp more than 60 s from the server clock (spec §3.2)',
      request: (k) => ({ raw, c: { key: k, timestamp: stale, nonce: nonce() } }),
    },
    {
      name: 'replayed nonce',
      expected: '000001',
      what: 'another request under a nonce already used',
      fix: 'keep each nonce at least as long as its timestamp passes the window, and refuse a second request that uses it',
      request: (k) => ({ raw: other, c: { key: k, timestamp: replayed.timestamp, nonce: replayed.nonce } }),
    },
    {
      name: 'malformed body',
      expected: '000002',
      what: 'a signed body that is not JSON',
      fix: 'answer a body that does not parse with 000002 (HTTP 200, JSON), never a 500',
      request: (k) => ({ raw: raw.slice(0, -1), c: fresh(k) }),
    },
  ];
  const spending = await send(target, channel, call, raw, replayed);
  const results: CaseResult[] = [];
  for (const r of refusals) {
    input.onProgress?.(`negative  ${call}  ${r.name}`);
    const { raw: sent, c } = r.request(key);
    const answer = await send(target, channel, call, sent, c);
    const { failures, body } = judgeTransport(answer, target.limitSeconds);
    if (r.name === 'replayed nonce') {
      const first = judgeTransport(spending, target.limitSeconds).body;
      if (first?.resultCode !== '000000') {
        failures.push({ check: 'refusal', explanation: `the request that first used the nonce was answered ${String(first?.resultCode ?? spending.status ?? 'nothing')}, so the replay proves nothing`, fix: 'make the debug cases pass first' });
      }
    }
    const refused = body && failures.length === 0 ? judgeRefusal(body, r.expected, r.what, r.fix) : undefined;
    if (refused) failures.push(refused);
    results.push(resultOf(`${call} ${r.name}`, channel, null, answer, failures, body));
  }
  return results;
}
