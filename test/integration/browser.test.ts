/**
 * Device-flow approval in a real browser (Debian chromium + playwright-core)
 * against the real oidc-provider: approve → the waiting `guard run` runs
 * its command; deny → 77; the code expires → 77 "code expired"; a step-up
 * shows a real login form even though the browser is still signed in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import { collect, configFor, createSandbox, runGuard, startGuard, type GuardResult, type Sandbox } from '../support/guard.ts';
import { startIdp, type Idp } from '../support/idp.ts';
import { approveInBrowser, launchBrowser, newProfile, type Approval } from '../support/browser.ts';
import { errorLine } from '../support/session-snapshot.ts';
// @ts-expect-error: plain ESM helper shared with the demo and the benchmark
import { findVerificationUrl } from '../../scripts/lib/approve.mjs';

let idp: Idp;
let shortCodes: Idp;
let browser: Browser;
beforeAll(async () => {
  [idp, shortCodes, browser] = await Promise.all([startIdp(), startIdp({ deviceTtl: 2 }), launchBrowser()]);
});
afterAll(async () => {
  await Promise.all([browser?.close(), idp?.stop(), shortCodes?.stop()]);
});

const TIERS = ['  standard: { idle: 45m, max_session: 12h }', '  privileged: { idle: 15m, max_session: 8h, reauth_within: 2s }'].join('\n');

function sandboxFor(issuer: string): Sandbox & { marker: string } {
  const sandbox = createSandbox();
  sandbox.writeConfig(configFor(sandbox, issuer, { tiers: TIERS }));
  return { ...sandbox, marker: join(sandbox.dir, 'ran') };
}

/**
 * Starts guard, and as soon as it prints the verification URL, lets the
 * person in `context` act on it (unless `act` is false).
 */
async function withBrowser(args: string[], env: NodeJS.ProcessEnv, context: BrowserContext, options: { deny?: boolean; act?: boolean } = {}): Promise<{ result: GuardResult; approval?: Approval; url?: string; userCode?: string }> {
  const child = startGuard(args, env);
  let approval: Promise<Approval> | undefined;
  let url: string | undefined;
  const result = await collect(child, (stderr) => {
    if (url) return;
    url = findVerificationUrl(stderr);
    if (url && options.act !== false) approval = approveInBrowser(context, url, { deny: options.deny });
  });
  const userCode = /^([A-Z]{4}-[A-Z]{4})$/m.exec(result.stderr)?.[1];
  return { result, approval: await approval, url, userCode };
}

describe('a person approving in a real browser', () => {
  let person: BrowserContext;
  let sandbox: ReturnType<typeof sandboxFor>;
  beforeAll(async () => {
    person = await newProfile(browser);
    sandbox = sandboxFor(idp.issuer);
  });
  afterAll(async () => {
    await person?.close();
    await runGuard(['logout'], sandbox.env);
  });

  it('approves: the waiting guard run signs in and runs its command', async () => {
    const { result, approval, userCode } = await withBrowser(['run', '--prompt', '--', 'touch', sandbox.marker], sandbox.env, person);
    expect(approval?.steps).toEqual(['confirm', 'login', 'consent', 'success']);
    expect(approval?.codeShown).toBe(userCode); // the page shows the code guard printed
    expect(result.code, result.stderr).toBe(0);
    expect(existsSync(sandbox.marker)).toBe(true);
    const status = await runGuard(['status', '--json'], sandbox.env);
    expect(JSON.parse(status.stdout)).toMatchObject({ logged_in: true, subject: 'alice' });
  });

  it('signing in again from the same browser needs no password (the IdP session)…', async () => {
    const { result, approval } = await withBrowser(['login'], sandbox.env, person);
    expect(approval?.steps).toEqual(['confirm', 'success']);
    expect(result.code, result.stderr).toBe(0);
  });

  it('…but a step-up forces a real login form, and only then runs the privileged command', async () => {
    await new Promise((resolve) => setTimeout(resolve, 2_100)); // the privileged tier wants an authentication within 2 s
    const marker = `${sandbox.marker}.privileged`;
    const { result, approval } = await withBrowser(['run', '--prompt', '--tier', 'privileged', '--', 'touch', marker], sandbox.env, person);
    // The provider may ask for consent again; what matters is the password form before success.
    expect(approval?.steps.slice(0, 2)).toEqual(['confirm', 'login']);
    expect(approval?.steps.at(-1)).toBe('success');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/^guard: step-up for profile "\S+": tier privileged needs a sign-in in the last 2s; yours was \d+s ago$/m);
    expect(existsSync(marker)).toBe(true);
  });
});

describe('a person who does not approve', () => {
  let person: BrowserContext;
  beforeAll(async () => {
    person = await newProfile(browser);
  });
  afterAll(async () => {
    await person?.close();
  });

  it('denies on the confirmation page → 77, the command not run', async () => {
    const sandbox = sandboxFor(idp.issuer);
    const { result, approval } = await withBrowser(['run', '--prompt', '--', 'touch', sandbox.marker], sandbox.env, person, { deny: true });
    expect(approval?.steps).toEqual(['confirm', 'aborted']);
    expect(result.code).toBe(77);
    expect(errorLine(result.stderr)).toMatch(/^guard: the sign-in was denied at the identity provider/);
    expect(existsSync(sandbox.marker)).toBe(false);
    expect((await runGuard(['status'], sandbox.env)).code).toBe(77);
  });

  it('lets the code expire → 77 "code expired", the command not run, and the page then refuses the code', async () => {
    const sandbox = sandboxFor(shortCodes.issuer);
    const { result, url } = await withBrowser(['run', '--prompt', '--', 'touch', sandbox.marker], sandbox.env, person, { act: false });
    expect(result.code).toBe(77);
    expect(errorLine(result.stderr)).toMatch(/^guard: the device code expired before it was approved; run the command again for a new code$/);
    expect(existsSync(sandbox.marker)).toBe(false);
    const late = await approveInBrowser(person, url!);
    expect(late.steps).toEqual(['error']);
    expect(late.lastText).not.toMatch(/Sign-in Success/);
  });
});
