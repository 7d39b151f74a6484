/**
 * How the seller centre's debug tool judges an answer (spec §8.2), each failure with the tool's
 * own words (so a merchant recognises it there), what it means in English and the likely fix.
 */

export interface Failure {
  /** A stable name for scripts (--json). */
  check: 'unreachable' | 'timeout' | 'httpStatus' | 'contentType' | 'parse' | 'resultCode' | 'missingField' | 'idempotency' | 'refusal';
  /** The seller centre's message, where it has one for this failure. */
  sellerCentre?: string;
  explanation: string;
  fix: string;
}

/** What came back for one request. */
export interface Answer {
  ms: number;
  /** Set when no complete answer came: the cause in a few words. */
  transportError?: { kind: 'timeout' | 'unreachable'; detail: string };
  status?: number;
  contentType?: string;
  text?: string;
}

export interface Judged {
  failures: Failure[];
  /** The answer's JSON object, when it has one with a resultCode. */
  body?: Record<string, unknown>;
}

/** The checks every answer must pass before its content is read: reached, in time, 200, JSON. */
export function judgeTransport(a: Answer, limitSeconds: number): Judged {
  if (a.transportError?.kind === 'timeout') {
    return fail({
      check: 'timeout',
      sellerCentre: `调用接口超时${limitSeconds}s`,
      explanation: `no complete answer within ${limitSeconds} s (the marketplace gives up after 20 s)`,
      fix: 'answer before slow work: newInstance may answer 000004 and provision afterwards; check what the call waits for (database, locks, outside services)',
    });
  }
  if (a.transportError) {
    return fail({
      check: 'unreachable',
      sellerCentre: '生产地址不可达',
      explanation: `no answer from the address (${a.transportError.detail})`,
      fix: 'check the address, that the server runs, and that DNS, firewall and gateway let the marketplace in from the Internet (its addresses are not published: no IP allow-list); HTTPS needs a trusted certificate',
    });
  }
  if (a.status !== 200) {
    return fail({
      check: 'httpStatus',
      sellerCentre: `接口响应httpCode=${a.status}`,
      explanation: `HTTP ${a.status}; the seller centre takes only 200, for refusals too`,
      fix:
        a.status === 404 || a.status === 405
          ? 'check the path: lifecycle calls go to the production address itself, kit calls to production address + /produceAPI/v2/<call>'
          : 'answer every call with HTTP 200 and a resultCode, refusals included; for a 5xx see the server log',
    });
  }
  const mediaType = (a.contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (mediaType !== 'application/json') {
    return fail({
      check: 'contentType',
      sellerCentre: '响应content-type格式错误',
      explanation: `Content-Type is ${a.contentType ? `"${a.contentType}"` : 'missing'}; it must be application/json`,
      fix: 'send Content-Type: application/json (a charset parameter is fine) on every answer',
    });
  }
  let body: unknown;
  try {
    body = JSON.parse(a.text ?? '');
  } catch {
    return fail(parseFailure(`not JSON: ${abbreviate(a.text ?? '')}`));
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return fail(parseFailure('not a JSON object'));
  const o = body as Record<string, unknown>;
  if (typeof o.resultCode !== 'string') return fail(parseFailure(o.resultCode === undefined ? 'no resultCode' : 'resultCode is not a string'));
  if (typeof o.resultMsg !== 'string') return { failures: [parseFailure(o.resultMsg === undefined ? 'no resultMsg' : 'resultMsg is not a string')], body: o };
  return { failures: [], body: o };
}

const fail = (f: Failure): Judged => ({ failures: [f] });

function parseFailure(why: string): Failure {
  return {
    check: 'parse',
    sellerCentre: '解析响应体失败',
    explanation: `the body is not a JSON object with resultCode and resultMsg (${why})`,
    fix: 'answer a JSON object such as {"resultCode":"000000","resultMsg":"success."}, resultCode a 6-digit string',
  };
}

const abbreviate = (s: string) => JSON.stringify(s.length > 60 ? `${s.slice(0, 57)}...` : s);

/** What each code usually means when a debug case gets it (spec §2.1). */
const FIX_FOR_CODE: Record<string, string> = {
  '000001': 'the signature did not verify: the key must be the one bound to this interface type in 生产地址管理 (基础接口 for lifecycle calls, 联营SaaS同步接口 for kit calls); check the signing rule (spec §3) and the server clock',
  '000002': 'a field was refused (resultMsg should name it): debug bodies carry testFlag 1, and may name instances and tenants the server has never seen',
  '000003': 'debug cases name instances that may not exist or were released: answer success to testFlag 1 without changing real data',
  '000004': 'the seller centre wants 000000 from a debug case: provision debug instances at once',
  '000005': 'an error on the server: see its log',
};

/** A debug case must be answered 000000. */
export function judgeResultCode(body: Record<string, unknown>): Failure | undefined {
  const code = String(body.resultCode);
  if (code === '000000') return undefined;
  return {
    check: 'resultCode',
    sellerCentre: '生产接口resultCode返回错误',
    explanation: `resultCode ${code} (${String(body.resultMsg ?? '')}); a debug case must be answered 000000`,
    fix: FIX_FOR_CODE[code] ?? 'answer 000000 to the debug case; the result codes are in spec §2.1',
  };
}

const missing = (field: string, explanation: string, fix: string): Failure => ({ check: 'missingField', sellerCentre: `接口响应缺少${field}`, explanation, fix });

const isAbsoluteUrl = (v: unknown) => typeof v === 'string' && /^https?:\/\/[^/]/i.test(v) && URL.canParse(v);

/** The fields the seller centre requires in a successful answer: newInstance's instanceId, queryInstance's info. */
export function judgeFields(call: string, body: Record<string, unknown>, askedInstanceId: string): Failure[] {
  if (call === 'newInstance') {
    if (typeof body.instanceId === 'string' && body.instanceId !== '') return [];
    return [missing('instanceId', 'newInstance answered without an instanceId', 'return the instance id in the answer: {"resultCode":"000000","resultMsg":"success.","instanceId":"…"}')];
  }
  if (call !== 'queryInstance') return [];
  const info = Array.isArray(body.info) ? (body.info as unknown[]) : undefined;
  const item = info?.find((i): i is Record<string, any> => typeof i === 'object' && i !== null && (i as Record<string, unknown>).instanceId === askedInstanceId);
  if (!item) {
    return [missing('instanceId', `info[] has no item with instanceId ${askedInstanceId}`, 'answer info: [{instanceId, appInfo: {frontEndUrl, …}}] for each instance asked (a debug request may name one never created)')];
  }
  const failures: Failure[] = [];
  const url = item.appInfo?.frontEndUrl;
  if (!isAbsoluteUrl(url)) {
    failures.push(
      missing(
        'frontEndUrl',
        url === undefined ? 'info[].appInfo.frontEndUrl is missing' : `info[].appInfo.frontEndUrl ${JSON.stringify(url)} is not an absolute http(s) URL`,
        'give appInfo.frontEndUrl as an absolute URL where the buyer signs in (koobridge: PUBLIC_URL and FRONT_END_URL)',
      ),
    );
  }
  for (const usage of Array.isArray(item.usageInfo) ? item.usageInfo : []) {
    for (const field of ['usageValue', 'statisticalTime']) {
      if (usage?.[field] === undefined) failures.push(missing(field, `a usageInfo item has no ${field}`, 'each usageInfo item needs usageValue and statisticalTime, or leave usageInfo out'));
    }
  }
  return failures;
}

/** Dial-testing replays the saved cases: each must be answered as the first time, and newInstance with the same instance. */
export function judgeRepeat(call: string, first: Record<string, unknown> | undefined, now: Record<string, unknown>): Failure[] {
  if (!first) return [];
  const failures: Failure[] = [];
  if (first.resultCode !== now.resultCode) {
    failures.push({
      check: 'idempotency',
      explanation: `round 1 answered ${String(first.resultCode)}, this round ${String(now.resultCode)}; dial-testing replays the saved cases twice a day`,
      fix: 'answer a repeated call as the first: an add of what exists and a delete of what is gone both succeed, and no repeat changes the answer',
    });
  }
  if (call === 'newInstance' && typeof first.instanceId === 'string' && now.instanceId !== first.instanceId) {
    failures.push({
      check: 'idempotency',
      explanation: `newInstance answered instanceId ${first.instanceId} in round 1 and ${String(now.instanceId)} now: the marketplace would see a second instance`,
      fix: 'answer the same instanceId for the same orderId + orderLineId (e.g. the first request\'s businessId); never create a second instance',
    });
  }
  return failures;
}

/** A request the marketplace never sends must be refused with the spec's code. */
export function judgeRefusal(body: Record<string, unknown>, expected: string, what: string, fix: string): Failure | undefined {
  const code = String(body.resultCode);
  if (code === expected) return undefined;
  return {
    check: 'refusal',
    explanation: code === '000000' ? `${what} was accepted (000000); it must be refused with ${expected}` : `${what} was refused with ${code}; the spec's code is ${expected}`,
    fix,
  };
}
