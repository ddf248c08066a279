/**
 * `guard policy propose` (SPEC §16): the policy in force with the suggested
 * limits in place, each tier's evidence as a comment, the changes listed —
 * a document that parses as a system layer and that `guard policy sign`
 * accepts as it is.
 */
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { generateSigningKey, signPolicy } from '../../src/policy/central/sign-policy.ts';
import { proposePolicy } from '../../src/policy/central/propose-policy.ts';
import { parseLayer } from '../../src/policy/parse-layer.ts';
import { configDuration } from '../../src/util/duration.ts';

const MIN = 60_000;

/** A verified central payload: envelope, tiers, a rule. */
const central = {
  version: 1,
  tiers: { privileged: { idle: '15m', max_session: '8h', reauth_within: '10m', confirm: true }, standard: { idle: '45m' } },
  default_tier: 'standard',
  rules: [{ name: 'prod-kube', match: 'kubectl ** --context=prod*', tier: 'privileged' }],
  iat: 1_790_000_000,
  exp: 1_792_592_000,
};

describe('a policy proposal', () => {
  const proposal = proposePolicy({
    base: central,
    baseLabel: 'the central policy https://policy.example.com/guard.jws in force',
    header: ['guard policy propose, 2026-11-30T12:00:00.000Z', 'From 1234 audit events of 12 people on 14 hosts'],
    tiers: [
      { tier: 'privileged', idle: 25 * MIN, comment: ['privileged: idle 15m → 25m (loosen)', '  evidence: 410 idle gaps of 12 people over 96 user-days'] },
      { tier: 'standard', comment: ['standard: idle 45m kept (keep)'] },
    ],
  });
  const doc = parseYaml(proposal.text) as Record<string, any>;

  it('changes only the suggested limits, and lists the changes', () => {
    expect(doc).toEqual({ ...central, iat: undefined, exp: undefined, tiers: { ...central.tiers, privileged: { ...central.tiers.privileged, idle: '25m' } } } as unknown as Record<string, unknown>);
    expect(doc.iat).toBeUndefined();
    expect(proposal.changes).toEqual(['tiers.privileged.idle: 15m → 25m']);
    expect(proposal.text).toContain('# Against: the central policy https://policy.example.com/guard.jws in force.\n# Changes:\n#   tiers.privileged.idle: 15m → 25m\n');
  });

  it('puts each tier\'s evidence right above it', () => {
    expect(proposal.text).toMatch(/ {2}# privileged: idle 15m → 25m \(loosen\)\n {2}# {3}evidence: 410 idle gaps of 12 people over 96 user-days\n {2}privileged:\n {4}idle: 25m\n/);
    expect(proposal.text).toMatch(/ {2}# standard: idle 45m kept \(keep\)\n {2}standard:\n/);
  });

  it('is a system layer that config check and policy sign accept', async () => {
    expect(parseLayer(proposal.text, 'proposal.yaml', 'system').issues).toEqual([]);
    expect(parseLayer(proposal.text, 'proposal.yaml', 'user').issues).toEqual([]);
    const { privateJwk } = await generateSigningKey();
    const jws = await signPolicy(proposal.text, 'proposal.yaml', privateJwk, { now: Date.UTC(2026, 10, 30), validity: 7 * 86_400_000 });
    const payload = JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString()) as Record<string, any>;
    expect(payload.tiers.privileged.idle).toBe('25m');
  });

  it('leaves out what only a local layer may set, and starts a first policy from nothing', () => {
    const local = proposePolicy({
      base: { version: 1, policy_url: 'https://policy.example.com/guard.jws', policy_keys: [{ kty: 'EC' }], tiers: { privileged: { idle: '15m' } } },
      baseLabel: 'the local system layer /etc/guard/policy.yaml',
      header: [],
      tiers: [{ tier: 'privileged', idle: 15 * MIN, comment: ['privileged: idle 15m kept'] }],
    });
    expect(parseYaml(local.text)).toEqual({ version: 1, tiers: { privileged: { idle: '15m' } } });
    expect(local.changes).toEqual([]);
    expect(local.text).toContain('# Changes: none');
    expect(local.text).toContain('# Left out: policy_url, policy_keys (they stay in the local system layer');

    const first = proposePolicy({ base: undefined, baseLabel: 'no central policy and no system layer (a first policy)', header: [], tiers: [{ tier: 'standard', idle: 90 * MIN, comment: ['standard: no idle limit → 90m (set limit)'] }, { tier: 'ops', comment: ['ops: no data'] }] });
    expect(parseYaml(first.text)).toEqual({ version: 1, tiers: { standard: { idle: '90m' } } });
    expect(first.changes).toEqual(['tiers.standard.idle: (not set) → 90m']);
    expect(first.text).toMatch(/# Tiers this document leaves to the other layers:\n# ops: no data\n$/);
  });

  it('keeps a comment a comment whatever a tier name holds', () => {
    const hostile = proposePolicy({ base: { version: 1, tiers: { 'a\nb: evil': { idle: '5m' } } }, baseLabel: 'x', header: [], tiers: [{ tier: 'a\nb: evil', idle: 10 * MIN, comment: ['a\nevil: yes'] }] });
    expect(parseYaml(hostile.text)).toEqual({ version: 1, tiers: { 'a\nb: evil': { idle: '10m' } } });
  });

  it('takes a tier named __proto__ as a name, in the policy in force and in the proposals', () => {
    const base = JSON.parse('{"version":1,"tiers":{"__proto__":{"idle":"5m"},"ops":{"idle":"1h"}}}') as Record<string, unknown>;
    const proposal = proposePolicy({ base, baseLabel: 'x', header: [], tiers: [{ tier: '__proto__', idle: 10 * MIN, comment: ['__proto__: idle 5m → 10m'] }] });
    expect(proposal.changes).toEqual(['tiers.__proto__.idle: 5m → 10m']);
    expect(JSON.stringify(parseYaml(proposal.text))).toBe('{"version":1,"tiers":{"__proto__":{"idle":"10m"},"ops":{"idle":"1h"}}}');
  });

  it('escapes a tier name in the list of changes (a team\'s events may name any tier)', () => {
    const tier = 'ops\u001b[2J\u202e';
    const proposal = proposePolicy({ base: { version: 1, tiers: { [tier]: { idle: '5m' } } }, baseLabel: 'x', header: [], tiers: [{ tier, idle: 10 * MIN, comment: ['c'] }] });
    expect(proposal.changes).toEqual(['tiers.ops\\x1b[2J\\u{202e}.idle: 5m → 10m']);
    expect(proposal.text.split('\n').filter((line) => line.startsWith('#')).join('\n')).not.toMatch(/[\u001b\u202e]/);
    expect(Object.keys((parseYaml(proposal.text) as { tiers: object }).tiers)).toEqual([tier]);
  });

  it('writes durations as the config reads them', () => {
    expect([90 * MIN, 2 * 60 * MIN, 86_400_000, 45_000, 1_500].map(configDuration)).toEqual(['90m', '2h', '1d', '45s', '2s']);
  });
});
