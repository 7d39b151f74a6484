import type { Trx } from '../store/db.js';

/** An instance as the lifecycle calls leave it; an instanceId with no row counts as active. */
export type InstanceStatus = 'active' | 'frozen' | 'released';

/** What a marketplace call changed, for those who must react in the same transaction (sessions) or after it (caches). */
export type DirectoryChange =
  | { type: 'tenant'; instanceId: string; tenantId: string; deleted: boolean }
  | { type: 'app'; instanceId: string; tenantId: string; appId: string; deleted: boolean }
  /** deleted: authSync flag 0 (the authorization deleted), else cancelled or disabled. */
  | { type: 'usersRevoked'; instanceId: string; tenantId: string; appId: string; userNames: string[]; deleted: boolean }
  | { type: 'instance'; instanceId: string; status: InstanceStatus };

/** The marketplace call a change came from, as the events it causes name it. */
export interface ChangeCall {
  testFlag: boolean;
}

export interface ChangeListener {
  /** Runs inside the call's transaction: a failure rolls the whole call back. */
  inTransaction?(trx: Trx, change: DirectoryChange, call: ChangeCall): Promise<void>;
  /** Runs once the call has committed. */
  afterCommit?(change: DirectoryChange): void;
}

export class ChangeFeed {
  private readonly listeners: ChangeListener[] = [];

  subscribe(listener: ChangeListener): void {
    this.listeners.push(listener);
  }

  async applyInTransaction(trx: Trx, changes: DirectoryChange[], call: ChangeCall): Promise<void> {
    for (const change of changes) for (const l of this.listeners) await l.inTransaction?.(trx, change, call);
  }

  committed(changes: DirectoryChange[]): void {
    for (const change of changes) for (const l of this.listeners) l.afterCommit?.(change);
  }
}
