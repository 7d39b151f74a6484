import type { Runtime } from '../runtime.js';

/** A warning at most this often: the marketplace sends many calls, its clock drifts slowly. */
const WARN_EVERY_MS = 60_000;
/** Per runtime, by whether the calls were verified: one kind of warning does not hold back the other. */
const lastWarned = new WeakMap<Runtime, Map<boolean, number>>();

/**
 * How far a signed call's timestamp is from our clock. A call whose signature held (`verified`)
 * says where the marketplace's clock is; beyond half the signature window it is logged, before
 * every call is refused. A call refused for its timestamp is read no further, so it proves nothing
 * (anyone can send one), but a run of them is how a server whose clock is off looks: logged too,
 * as a hint.
 */
export function observeClockSkew(rt: Runtime, skewMs: number, verified: boolean): void {
  const window = rt.config.signatureWindowSeconds;
  if (Math.abs(skewMs) <= (window * 1000) / 2) return;
  const now = Date.now();
  const warned = lastWarned.get(rt) ?? new Map<boolean, number>();
  lastWarned.set(rt, warned);
  if (now - (warned.get(verified) ?? 0) < WARN_EVERY_MS) return;
  warned.set(verified, now);
  const seconds = Math.abs(Math.round(skewMs / 1000));
  const side = skewMs > 0 ? 'behind' : 'ahead of';
  rt.log.warn(
    { skewSeconds: Math.round(skewMs / 1000), windowSeconds: window, verified },
    verified
      ? `the marketplace's clock is ${seconds} s ${side} ours (calls are refused beyond ${window} s): check this server's time sync (NTP)`
      : `a call was refused for a timestamp ${seconds} s ${side} our clock; if such calls come from the marketplace, this server's clock is off: check its time sync (NTP)`,
  );
}
