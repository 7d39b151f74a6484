/**
 * The README's Configuration tables, written from the settings' declaration (src/config/settings.ts).
 * `npm run docs:config` rewrites them in README.md, between the markers; a test fails when they differ.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { GROUPS, SETTINGS, type Setting } from '../src/config/settings.js';

export const BEGIN = '<!-- configuration table: written by `npm run docs:config` from src/config/settings.ts -->';
export const END = '<!-- end of configuration table -->';
export const README = fileURLToPath(new URL('../README.md', import.meta.url));

const code = (text: string) => `\`${text}\``;
// A table cell: a `|` would end it.
const cell = (text: string) => text.replaceAll('|', '\\|');

function defaultOf(s: Setting): string {
  if (s.defaultText) return s.defaultText;
  if (s.generate) return 'generated in development (kept in `DATA_DIR/dev-keys.json`); required in production';
  if (s.default === undefined) return 'unset';
  return s.default === '' ? 'empty' : code(String(s.default));
}

export function configurationTables(): string {
  const settings: Setting[] = Object.values(SETTINGS);
  return Object.entries(GROUPS)
    .map(([group, title]) => {
      const rows = settings
        .filter((s) => s.group === group)
        .map((s) => {
          const variable = s.fileVariable ? `${code(s.fileVariable)} or ${code(s.variable)}` : code(s.variable);
          return `| ${[variable, defaultOf(s), s.accepts, s.description].map(cell).join(' | ')} |`;
        });
      return [`### ${title}`, '', '| Variable | Default | Accepts | Meaning |', '|---|---|---|---|', ...rows].join('\n');
    })
    .join('\n\n');
}

/** The README with its tables written anew; the text around the markers is left as it is. */
export function withTables(readme: string): string {
  const begin = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (begin < 0 || end < begin) throw new Error(`README.md: the markers ${BEGIN} and ${END} are missing`);
  return `${readme.slice(0, begin + BEGIN.length)}\n\n${configurationTables()}\n\n${readme.slice(end)}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const before = readFileSync(README, 'utf8');
  const after = withTables(before);
  writeFileSync(README, after);
  console.log(after === before ? 'README.md: the configuration tables were up to date' : 'README.md: configuration tables rewritten');
}
