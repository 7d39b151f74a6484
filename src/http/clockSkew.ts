import type { Runtime } from '../runtime.js';

/** A warning at most this often: the marketplace sends many calls, its clock drifts slowly. */
const WARN_EVERY_MS = 60_000;
const lastWarned = new WeakMap<Runtime, number>();

/**
 * How far the marketplace's clock is from ours, seen on calls whose signature held (anyone can send
 * any timestamp, so only genuine calls count). Beyond half the signature window it is logged: past
 * the window every call is refused, and the seller centre's failure mails do not say why.
 */
export function observeClockSkew(rt: Runtime, skewMs: number): void {
  const windowMs = rt.config.signatureWindowSeconds * 1000;
  if (Math.abs(skewMs) <= windowMs / 2) return;
  const now = Date.now();
  if (now - (lastWarned.get(rt) ?? 0) < WARN_EVERY_MS) return;
  lastWarned.set(rt, now);
  rt.log.warn(
    { skewSeconds: Math.round(skewMs / 1000), windowSeconds: rt.config.signatureWindowSeconds },
    `the marketplace's clock is ${Math.abs(Math.round(skewMs / 1000))} s ${skewMs > 0 ? 'behind' : 'ahead of'} ours (calls are refused beyond ${rt.config.signatureWindowSeconds} s): check this server's time sync (NTP)`,
  );
}
