/**
 * One circuit per tenant IdP (by instance and tenant; a tenant has one IdP, its `domainName`). After
 * the IdP failed to answer a renewal (down, timing out, 5xx), renewals of that tenant's sessions
 * pause instead of each waiting out the full timeout: first for SSO_IDP_BACKOFF_SECONDS, doubling
 * with every further failure up to 20 times that; the first renewal it answers closes the circuit.
 * Kept per process: each replica learns of an outage by itself, at the cost of one failed call.
 */
export class IdpCircuits {
  private readonly open = new Map<string, { until: number; failures: number }>();

  constructor(private readonly backoffMs: number) {}

  static key(of: { instanceId: string; tenantId: string }): string {
    return `${of.instanceId}\0${of.tenantId}`;
  }

  /** How long renewals of this tenant's sessions still pause (0: ask the IdP). */
  pausedFor(key: string, now = Date.now()): number {
    const circuit = this.open.get(key);
    return circuit ? Math.max(0, circuit.until - now) : 0;
  }

  failed(key: string, now = Date.now()): void {
    const failures = (this.open.get(key)?.failures ?? 0) + 1;
    const pause = Math.min(this.backoffMs * 2 ** (failures - 1), this.backoffMs * 20);
    this.open.set(key, { until: now + pause, failures });
  }

  answered(key: string): void {
    this.open.delete(key);
  }
}
