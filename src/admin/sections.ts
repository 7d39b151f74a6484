import type { AdminSection } from './router.js';
import { instancesSection } from './instances.js';
import { overviewSection } from './overview.js';
import { sessionsSection } from './sessions.js';
import { tenantSection } from './tenant.js';
import { callsSection } from './calls.js';
import { webhooksSection } from './webhooks.js';
import { heldSyncsSection } from './heldSyncs.js';

/** The console's parts, in the order of its navigation: one more page is one more entry. */
export const adminSections: AdminSection[] = [overviewSection, instancesSection, tenantSection, sessionsSection, callsSection, webhooksSection, heldSyncsSection];
