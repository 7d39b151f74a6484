/**
 * Output for people and for machines: colours only where a person reads a terminal (and NO_COLOR,
 * https://no-color.org, is not set), plain aligned tables, and a progress line on stderr that is
 * rewritten in place and cleared at the end (on a terminal only, so logs and pipes stay clean).
 */

type Stream = NodeJS.WriteStream;

export interface Paint {
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

export function paintFor(stream: Stream = process.stdout, env: NodeJS.ProcessEnv = process.env): Paint {
  const on = Boolean(stream.isTTY) && !env.NO_COLOR;
  const sgr = (open: number, close: number) => (s: string) => (on ? `\x1b[${open}m${s}\x1b[${close}m` : s);
  return { green: sgr(32, 39), red: sgr(31, 39), yellow: sgr(33, 39), dim: sgr(2, 22), bold: sgr(1, 22) };
}

const ESCAPES = /\x1b\[[0-9;]*m/g;
/** CJK and full-width forms take two columns in a terminal. */
const WIDE = /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/g;

/** How many terminal columns a text takes. */
export function columns(s: string): number {
  const plain = s.replace(ESCAPES, '');
  return plain.length + (plain.match(WIDE)?.length ?? 0);
}

/** Rows under a header, each column as wide as its widest cell; the last column is not padded. */
export function table(header: string[], rows: string[][], paint: Paint): string {
  const widths = header.map((h, i) => Math.max(columns(h), ...rows.map((r) => columns(r[i] ?? ''))));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(widths[i]! - columns(c))))
      .join('  ')
      .trimEnd();
  return [paint.bold(line(header)), ...rows.map(line)].join('\n');
}

/** A one-line status on stderr for work that takes more than a moment; silent unless stderr is a terminal. */
export function progress(stream: Stream = process.stderr): { update(text: string): void; done(): void } {
  if (!stream.isTTY) return { update: () => undefined, done: () => undefined };
  let shown = false;
  return {
    update(text) {
      const width = (stream.columns ?? 80) - 1;
      stream.write(`\r\x1b[2K${text.length > width ? text.slice(0, width) : text}`);
      shown = true;
    },
    done() {
      if (shown) stream.write('\r\x1b[2K');
      shown = false;
    },
  };
}
