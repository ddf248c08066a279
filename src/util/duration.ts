/** Durations in config: an integer followed by s, m, h or d (`90s`, `15m`, `1h`, `8h`, `1d`). */
const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PATTERN = /^(\d{1,9})(s|m|h|d)$/;

/** Parses a duration to milliseconds; returns undefined when the text is not one. */
export function parseDuration(text: string): number | undefined {
  const match = PATTERN.exec(text.trim());
  if (!match) return undefined;
  const value = Number(match[1]) * UNITS[match[2]!]!;
  return value > 0 && Number.isSafeInteger(value) ? value : undefined;
}

/** Formats milliseconds compactly: 45s, 17m, 2h05m, 3d4h. */
export function formatDuration(ms: number): string {
  const negative = ms < 0;
  let rest = Math.floor(Math.abs(ms) / 1000);
  const d = Math.floor(rest / 86_400);
  rest -= d * 86_400;
  const h = Math.floor(rest / 3600);
  rest -= h * 3600;
  const m = Math.floor(rest / 60);
  const s = rest - m * 60;
  let out: string;
  if (d > 0) out = h > 0 ? `${d}d${h}h` : `${d}d`;
  else if (h > 0) out = m > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${h}h`;
  else if (m > 0) out = s > 0 && m < 10 ? `${m}m${String(s).padStart(2, '0')}s` : `${m}m`;
  else out = `${s}s`;
  return negative ? `-${out}` : out;
}

/** Milliseconds as a config duration (`90m`, `8h`, `1d`): the largest unit that divides it, as parseDuration reads it back. */
export function configDuration(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000]] as const) if (ms % size === 0) return `${ms / size}${unit}`;
  return `${Math.max(1, Math.round(ms / 1000))}s`;
}
