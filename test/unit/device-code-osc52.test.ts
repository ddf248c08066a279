/** SPEC §13: the OSC 52 clipboard copy is made only of a plain user code; everything the IdP sent is escaped. */
import { describe, expect, it } from 'vitest';
import type { Deps } from '../../src/deps.ts';
import { showDeviceCode } from '../../src/ui/device-code.ts';

async function screen(userCode: string): Promise<string> {
  let out = '';
  const deps = {
    env: { TERM: 'xterm-256color' },
    io: { out: () => undefined, err: (text: string) => void (out += text), stdinIsTTY: false, stdoutIsTTY: false, stderrIsTTY: true, columns: 80, color: false },
    now: () => 0,
    verbose: false,
  } as unknown as Deps;
  const display = await showDeviceCode(deps, { profile: 'p', verificationUri: 'https://idp.example/device', userCode, expiresIn: 600, noBrowser: true });
  display.stop();
  return out;
}

describe('OSC 52 copy of the user code', () => {
  it('copies a plain code', async () => {
    expect(await screen('WDJB-MJHT')).toContain(`\u001b]52;c;${Buffer.from('WDJB-MJHT').toString('base64')}\u0007`);
  });

  it.each([['a BEL and OSC', 'AB\u0007\u001b]52;c;cm0gLXJmIH4=\u0007'], ['spaces and shell words', 'AB; rm -rf ~'], ['a bidi override', 'AB\u202eCD']])('copies nothing for a code with %s', async (_name, code) => {
    const out = await screen(code);
    expect(out).not.toContain('\u001b]52');
    expect(out).not.toMatch(/\u0007|\u202e/);
  });
});
