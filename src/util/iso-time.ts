/**
 * `new Date(ms).toISOString()` without Date: the first Date call of a process
 * loads the time zone (/etc/localtime, ~0.2 ms), which a UTC timestamp never
 * needs. Used where the hot path stamps a time (audit lines, credentials).
 */
const pad = (value: number, width: number) => String(value).padStart(width, '0');

const DAY = 86_400_000;
/** Year 0 and the end of year 9999: outside them Date writes ±YYYYYY, so it does the work. */
const FIRST = -62_167_219_200_000;
const LAST = 253_402_300_799_999;

/** The same text as `new Date(ms).toISOString()`, for a time in years 0–9999 (ms since the epoch, UTC). */
export function isoTime(ms: number): string {
  const time = Math.trunc(ms);
  if (!(time >= FIRST && time <= LAST)) return new Date(ms).toISOString(); // and its RangeError for NaN
  // Days to a civil date: Howard Hinnant's days_from_civil, inverted (eras of 400 years, March-based years).
  const days = Math.floor(time / DAY);
  let rest = time - days * DAY;
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthIndex = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthIndex + 2) / 5) + 1;
  const month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.floor(rest / 1000);
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(hours, 2)}:${pad(minutes, 2)}:${pad(seconds, 2)}.${pad(rest - seconds * 1000, 3)}Z`;
}

/** RFC 3339 in whole seconds, rounded down (`2026-01-01T12:00:00Z`): for credential expiries, never later than `ms`. */
export function isoTimeSeconds(ms: number): string {
  return isoTime(Math.floor(ms / 1000) * 1000).replace('.000Z', 'Z');
}
