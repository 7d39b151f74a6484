/**
 * What the merchant's application keeps of koobridge's events: a workspace per tenant (of an
 * instance) and an account per user. In memory, to stay short: a real application keeps these in
 * its own database, with the handled event ids and sequences written in the same transaction.
 */

/** An event as `GET /api/v1/events` and the webhooks send it. */
export interface KoobridgeEvent {
  id: string;
  sequence: number;
  type: string;
  occurredAt: string;
  sourceTime: string | null;
  instanceId: string | null;
  tenantId: string | null;
  testFlag: boolean;
  data: Record<string, unknown>;
}

export type WorkspaceStatus = 'open' | 'frozen' | 'closed';

export interface Workspace {
  instanceId: string;
  tenantId: string;
  name: string;
  /** tenant.deleted: the enterprise left; the workspace stays closed until it is synced again. */
  deleted: boolean;
  /** The sequence of the last event applied to this record: an older one arriving late is stale. */
  sequence: number;
}

export interface Account {
  instanceId: string;
  tenantId: string;
  userName: string;
  name: string;
  role: string;
  orgCode: string;
  status: 'active' | 'disabled';
  /** The event that disabled it. */
  disabledBy?: string;
  sequence: number;
}

/** What the application does besides its records when access is taken away: forget what it cached. */
export interface Sessions {
  dropSession(sessionId: string): void;
  dropUser(instanceId: string, tenantId: string, userName: string): void;
}

export type Outcome = 'applied' | 'duplicate' | 'stale' | 'ignored';

/** How many event ids are remembered: far more than can be in flight or retried at once. */
const SEEN_IDS = 10_000;

const key = (...parts: string[]) => parts.join('/');

export class MerchantState {
  readonly instances = new Map<string, { status: 'active' | 'frozen' | 'released'; sequence: number }>();
  readonly workspaces = new Map<string, Workspace>();
  readonly accounts = new Map<string, Account>();
  readonly counts: Record<Outcome, number> = { applied: 0, duplicate: 0, stale: 0, ignored: 0 };
  /** Ids handled, oldest first (a Set keeps insertion order), so the oldest are forgotten first. */
  private readonly seen = new Set<string>();

  constructor(private readonly sessions: Sessions) {}

  /**
   * Applies one event, at most once: deliveries are at least once (a repeat has the same id) and
   * need not come in order (a retried one may arrive after later events), so a record remembers the
   * sequence of the last event it took and ignores older ones.
   */
  apply(event: KoobridgeEvent): Outcome {
    if (this.seen.has(event.id)) return this.count('duplicate');
    this.seen.add(event.id);
    if (this.seen.size > SEEN_IDS) this.seen.delete(this.seen.values().next().value!);
    return this.count(this.change(event));
  }

  workspaceOf(instanceId: string, tenantId: string): (Workspace & { status: WorkspaceStatus }) | undefined {
    const w = this.workspaces.get(key(instanceId, tenantId));
    return w && { ...w, status: this.statusOf(w) };
  }

  accountOf(instanceId: string, tenantId: string, userName: string): Account | undefined {
    return this.accounts.get(key(instanceId, tenantId, userName));
  }

  /** Everything, as `/admin/state` shows it. */
  view() {
    return {
      workspaces: [...this.workspaces.values()].map((w) => ({ ...w, status: this.statusOf(w) })),
      accounts: [...this.accounts.values()],
      events: { ...this.counts },
    };
  }

  private count(outcome: Outcome): Outcome {
    this.counts[outcome]++;
    return outcome;
  }

  private statusOf(w: Workspace): WorkspaceStatus {
    const instance = this.instances.get(w.instanceId)?.status;
    if (w.deleted || instance === 'released') return 'closed';
    return instance === 'frozen' ? 'frozen' : 'open';
  }

  private change(e: KoobridgeEvent): Outcome {
    const { instanceId, tenantId } = e;
    switch (e.type) {
      case 'tenant.created':
      case 'tenant.updated':
      case 'tenant.deleted': {
        const k = key(instanceId!, tenantId!);
        const before = this.workspaces.get(k);
        if (before && e.sequence <= before.sequence) return 'stale';
        const deleted = e.type === 'tenant.deleted';
        this.workspaces.set(k, { instanceId: instanceId!, tenantId: tenantId!, name: String(e.data.name ?? ''), deleted, sequence: e.sequence });
        // Its people end with the enterprise (koobridge sends no event per user then).
        if (deleted) for (const a of this.accounts.values()) if (a.instanceId === instanceId && a.tenantId === tenantId) this.disable(a, e);
        return 'applied';
      }
      case 'user.authorized':
      case 'user.updated':
      case 'user.deauthorized':
      case 'user.deleted': {
        const userName = String(e.data.userName);
        const k = key(instanceId!, tenantId!, userName);
        const before = this.accounts.get(k);
        if (before && e.sequence <= before.sequence) return 'stale';
        const apps = (e.data.apps ?? []) as { appId: string; role: string }[];
        const role = apps.find((a) => a.appId === e.data.appId)?.role ?? before?.role ?? 'user';
        const account: Account = { instanceId: instanceId!, tenantId: tenantId!, userName, name: String(e.data.name ?? ''), role, orgCode: String(e.data.orgCode ?? ''), status: before?.status ?? 'active', sequence: e.sequence };
        if (e.type === 'user.authorized') account.status = 'active';
        this.accounts.set(k, account);
        if (e.type === 'user.deauthorized' || e.type === 'user.deleted') this.disable(account, e);
        return 'applied';
      }
      case 'instance.created':
      case 'instance.frozen':
      case 'instance.unfrozen':
      case 'instance.released': {
        const before = this.instances.get(instanceId!);
        if (before && e.sequence <= before.sequence) return 'stale';
        const status = e.type === 'instance.frozen' ? 'frozen' : e.type === 'instance.released' ? 'released' : 'active';
        this.instances.set(instanceId!, { status, sequence: e.sequence });
        return 'applied';
      }
      case 'session.revoked':
        // The session ended in koobridge: an answer cached before must not let it in any longer.
        this.sessions.dropSession(String(e.data.sessionId));
        return 'applied';
      default:
        return 'ignored';
    }
  }

  private disable(account: Account, e: KoobridgeEvent) {
    account.status = 'disabled';
    account.disabledBy = e.type;
    account.sequence = Math.max(account.sequence, e.sequence);
    this.sessions.dropUser(account.instanceId, account.tenantId, account.userName);
  }
}
