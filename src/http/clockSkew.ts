import type { Runtime } from '../runtime.js';

/** A warning at most this often: the marketplace sends many calls, its clock drifts slowly. */
const WARN_EVERY_MS = 60_000;
const lastWarned = new WeakMap<Runtime, number>();
const lastSeen = new WeakMap<Runtime, { skewMs: number; at: number }>();
/** A skew seen this recently still says something about the clock. */
const SKEW_MEMORY_MS = 10 * 60_000;

/**
 * How far the marketplace's clock is from ours, seen on calls whose signature held (anyone can send
 * any timestamp, so only genuine calls count). Beyond half the signature window it is logged: past
 * the window every call is refused, and the seller centre's failure mails do not say why.
 */
export function observeClockSkew(rt: Runtime, skewMs: number): void {
  const windowMs = rt.config.signatureWindowSeconds * 1000;
  const now = Date.now();
  lastSeen.set(rt, { skewMs, at: now });
  if (Math.abs(skewMs) <= windowMs / 2) return;
  if (now - (lastWarned.get(rt) ?? 0) < WARN_EVERY_MS) return;
  lastWarned.set(rt, now);
  rt.log.warn(
    { skewSeconds: Math.round(skewMs / 1000), windowSeconds: rt.config.signatureWindowSeconds },
    `the marketplace's clock is ${Math.abs(Math.round(skewMs / 1000))} s ${skewMs > 0 ? 'behind' : 'ahead of'} ours (calls are refused beyond ${rt.config.signatureWindowSeconds} s): check this server's time sync (NTP)`,
  );
}

/**
 * The skew of the latest genuine call, when it was beyond the signature window in the last ten
 * minutes: every marketplace call is being refused on time, so this replica is not ready.
 */
export function clockOutsideWindow(rt: Runtime): number | undefined {
  const seen = lastSeen.get(rt);
  if (!seen || Date.now() - seen.at > SKEW_MEMORY_MS) return undefined;
  return Math.abs(seen.skewMs) > rt.config.signatureWindowSeconds * 1000 ? seen.skewMs : undefined;
}
