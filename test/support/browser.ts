/**
 * A real browser for device-flow approvals: Debian's chromium driven by
 * playwright-core (never a downloaded browser). Every request that leaves
 * loopback is aborted (the provider's pages import web fonts), and no step
 * waits for `load` (RECIPES).
 */
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** One person's browser: cookies (the IdP session) persist across approvals in it. */
export async function newProfile(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext();
  await context.route('**/*', (route) => {
    const host = new URL(route.request().url()).hostname;
    return host === '127.0.0.1' || host === 'localhost' ? route.continue() : route.abort();
  });
  return context;
}

export type Step = 'confirm' | 'login' | 'consent' | 'success' | 'aborted' | 'error';

export interface Approval {
  /** The pages the person went through, in order. */
  steps: Step[];
  /** The user code the confirmation page showed. */
  codeShown?: string;
  /** The visible text of the last page. */
  lastText: string;
}

const STEP_TIMEOUT = 15_000;

/** Which page is this? Waits until it is one we know. */
async function nextStep(page: Page): Promise<Step> {
  const is = (selector: string, step: Step) => page.locator(selector).first().waitFor({ timeout: STEP_TIMEOUT }).then(() => step);
  return Promise.race([
    is('button[name=abort]', 'confirm'),
    is('input[name=login]', 'login'),
    is('h1:has-text("Authorize")', 'consent'),
    is('h1:has-text("Sign-in Success")', 'success'),
    is('p.red:has-text("interrupted")', 'aborted'),
    is('p.red', 'error'),
  ]);
}

/**
 * Opens the verification URL guard printed and acts like a person: checks
 * the code, confirms (or aborts), signs in when asked (the dev pages take
 * any password), consents, until a final page.
 */
export async function approveInBrowser(context: BrowserContext, url: string, options: { login?: string; deny?: boolean } = {}): Promise<Approval> {
  const page = await context.newPage();
  const steps: Step[] = [];
  let codeShown: string | undefined;
  try {
    await page.goto(url, { waitUntil: 'commit' });
    for (let i = 0; i < 8; i++) {
      const step = await nextStep(page);
      steps.push(step);
      if (step === 'confirm') {
        codeShown = (await page.locator('code').first().textContent())?.trim();
        await page.locator(options.deny ? 'button[name=abort]' : 'button[autofocus]').click({ noWaitAfter: true });
      } else if (step === 'login') {
        await page.fill('input[name=login]', options.login ?? 'alice');
        await page.fill('input[name=password]', 'any password');
        await page.locator('button[type=submit]').click({ noWaitAfter: true });
      } else if (step === 'consent') {
        await page.locator('button[type=submit]').click({ noWaitAfter: true });
      } else {
        break;
      }
      await waitForNavigationAway(page, step);
    }
    return { steps, codeShown, lastText: (await page.locator('body').innerText().catch(() => '')).trim() };
  } finally {
    await page.close();
  }
}

/** After acting on a page, wait until that page is gone (the next one may look alike, e.g. two forms). */
async function waitForNavigationAway(page: Page, from: Step): Promise<void> {
  const marker: Record<string, string> = {
    confirm: 'button[name=abort]',
    login: 'input[name=login]',
    consent: 'h1:has-text("Authorize")',
  };
  const selector = marker[from];
  if (selector) await page.locator(selector).first().waitFor({ state: 'detached', timeout: STEP_TIMEOUT }).catch(() => undefined);
}
