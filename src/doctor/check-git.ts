/**
 * Doctor: git's credential helpers (SPEC §9, §14). A helper that runs
 * guard must be startable (else a failure) and scoped to the hosts it
 * serves. Two warnings guard's own refusal cannot cover: a `store` or
 * `cache` helper that git also uses for a host guard serves (git hands it
 * guard's token on every success, and `store` writes it to disk in plain
 * text; asked before guard, it answers with an old one), and a line of a
 * credential-store file that holds a token guard handed out (its JWT
 * issuer is a profile's, or its host one guard serves). The secret is
 * never printed: only the file, the line and the host.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { escapeControl } from '../util/text.ts';
import { shellLine, shellPath } from '../util/shell-quote.ts';
import { findOnPath } from '../setup/path-lookup.ts';
import { helperKind, helpersFor, isGuardHelper, parseHelperSettings, storeFile, type HelperSetting } from '../integrations/git/helper-list.ts';
import { commonUrl, urlMatches, type CredentialUrl } from '../integrations/git/url-match.ts';
import { parseStoredCredentials } from '../integrations/git/stored-credentials.ts';
import { runnable } from './runnable.ts';
import type { CheckResult } from './check.ts';

const scopeFix = (helper: string) => shellLine(['git', 'config', '--global', 'credential.https://git.example.com.helper', helper]);

const urlText = (url: CredentialUrl) => `${url.protocol}://${url.host}${url.path ? `/${url.path}` : ''}`;

/** Removes one setting where it was made: `git config --file FILE --unset-all KEY '^VALUE$'`. */
function unsetFix(setting: HelperSetting, home: string): string {
  if (!setting.origin.startsWith('file:')) return `remove ${escapeControl(setting.key)}=${escapeControl(setting.value)} where it is set (${escapeControl(setting.origin)})`;
  const pattern = `^${setting.value.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}$`;
  return `${shellLine(['git', 'config', '--file'])} ${shellPath(setting.origin.slice('file:'.length), home)} ${shellLine(['--unset-all', setting.key, pattern])}`;
}

/** The store/cache helpers (and helpers asked before guard) that serve a host guard serves: one warning each. */
function sharedHelpers(settings: readonly HelperSetting[], home: string): CheckResult[] {
  const guards = settings.filter((setting) => isGuardHelper(setting.value));
  const results: CheckResult[] = [];
  for (const other of settings) {
    const kind = helperKind(other.value);
    if (other.value === '' || kind === 'guard' || other.pattern === null) continue;
    for (const guard of guards) {
      if (guard.pattern === null) continue;
      const url = commonUrl(guard.pattern, other.pattern);
      const list = url ? helpersFor(settings, url) : [];
      const guardAt = list.indexOf(guard);
      const otherAt = list.indexOf(other);
      if (guardAt < 0 || otherAt < 0 || (kind === 'other' && otherAt > guardAt)) continue;
      const where = `git credential helper ${escapeControl(other.key)}=${escapeControl(other.value)}`;
      const target = escapeControl(urlText(url!));
      const why = [
        ...(otherAt < guardAt ? [`git asks it before guard for ${target}, so it answers with what it holds and guard's decision is never asked`] : []),
        ...(kind === 'other' ? [] : [`git hands it guard's token for ${target} after every success, and ${kind === 'store' ? 'it writes the token to disk in plain text' : 'it serves it again until its own timeout'}`]),
      ].join('; ');
      results.push({ id: 'git', status: 'warn', summary: `${where}: ${why} (to keep it for other hosts, see docs/git.md)`, fix: unsetFix(other, home) });
      break;
    }
  }
  return results;
}

/** Lines of credential-store files that hold a token guard handed out: by its JWT issuer, or by a host guard serves. */
function storedTokens(settings: readonly HelperSetting[], env: NodeJS.ProcessEnv, home: string, issuers: readonly string[], show: (path: string) => string): CheckResult[] {
  const files = new Set([join(home, '.git-credentials'), join(env.XDG_CONFIG_HOME || join(home, '.config'), 'git', 'credentials')]);
  for (const setting of settings) if (helperKind(setting.value) === 'store') files.add(storeFile(setting.value, home) ?? join(home, '.git-credentials'));
  const served = settings.filter((setting) => isGuardHelper(setting.value) && setting.pattern);
  const issuerOf = (iss: string) => issuers.find((issuer) => issuer.replace(/\/+$/, '') === iss.replace(/\/+$/, ''));
  const results: CheckResult[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const byHost = new Map<string, { url: CredentialUrl; lines: number[]; issuer?: string }>();
    for (const stored of parseStoredCredentials(text)) {
      const issuer = stored.issuer === undefined ? undefined : issuerOf(stored.issuer);
      if (!issuer && !served.some((setting) => urlMatches(stored.url, setting.pattern!))) continue;
      const key = `${stored.url.protocol}://${stored.url.host}`;
      const entry = byHost.get(key) ?? { url: { protocol: stored.url.protocol, host: stored.url.host }, lines: [] };
      entry.lines.push(stored.line);
      entry.issuer ??= issuer;
      byHost.set(key, entry);
    }
    for (const { url, lines, issuer } of byHost.values()) {
      const what = issuer ? `a token issued by ${escapeControl(issuer)} (guard's identity provider)` : `a password for ${escapeControl(urlText(url))}, a host guard git-credential serves`;
      results.push({
        id: 'git',
        status: 'warn',
        summary: `git credentials file ${escapeControl(show(file))} line${lines.length === 1 ? '' : 's'} ${lines.join(', ')} (${escapeControl(urlText(url))}): ${what}, stored in plain text; git may offer it when guard would refuse`,
        fix: `${shellLine(['printf', '%s\\n', `protocol=${url.protocol}`, `host=${url.host}`, ''])} | ${shellLine(['git', 'credential-store', '--file'])} ${shellPath(file, home)} erase`,
      });
    }
  }
  return results;
}

export async function checkGitHelper(env: NodeJS.ProcessEnv, cwd: string, timeoutMs: number, issuers: readonly string[] = [], show: (path: string) => string = (path) => path, guard = 'guard'): Promise<CheckResult[]> {
  // The helper line the fixes write: this guard's own path (doctor's guardWord), as git runs it through a shell.
  const helper = `!${guard} git-credential`;
  const git = findOnPath('git', env);
  if (!git) return [{ id: 'git', status: 'info', summary: 'git credential helper: git is not on PATH; nothing to check' }];
  const home = env.HOME ?? '';
  const output = await new Promise<string>((resolve) => {
    execFile(git, ['config', '-z', '--show-origin', '--get-regexp', '^credential\\..*helper$'], { env, cwd, timeout: timeoutMs, encoding: 'utf8' }, (_error, stdout) => resolve(stdout ?? ''));
  });
  const settings = parseHelperSettings(output);
  const guards = settings.filter((setting) => isGuardHelper(setting.value));
  const results: CheckResult[] = [];
  if (guards.length === 0) results.push({ id: 'git', status: 'info', summary: 'git credential helper: none uses guard', fix: `to guard a host: ${scopeFix(helper)}` });
  for (const setting of guards) {
    const { key, value } = setting;
    // `!CMD git-credential`: a shell snippet whose first word is the program git will run.
    const program = value.replace(/^!/, '').trim().split(/\s+/)[0]!;
    if (!runnable(program, env)) {
      results.push({ id: 'git', status: 'fail', class: 'config', summary: `git credential helper ${escapeControl(key)}: ${escapeControl(program)} cannot be started`, fix: shellLine(['git', 'config', '--global', key, helper]) });
    } else if (key.toLowerCase() === 'credential.helper') {
      // Not scoped to a URL: git asks it for every https host (a submodule, a redirect, a clone of anything), and gets the access token.
      results.push({ id: 'git', status: 'warn', summary: 'git credential helper credential.helper: guard git-credential answers every host git asks about, and hands each the access token', fix: `scope it: ${unsetFix(setting, home)}; ${scopeFix(helper)}` });
    } else results.push({ id: 'git', status: 'pass', summary: `git credential helper ${escapeControl(key)}: guard git-credential` });
  }
  return [...results, ...sharedHelpers(settings, home), ...storedTokens(settings, env, home, issuers, show)];
}
