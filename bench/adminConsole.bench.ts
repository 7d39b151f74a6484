/**
 * The admin console's pages over real HTTP with a signed-in admin session, on a tenant of 100,000
 * departments (one real signed allOrgSync) and an audit log of a million rows (inserted in chunks
 * into the server's own audit_log by the raw driver). Each page is timed N times one after the
 * other (median and p95), against a bare koa route answering an HTML string of the same size,
 * measured in the same run. Each audit read's plan is printed, so a slow page shows why.
 */
import { expectSuccess, percentile, startBareKoaProcess, startKoobridgeProcess, timed } from './lib.js';
import { AUDIT_COLUMNS, openRawStore, type RawStore } from './rawStore.js';
import * as fx from '../test/helpers/fixtures.js';
import { departmentTree } from '../test/helpers/departmentTree.js';
import { Browser } from '../test/sso/browser.js';
import { signIn } from '../test/admin/session.js';
import type { BenchModule, BenchRow } from './types.js';

const PASSWORD = 'bench-admin-password-2026';
const TENANT = 'bench-admin-tenant';
/** A second tenant of as many departments under one root, as most companies' trees are. */
const ONE_ROOT_TENANT = 'bench-admin-one-root';
const DEPARTMENTS = 100_000;
/** Departments made top-level: more than the console shows at once, so the first level is a full page. */
const TOP_LEVEL = 300;
const AUDIT_ROWS = { full: 1_000_000, quick: 100_000 };
const AUDIT_DAYS = 30;
const TREE_TARGET_MS = 1_000;
const CALLS_TARGET_MS = 300;
const DEEP_PAGES = 20;

// ---------------------------------------------------------------- the seeded data

/**
 * A tenant's tree: departmentTree's, with TOP_LEVEL - 1 departments spread evenly over the codes lifted
 * to the top beside its root, so the first level (in org_code order) is met all along the tenant's rows.
 */
function wideTree() {
  const tree = departmentTree(DEPARTMENTS, 'A-');
  const codes = tree.map((d) => d.orgCode).sort();
  const step = Math.floor(DEPARTMENTS / TOP_LEVEL);
  const lifted = new Set(Array.from({ length: TOP_LEVEL - 1 }, (_, k) => codes[(k + 1) * step]!));
  return tree.map((d) => (lifted.has(d.orgCode) ? { ...d, parentCode: '' } : d));
}

/** The department with the most children: opening it is the largest fragment the tree fetches. */
function busiestParent(tree: ReturnType<typeof wideTree>): { orgCode: string; children: number } {
  const children = new Map<string, number>();
  for (const d of tree) if (d.parentCode) children.set(d.parentCode, (children.get(d.parentCode) ?? 0) + 1);
  const [orgCode, n] = [...children].reduce((a, b) => (b[1] > a[1] ? b : a));
  return { orgCode, children: n };
}

const KIT_CALLS = ['singleOrgSync', 'singleOrgSync', 'authSync', 'singleOrgSync', 'allOrgSync', 'tenantSync', 'applicationSync', 'authSync'];

/**
 * Audit row i of n as the server writes them (AUDIT_COLUMNS), oldest first over AUDIT_DAYS: mostly kit
 * calls, some lifecycle and SSO, about 1 in 97 refused for its signature (000001), spread over 50
 * tenants, the bench tenant among them.
 */
function auditRow(i: number, n: number, now: number): unknown[] {
  const at = now - AUDIT_DAYS * 86_400_000 + Math.floor((i * AUDIT_DAYS * 86_400_000) / n);
  const kind = i % 10;
  const [channel, call] = kind < 8 ? ['kit', KIT_CALLS[(i >> 3) % KIT_CALLS.length]!] : kind === 8 ? ['basic', 'newInstance'] : ['sso', 'login'];
  const refused = i % 97 === 0;
  const tenant = i % 50 === 0 ? TENANT : `bench-tenant-${i % 50}`;
  const detail = refused ? { skewSeconds: 0, formsTried: ['raw', 'canonical'] } : { created: 1 };
  return [
    at, channel, call, fx.INSTANCE, tenant, `N${i}`, refused ? null : 'raw',
    refused ? '000001' : '000000', refused ? 'Signature verification failed' : 'Success', refused ? 'rejected' : 'applied',
    JSON.stringify(detail), 0, 3 + (i % 40),
  ];
}

async function seedAudit(raw: RawStore, n: number): Promise<number> {
  const now = Date.now();
  const chunk = 100_000;
  const { ms } = await timed(async () => {
    for (let i = 0; i < n; i += chunk) await raw.insertRows('audit_log', AUDIT_COLUMNS, Array.from({ length: Math.min(chunk, n - i) }, (_, k) => auditRow(i + k, n, now)));
  });
  const stored = await raw.count('SELECT COUNT(*) AS n FROM audit_log', []);
  if (stored < n) throw new Error(`audit seed: ${stored} rows stored, expected at least ${n}`);
  return ms;
}

// ---------------------------------------------------------------- timing pages

/** GETs a page as the signed-in browser; throws unless it answers 200 HTML. */
async function page(browser: Browser, path: string): Promise<string> {
  const res = await browser.get(path);
  const html = await res.text();
  if (res.status !== 200 || !res.headers.get('content-type')?.startsWith('text/html')) throw new Error(`GET ${path} answered ${res.status}: ${html.slice(0, 200)}`);
  return html;
}

interface Timing {
  p50: number;
  p95: number;
  bytes: number;
}

async function timePage(browser: Browser, path: string, count: number, check?: (html: string) => void): Promise<Timing> {
  const first = await page(browser, path);
  check?.(first);
  for (let w = 0; w < 3; w++) await page(browser, path);
  const ms: number[] = [];
  for (let k = 0; k < count; k++) ms.push((await timed(() => page(browser, path))).ms);
  ms.sort((a, b) => a - b);
  return { p50: percentile(ms, 50), p95: percentile(ms, 95), bytes: Buffer.byteLength(first) };
}

/** The href of the page's "Next" link (rel=next), decoded from the HTML. */
const nextLink = (html: string) => /<a rel="next" href="([^"]+)"/.exec(html)?.[1]?.replaceAll('&amp;', '&').replaceAll('&#38;', '&');

function expectRows(what: string, selector: RegExp, min: number) {
  return (html: string) => {
    const n = html.match(selector)?.length ?? 0;
    if (n < min) throw new Error(`${what}: ${n} rows in the page, expected at least ${min}`);
  };
}

interface Scenario {
  name: string;
  path: string;
  target?: number;
  check?: (html: string) => void;
  /** The audit read behind the page, to print the store's plan for it. */
  plan?: { sql: string; params: unknown[] };
}

/** The reads behind the tree (src/directory/departments.ts departmentPage), for their plans. */
const TENANT_DEPARTMENTS = 'SELECT d.org_code, d.org_name, d.parent_code FROM departments d WHERE d.instance_id = ? AND d.tenant_id = ? AND d.deleted = 0';
const NEWEST = 'SELECT * FROM audit_log ORDER BY at DESC, id DESC LIMIT 51';

async function scenarios(browser: Browser, tree: ReturnType<typeof wideTree>): Promise<Scenario[]> {
  const tenantPath = `/admin/tenants/${fx.INSTANCE}/${TENANT}`;
  const busiest = busiestParent(tree);
  // The deep page: Next followed DEEP_PAGES times from the newest page.
  let deep = '/admin/calls';
  for (let k = 0; k < DEEP_PAGES; k++) {
    const next = nextLink(await page(browser, deep));
    if (!next) throw new Error(`calls page ${k + 1} has no Next link`);
    deep = next;
  }
  const cursor = /after=(\d+)\.(\d+)/.exec(deep)!;
  const newest = await page(browser, '/admin/calls');
  const callId = /data-call="(\d+)"/.exec(newest)![1]!;
  const tree1 = expectRows('first level', /<details /g, 200);
  const key = [fx.INSTANCE, TENANT];
  // The first level starts from the parents the tenant's departments name (departmentPage's parentsNotLive).
  const topLevel = 'SELECT DISTINCT parent_code FROM departments WHERE instance_id = ? AND tenant_id = ? AND parent_code IS NOT NULL';
  return [
    {
      name: `tenant page, first level of ${DEPARTMENTS.toLocaleString('en-US')} depts (${TOP_LEVEL} at the top)`,
      path: tenantPath,
      target: TREE_TARGET_MS,
      check: tree1,
      plan: { sql: topLevel, params: key },
    },
    {
      name: `tenant page, first level of ${DEPARTMENTS.toLocaleString('en-US')} depts (one root)`,
      path: `/admin/tenants/${fx.INSTANCE}/${ONE_ROOT_TENANT}`,
      target: TREE_TARGET_MS,
      check: expectRows('first level', /<details /g, 1),
      plan: { sql: topLevel, params: [fx.INSTANCE, ONE_ROOT_TENANT] },
    },
    {
      name: `a department's children fragment (${busiest.children} children)`,
      path: `${tenantPath}/departments?parentCode=${encodeURIComponent(busiest.orgCode)}&fragment=1`,
      target: TREE_TARGET_MS,
      check: expectRows('children', /<details /g, Math.min(busiest.children, 200)),
      plan: { sql: `${TENANT_DEPARTMENTS} AND d.parent_code = ? ORDER BY d.org_code LIMIT 200`, params: [...key, busiest.orgCode] },
    },
    { name: 'calls page, newest first', path: '/admin/calls', target: CALLS_TARGET_MS, check: expectRows('calls', /data-call=/g, 50), plan: { sql: NEWEST, params: [] } },
    {
      name: 'calls page, call=authSync + resultCode=000001',
      path: '/admin/calls?callName=authSync&resultCode=000001',
      target: CALLS_TARGET_MS,
      check: expectRows('filtered calls', /data-call=/g, 50),
      plan: { sql: 'SELECT * FROM audit_log WHERE call_name = ? AND result_code = ? ORDER BY at DESC, id DESC LIMIT 51', params: ['authSync', '000001'] },
    },
    {
      name: `calls page ${DEEP_PAGES + 1} (Next followed ${DEEP_PAGES} times)`,
      path: deep,
      target: CALLS_TARGET_MS,
      check: expectRows('deep calls', /data-call=/g, 50),
      plan: { sql: 'SELECT * FROM audit_log WHERE (at < ? OR (at = ? AND id < ?)) ORDER BY at DESC, id DESC LIMIT 51', params: [Number(cursor[1]), Number(cursor[1]), Number(cursor[2])] },
    },
    { name: "a call's page", path: `/admin/calls/${callId}`, target: CALLS_TARGET_MS, plan: { sql: 'SELECT * FROM audit_log WHERE id = ?', params: [Number(callId)] } },
    { name: 'overview page', path: '/admin' },
  ];
}

// ---------------------------------------------------------------- the module

const adminConsole: BenchModule = {
  name: 'adminConsole',
  async run(ctx) {
    const auditRows = ctx.quick ? AUDIT_ROWS.quick : AUDIT_ROWS.full;
    const count = ctx.quick ? 20 : 50;
    // The longest call the marketplace waits for: one allOrgSync of 100,000 departments on a shared machine.
    const kb = await startKoobridgeProcess(ctx, { ADMIN_PASSWORD: PASSWORD, MARKETPLACE_CALL_TIMEOUT_SECONDS: '19' });
    const raw = await openRawStore(kb.database);
    const bare = await startBareKoaProcess(1);
    try {
      const tree = wideTree();
      const syncs: number[] = [];
      for (const [tenantId, depts] of [[TENANT, tree], [ONE_ROOT_TENANT, departmentTree(DEPARTMENTS, 'R-')]] as const) {
        expectSuccess(await kb.kit('tenantSync', fx.tenantSync({ tenantId })));
        syncs.push((await timed(async () => expectSuccess(await kb.kit('allOrgSync', JSON.stringify(fx.allOrgSync(depts, { tenantId })))))).ms);
      }
      const seeded = await seedAudit(raw, auditRows);
      console.log(`  seeded 2 tenants of ${DEPARTMENTS.toLocaleString('en-US')} departments (allOrgSync ${syncs.map((ms) => (ms / 1000).toFixed(1)).join(' s, ')} s) and ${auditRows.toLocaleString('en-US')} audit rows (${(seeded / 1000).toFixed(1)} s)${ctx.quick ? ' (--quick: a tenth of the million)' : ''}`);

      const browser = new Browser(kb.url);
      const signedIn = await signIn(browser, PASSWORD);
      if (signedIn.status !== 302) throw new Error(`admin sign-in answered ${signedIn.status}`);
      const bareBrowser = new Browser(bare.url);

      const rows: BenchRow[] = [];
      for (const s of await scenarios(browser, tree)) {
        if (s.plan) console.log(`  plan for "${s.name}" on ${ctx.store}:\n    ${(await raw.explain(s.plan.sql, s.plan.params)).join('\n    ')}`);
        const t = await timePage(browser, s.path, count, s.check);
        const b = await timePage(bareBrowser, `/html?bytes=${t.bytes}`, count);
        const scenario = s.plan?.sql.includes('audit_log') ? `${s.name}, ${auditRows.toLocaleString('en-US')} audit rows${ctx.quick ? ' (--quick)' : ''}` : s.name;
        const note = `${count} sequential GETs; ${(t.bytes / 1024).toFixed(1)} KiB; median ${t.p50.toFixed(1)} ms vs bare ${b.p50.toFixed(1)} ms`;
        rows.push({ scenario: `${scenario}, median`, unit: 'ms', value: t.p50, baseline: { name: 'bare koa, same-size HTML, median', value: b.p50 } });
        rows.push({
          scenario: `${scenario}, p95`,
          unit: 'ms',
          value: t.p95,
          baseline: { name: 'bare koa, same-size HTML, p95', value: b.p95 },
          ...(s.target === undefined ? {} : { target: `p95 < ${s.target} ms`, pass: t.p95 < s.target }),
          note: s.target === undefined ? `${note}; informational (no target set)` : note,
        });
      }
      return rows;
    } finally {
      await bare.stop();
      await raw.close();
      await kb.stop();
    }
  },
};

export default adminConsole;
