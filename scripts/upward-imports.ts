// Lists the imports in src/ that point up the layer order, so a change that makes a lower layer depend
// on a higher one shows up before it turns into an import circle. Exits 1 when there are any.
//   npx tsx scripts/upward-imports.ts
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');

// Bottom to top; a module may import its own layer and those below it. directory and instances are
// siblings: both are use-cases over the contract and the store. runtime.ts builds the parts every
// layer above shares (configuration, database, log, change feed, secret box), so it sits just above
// the store; what SSO keeps per process is SSO's own (sso/context.ts).
const layers: { name: string; members: string[] }[] = [
  // The log and the neutral errors every layer may raise (each channel renders them its own way).
  { name: 'base', members: ['log.ts', 'errors.ts'] },
  { name: 'config', members: ['config/'] },
  { name: 'store', members: ['store/'] },
  { name: 'runtime', members: ['runtime.ts'] },
  { name: 'marketplace', members: ['marketplace/'] },
  { name: 'use-cases', members: ['directory/', 'instances/'] },
  { name: 'sso', members: ['sso/'] },
  { name: 'jobs', members: ['jobs/'] },
  // The webhook worker and endpoint use-cases: the API (http) manages them, the metrics count them.
  { name: 'webhooks', members: ['webhooks/'] },
  { name: 'http', members: ['http/'] },
  // The admin console: pages over the use-cases, drawn with the http layer's templates and body reading.
  { name: 'admin', members: ['admin/'] },
  // The OneAccess look-alike of `koobridge dev-idp`: it speaks the paths sso/ calls and shows a page.
  { name: 'dev-idp', members: ['devIdp/'] },
  { name: 'top', members: ['features.ts', 'server.ts', 'main.ts', 'command.ts', 'migrate.ts', 'reseal.ts', 'backup.ts', 'cli/'] },
];

function layerOf(file: string): number {
  const path = relative(src, file);
  const index = layers.findIndex((layer) => layer.members.some((member) => (member.endsWith('/') ? path.startsWith(member) : path === member)));
  if (index < 0) throw new Error(`${path} is in no layer: add it to scripts/upward-imports.ts`);
  return index;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

interface Import { specifier: string; typeOnly: boolean }

/** Static imports, re-exports and `import()` calls, with whether only types cross. */
function importsOf(file: string): Import[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  const found: Import[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const namedTypesOnly = clause?.namedBindings && ts.isNamedImports(clause.namedBindings)
        && !clause.name && clause.namedBindings.elements.every((element) => element.isTypeOnly);
      found.push({ specifier: node.moduleSpecifier.text, typeOnly: Boolean(clause?.isTypeOnly || namedTypesOnly) });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push({ specifier: node.moduleSpecifier.text, typeOnly: node.isTypeOnly });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [argument] = node.arguments;
      if (argument && ts.isStringLiteral(argument)) found.push({ specifier: argument.text, typeOnly: false });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const upward: string[] = [];
for (const file of sourceFiles(src).sort()) {
  const from = layerOf(file);
  for (const { specifier, typeOnly } of importsOf(file)) {
    if (!specifier.startsWith('.')) continue;
    const target = resolve(dirname(file), specifier).replace(/\.js$/, '.ts');
    if (relative(src, target).startsWith('..')) continue; // config/default.json, migrations/
    const to = layerOf(target);
    if (to <= from) continue;
    upward.push(`${relative(root, file)} (${layers[from]!.name}) -> ${relative(root, target)} (${layers[to]!.name})${typeOnly ? ' [types only]' : ''}`);
  }
}

for (const line of upward) console.log(line);
console.log(`${upward.length} upward import${upward.length === 1 ? '' : 's'}`);
process.exitCode = upward.length > 0 ? 1 : 0;
