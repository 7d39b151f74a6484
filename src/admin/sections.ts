import type { AdminSection } from './router.js';
import { overviewSection } from './overview.js';

/** The console's parts, in the order of its navigation: one more page is one more entry. */
export const adminSections: AdminSection[] = [overviewSection];
