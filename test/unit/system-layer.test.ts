/**
 * SPEC §13 "The system layer stays": GUARD_SYSTEM_POLICY adds a system-layer
 * file but never hides /etc/guard/policy.yaml. The /etc path is injected
 * through Paths (tests must not write /etc); real files, real loadConfig.
 */
import { describe, expect, it } from 'vitest';
import { resolvePaths } from '../../src/system-deps.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ETC_POLICY, type Paths } from '../../src/deps.ts';
import { loadConfig } from '../../src/policy/load.ts';

function setUp(): { dir: string; paths: Omit<Paths, 'systemPolicy'> } {
  const dir = mkdtempSync(join(tmpdir(), 'guard-system-'));
  const etcPolicy = join(dir, 'etc-policy.yaml');
  writeFileSync(etcPolicy, 'version: 1\npolicy_url: https://policy.example.com/p.jws\npolicy_keys: [{ kty: EC }]\ntiers:\n  privileged: { idle: 15m }\nrules:\n  - { name: org-prod, match: "kubectl ** --context=prod*", tier: privileged }\n');
  const userConfig = join(dir, 'config.yaml');
  writeFileSync(userConfig, 'version: 1\nprofiles:\n  default: { issuer: "https://idp.example.com", client_id: x }\ntiers:\n  standard: { idle: 45m }\ndefault_tier: standard\n');
  return { dir, paths: { stateDir: join(dir, 'state'), userConfig, etcPolicy } };
}

describe('the system layer stays', () => {
  it.each([
    ['/dev/null', '/dev/null'],
    ['an empty file', 'empty'],
    ['another policy with its own policy_url', 'other'],
  ])('GUARD_SYSTEM_POLICY=%s does not hide /etc/guard/policy.yaml or its policy_url', async (_name, kind) => {
    const { dir, paths } = setUp();
    let systemPolicy = '/dev/null';
    if (kind === 'empty') writeFileSync((systemPolicy = join(dir, 'empty.yaml')), '');
    if (kind === 'other') writeFileSync((systemPolicy = join(dir, 'other.yaml')), 'version: 1\npolicy_url: https://evil.example.com/p.jws\npolicy_keys: [{ kty: EC }]\n');
    const { config, files } = await loadConfig({ paths: { ...paths, systemPolicy }, cwd: dir, explicitUserConfig: false });
    expect(files[0]).toBe(paths.etcPolicy);
    expect(config.rules.map((rule) => rule.name)).toContain('org-prod');
    expect(config.policy?.url).toBe('https://policy.example.com/p.jws');
  });

  it('keeps the real /etc path by default, whatever the environment says', () => {
    expect(resolvePaths({ GUARD_SYSTEM_POLICY: '/dev/null', HOME: '/home/x' }).etcPolicy).toBe('/etc/guard/policy.yaml');
    expect(ETC_POLICY).toBe('/etc/guard/policy.yaml');
  });
});
