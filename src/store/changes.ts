import type { Trx } from '../store/db.js';

/** An instance as the lifecycle calls leave it; an instanceId with no row counts as active. */
export type InstanceStatus = 'active' | 'frozen' | 'released';

/** What a marketplace call changed, for those who must react in the same transaction (sessions) or after it (caches). */
export type DirectoryChange =
  | { type: 'tenant'; instanceId: string; tenantId: string; deleted: boolean }
  | { type: 'app'; instanceId: string; tenantId: string; appId: string; deleted: boolean }
  | { type: 'usersRevoked'; instanceId: string; tenantId: string; appId: string; userNames: string[] }
  | { type: 'instance'; instanceId: string; status: InstanceStatus };

export interface ChangeListener {
  /** Runs inside the call's transaction: a failure rolls the whole call back. */
  inTransaction?(trx: Trx, change: DirectoryChange): Promise<void>;
  /** Runs once the call has committed. */
  afterCommit?(change: DirectoryChange): void;
}

export class ChangeFeed {
  private readonly listeners: ChangeListener[] = [];

  subscribe(listener: ChangeListener): void {
    this.listeners.push(listener);
  }

  async applyInTransaction(trx: Trx, changes: DirectoryChange[]): Promise<void> {
    for (const change of changes) for (const l of this.listeners) await l.inTransaction?.(trx, change);
  }

  committed(changes: DirectoryChange[]): void {
    for (const change of changes) for (const l of this.listeners) l.afterCommit?.(change);
  }
}
