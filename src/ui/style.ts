/** Minimal ANSI styling that follows Deps.io.color (NO_COLOR / FORCE_COLOR / TTY). */
export interface Style {
  bold(text: string): string;
  dim(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  red(text: string): string;
  cyan(text: string): string;
}

const wrap = (on: boolean, open: number, close: number) => (text: string) => (on ? `\u001b[${open}m${text}\u001b[${close}m` : text);

export function createStyle(color: boolean): Style {
  return {
    bold: wrap(color, 1, 22),
    dim: wrap(color, 2, 22),
    green: wrap(color, 32, 39),
    yellow: wrap(color, 33, 39),
    red: wrap(color, 31, 39),
    cyan: wrap(color, 36, 39),
  };
}

/** Colour follows NO_COLOR / FORCE_COLOR and is off when stderr is not a TTY (SPEC §1). */
export function colorEnabled(env: NodeJS.ProcessEnv, isTTY: boolean): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  return isTTY && env.TERM !== 'dumb';
}
