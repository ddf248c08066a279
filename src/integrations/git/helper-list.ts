/**
 * git's credential helpers for a request, as git 2.39 builds the list: every
 * `credential.helper` and matching `credential.<url>.helper` setting in
 * config order (system, global, local, command line), an empty value
 * clearing what came before. git asks them in that order until one
 * answers (or says `quit`), and on success hands the credential to every
 * one of them (`approve`, which makes `store` write it to disk). Pure.
 *
 * @see https://git-scm.com/docs/gitcredentials#_custom_helpers
 */
import { parseUrlPattern, urlMatches, type CredentialUrl, type UrlPattern } from './url-match.ts';

export interface HelperSetting {
  /** Where git read it (`file:/home/u/.gitconfig`, `command line:`), from `--show-origin`. */
  origin: string;
  /** `credential.helper` or `credential.<url>.helper`. */
  key: string;
  /** The helper; empty resets the list. */
  value: string;
  /** The `<url>` of the key: undefined for `credential.helper`, null for one git skips. */
  pattern: UrlPattern | undefined | null;
}

/** What a helper is, for guard: guard itself, one of git's storing helpers, or another. */
export type HelperKind = 'guard' | 'store' | 'cache' | 'other';

/** The settings from `git config -z --show-origin --get-regexp '^credential\..*helper$'` (origin NUL key LF value NUL). */
export function parseHelperSettings(output: string): HelperSetting[] {
  const fields = output.split('\0');
  const settings: HelperSetting[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const origin = fields[i]!;
    const entry = fields[i + 1]!;
    const lf = entry.indexOf('\n');
    if (lf < 0) continue; // `helper` without a value: git refuses it too
    const key = entry.slice(0, lf);
    const lower = key.toLowerCase();
    if (lower !== 'credential.helper' && !(lower.startsWith('credential.') && lower.endsWith('.helper'))) continue;
    const url = key.slice('credential.'.length, -'.helper'.length);
    settings.push({ origin, key, value: entry.slice(lf + 1), pattern: lower === 'credential.helper' ? undefined : (parseUrlPattern(url) ?? null) });
  }
  return settings;
}

/** The helpers git asks for `url`, in order. */
export function helpersFor(settings: readonly HelperSetting[], url: CredentialUrl): HelperSetting[] {
  let list: HelperSetting[] = [];
  for (const setting of settings) {
    if (setting.pattern === null || (setting.pattern !== undefined && !urlMatches(url, setting.pattern))) continue;
    list = setting.value === '' ? [] : [...list, setting];
  }
  return list;
}

/** `!guard git-credential`, `/usr/local/bin/guard git-credential`…: a helper that runs guard. */
export const isGuardHelper = (value: string) => /(?:^|[\s!/])guard\s+git-credential\b/.test(value);

/**
 * What a helper value runs (gitcredentials(7)): `!…` a shell snippet, an
 * absolute path that program, anything else `git credential-VALUE`.
 */
export function helperKind(value: string): HelperKind {
  if (isGuardHelper(value)) return 'guard';
  const words = value.replace(/^!/, '').trim().split(/\s+/);
  const program = value.startsWith('!') && /(^|\/)git$/.test(words[0]!) ? `git-${words[1] ?? ''}` : words[0]!;
  const name = value.startsWith('!') || program.startsWith('/') ? program.split('/').pop()! : `git-credential-${program}`;
  return name === 'git-credential-store' ? 'store' : name === 'git-credential-cache' ? 'cache' : 'other';
}

/** The file a `store` helper writes (`--file PATH`, `--file=PATH`), `~/` expanded; undefined for its defaults. */
export function storeFile(value: string, home: string): string | undefined {
  const match = /(?:^|\s)--file(?:=|\s+)(\S+)/.exec(value);
  if (!match) return undefined;
  return match[1]!.startsWith('~/') ? `${home}/${match[1]!.slice(2)}` : match[1];
}
