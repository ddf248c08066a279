// Approves (or denies) a device code on the local oidc-provider over plain
// HTTP, the way a person would in a browser: open the prefilled URL, confirm
// the code, sign in (any name; the dev pages accept any password), consent.
// Keep one `jar` across calls to act as one browser with an IdP session.

/** A cookie jar: name → value. */
export function createJar() {
  return new Map();
}

function parseForm(html) {
  const form = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) return undefined;
  const attr = (text, name) => new RegExp(`\\b${name}="([^"]*)"`, 'i').exec(text)?.[1];
  const fields = new URLSearchParams();
  for (const [, input] of form[2].matchAll(/<input\b([^>]*)>/gi)) {
    const name = attr(input, 'name');
    if (name && attr(input, 'type') !== 'submit') fields.set(name, decode(attr(input, 'value') ?? ''));
  }
  const buttons = [...form[2].matchAll(/<button\b([^>]*)>/gi)].map(([, b]) => ({ name: attr(b, 'name'), value: attr(b, 'value') }));
  return { action: decode(attr(form[1], 'action') ?? ''), method: (attr(form[1], 'method') ?? 'get').toUpperCase(), fields, buttons };
}

function decode(text) {
  return text.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#x2F;/g, '/').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');
}

async function request(jar, url, init = {}) {
  const headers = new Headers(init.headers);
  if (jar.size) headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
  const response = await fetch(url, { ...init, headers, redirect: 'manual' });
  for (const cookie of response.headers.getSetCookie()) {
    const [pair] = cookie.split(';');
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    if (/expires=Thu, 01 Jan 1970/i.test(cookie) || value === '') jar.delete(name);
    else jar.set(name, value);
  }
  return response;
}

/**
 * @param {string} url the verification_uri_complete guard printed
 * @param {{ login?: string, deny?: boolean, jar?: Map<string,string> }} [options]
 * @returns {Promise<{ steps: number, page: string }>}
 */
export async function approveDevice(url, options = {}) {
  const jar = options.jar ?? createJar();
  const login = options.login ?? 'alice';
  let response = await request(jar, url);
  for (let steps = 1; steps <= 20; steps++) {
    if (response.status >= 300 && response.status < 400) {
      response = await request(jar, new URL(response.headers.get('location'), url));
      continue;
    }
    const html = await response.text();
    if (/Sign-in Success|successfully|has been (approved|denied)|Request aborted|aborted/i.test(html) && !/<form/i.test(html)) return { steps, page: html };
    const form = parseForm(html);
    if (!form) throw new Error(`approveDevice: no form on the page (HTTP ${response.status}): ${html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').slice(0, 200)}`);
    if (form.fields.has('login')) form.fields.set('login', login);
    if (form.fields.has('password') || /name="password"/.test(html)) form.fields.set('password', 'any');
    const confirmButton = form.buttons.find((b) => b.name === 'confirm' || b.name === 'abort');
    if (confirmButton || /name="confirm"/.test(html)) {
      if (options.deny) form.fields.set('abort', 'yes');
      else form.fields.set('confirm', 'yes');
    }
    const target = new URL(form.action || url, url);
    response = await request(jar, target, {
      method: form.method === 'GET' ? 'GET' : 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.method === 'GET' ? undefined : form.fields.toString(),
    });
  }
  throw new Error('approveDevice: too many steps');
}

/** Finds the verification URL guard printed on stderr. */
export function findVerificationUrl(text) {
  return /https?:\/\/\S+user_code=\S+/.exec(text)?.[0] ?? /https?:\/\/127\.0\.0\.1:\d+\/device\S*/.exec(text)?.[0];
}

/**
 * Approves the device code a running `guard login` (stderr piped) prints, and
 * resolves with its exit code and stderr once it has exited.
 */
export function approveLogin(child, options = {}) {
  let stderr = '';
  let approval;
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
    const url = !approval && findVerificationUrl(stderr);
    if (url) approval = approveDevice(url, options);
  });
  return new Promise((resolve) =>
    child.once('close', async (code) => {
      await approval?.catch(() => undefined);
      resolve({ code, stderr });
    }),
  );
}
