import { describe, expect, it } from 'vitest';
import { parseLayer } from '../../src/policy/parse-layer.ts';
import { mergeLayers } from '../../src/policy/merge.ts';
import { findNamedCommand, resolveInvocation } from '../../src/policy/resolve.ts';
import { expandArgv } from '../../src/policy/template.ts';

const CONFIG = `version: 1
profiles:
  default: { issuer: "https://idp.example.com", client_id: guard-cli }
  ops: { issuer: "https://ops.example.com", client_id: guard-cli }
tiers:
  privileged: { idle: 15m, max_session: 8h, reauth_within: 10m, confirm: true }
  standard:   { idle: 45m, max_session: 12h }
  sensitive:  { idle: 30m, max_session: 4h }
default_tier: standard
rules:
  - name: prod-kube
    match: "kubectl ** --context=prod*"
    tier: privileged
  - name: any-kube
    match: "kubectl **"
    tier: sensitive
  - name: deploy-script
    match: "./scripts/deploy.sh **"
    tier: sensitive
    env: { DEPLOY_TOKEN: "{access_token}" }
commands:
  deploy:
    run: ["./scripts/deploy.sh", "{args}"]
    tier: standard
    when: { "deploy prod **": privileged }
  db connect:
    run: ["psql", "{env.DATABASE_URL}", "--set=x={1}"]
    profile: ops
    env: { PGPASSWORD: "{access_token}" }
  db:
    run: ["echo", "db"]
`;
const { config, issues } = mergeLayers([parseLayer(CONFIG, 'c.yaml', 'user').layer]);

const resolve = (argv: string[], options: { tier?: string; profile?: string } = {}) => resolveInvocation(config, { invoked: argv, argv }, options);
const resolveNamed = (args: string[]) => {
  const found = findNamedCommand(config, args)!;
  const argv = expandArgv(found.command.run, { args: found.rest, env: { DATABASE_URL: 'postgres://db/app' } });
  return { argv, resolution: resolveInvocation(config, { invoked: args, argv, command: found.command }, {}) };
};

describe('resolveInvocation', () => {
  it('parses cleanly', () => expect(issues).toEqual([]));

  it('gives default_tier to a command no rule matches', () => {
    expect(resolve(['ls', '-l'])).toMatchObject({ tier: 'standard', rules: [], limits: { idle: 2_700_000 } });
  });

  it('applies every matching rule; the strictest limits win field by field', () => {
    const r = resolve(['kubectl', 'get', 'pods', '--context=prod-eu']);
    expect(r.rules.map((rule) => rule.name)).toEqual(['prod-kube', 'any-kube']);
    expect(r.tier).toBe('privileged');
    expect(r.limits).toEqual({ idle: 900_000, max_session: 4 * 3_600_000, reauth_within: 600_000, confirm: true });
  });

  it('matches the program by base name too (shell aliases pass the resolved path)', () => {
    expect(resolve(['/usr/local/bin/kubectl', 'get', '--context=prod']).tier).toBe('privileged');
  });

  it('--tier can only tighten', () => {
    expect(resolve(['ls'], { tier: 'privileged' }).limits.idle).toBe(900_000);
    expect(resolve(['kubectl', 'x', '--context=prod'], { tier: 'standard' }).limits.idle).toBe(900_000);
    expect(() => resolve(['ls'], { tier: 'nope' })).toThrow(/unknown tier "nope"/);
  });

  it('chooses the profile: flag, then command, then default', () => {
    expect(resolve(['ls']).profile.name).toBe('default');
    expect(resolve(['ls'], { profile: 'ops' }).profile.name).toBe('ops');
    expect(resolveNamed(['db', 'connect']).resolution.profile.name).toBe('ops');
  });
});

describe('named commands', () => {
  it('prefers the longest name (`db connect` over `db`) and expands templates', () => {
    const { argv, resolution } = resolveNamed(['db', 'connect', 'first']);
    expect(argv).toEqual(['psql', 'postgres://db/app', '--set=x=first']);
    expect(resolution.label).toBe('db connect');
    expect(resolution.env).toEqual({ PGPASSWORD: '{access_token}' });
    expect(findNamedCommand(config, ['db'])!.command.name).toBe('db');
  });

  it('matches rules against both the invoked form and the expanded argv', () => {
    const { argv, resolution } = resolveNamed(['deploy', 'staging']);
    expect(argv).toEqual(['./scripts/deploy.sh', 'staging']);
    expect(resolution.rules.map((r) => r.name)).toEqual(['deploy-script']);
    expect(resolution.tier).toBe('sensitive');
    expect(resolution.env).toEqual({ DEPLOY_TOKEN: '{access_token}' });
  });

  it('escalates per argument with when', () => {
    const { resolution } = resolveNamed(['deploy', 'prod', '--fast']);
    expect(resolution.tier).toBe('privileged');
    expect(resolution.matched.map((m) => m.via)).toContain('when "deploy prod **"');
  });

  it('expands {args} as separate words, never joined', () => {
    expect(expandArgv(['x', '{args}', 'y'], { args: ['a b', 'c'], env: {} })).toEqual(['x', 'a b', 'c', 'y']);
  });
});

describe('templates', () => {
  it('leaves the shell\'s ${…} alone', async () => {
    const { checkTemplate, expandTemplate } = await import('../../src/policy/template.ts');
    expect(checkTemplate('echo ${HOME} ${#X}', 'argv')).toBeUndefined();
    expect(expandTemplate('echo ${HOME} {1}', { args: ['a'], env: {} })).toBe('echo ${HOME} a');
    expect(checkTemplate('{HOME}', 'argv')).toMatch(/unknown placeholder \{HOME\}/);
  });
});

describe('a project layer only tightens (SPEC §2, §13)', () => {
  const USER = `version: 1
profiles:
  default: { issuer: "https://idp.example.com", client_id: guard-cli }
tiers:
  privileged: { idle: 15m, max_session: 8h }
  standard:   { idle: 45m, max_session: 12h }
default_tier: standard
rules:
  - name: prod-kube
    match: "kubectl ** --context=prod*"
    tier: privileged
`;
  const PROJECT = `version: 1
tiers:
  lax: {}
rules:
  - name: helper
    match: "kubectl **"
    tier: lax
commands:
  build:
    run: ["make"]
    tier: lax
`;
  const merged = mergeLayers([parseLayer(USER, 'user.yaml', 'user').layer, parseLayer(PROJECT, '/repo/.guard.yaml', 'project').layer]).config;
  const resolve = (argv: string[]) => resolveInvocation(merged, { invoked: argv, argv }, {});

  it("a project rule on a loose tier adds to the user's default_tier instead of replacing it", () => {
    const kube = resolve(['kubectl', 'delete', 'ns', 'x']);
    expect(kube.matched.map((m) => m.tier)).toEqual(['lax', 'standard']);
    expect(kube.limits).toMatchObject({ idle: 45 * 60_000, max_session: 12 * 3_600_000 });
    expect(kube.tier).toBe('standard');
  });

  it('a project named command on a loose tier keeps the default tier too', () => {
    const named = findNamedCommand(merged, ['build'])!;
    const resolution = resolveInvocation(merged, { invoked: ['build'], argv: expandArgv(named.command.run, { args: named.rest, env: {} }), command: named.command }, {});
    expect(resolution.limits.idle).toBe(45 * 60_000);
  });

  it("a user rule still decides alone where it matches (the project's looser rule cannot loosen it either)", () => {
    const prod = resolve(['kubectl', '--context=prod-eu', 'get', 'pods']);
    expect(prod.matched.map((m) => m.tier).sort()).toEqual(['lax', 'privileged']);
    expect(prod.limits.idle).toBe(15 * 60_000);
  });
});

describe('the tier a command is named by (SPEC §8; issue 23)', () => {
  const layer = (tiers: string) =>
    mergeLayers([parseLayer(`version: 1\nprofiles:\n  default: { issuer: "https://idp.example.com", client_id: guard-cli }\ntiers:\n${tiers}\ndefault_tier: standard\n`, 'c.yaml', 'user').layer]).config;
  const named = (tiers: string, tier?: string) => resolveInvocation(layer(tiers), { invoked: ['kube-credential'], argv: ['kube-credential'] }, { tier }).tier;

  it.each<[string, string, string | undefined, string]>([
    ['the shortest idle wins', '  privileged: { idle: 15m, confirm: true }\n  standard: { idle: 45m }', 'privileged', 'privileged'],
    ['the shortest idle wins, even over a confirm', '  privileged: { idle: 1h, confirm: true }\n  standard: { idle: 45m }', 'privileged', 'standard'],
    ['same idle: the one with reauth_within', '  privileged: { idle: 45m, reauth_within: 10m }\n  standard: { idle: 45m }', 'privileged', 'privileged'],
    ['same idle: the one that confirms', '  privileged: { idle: 45m, confirm: true }\n  standard: { idle: 45m }', 'privileged', 'privileged'],
    ['no idle on either: the one that confirms', '  privileged: { confirm: true }\n  standard: {}', 'privileged', 'privileged'],
    ['the same limits: the one asked for over the default', '  other: { idle: 45m }\n  standard: { idle: 45m }', 'other', 'other'],
    ['no --tier: the default', '  privileged: { idle: 45m, confirm: true }\n  standard: { idle: 45m }', undefined, 'standard'],
  ])('%s', (_name, tiers, tier, expected) => {
    expect(named(tiers, tier)).toBe(expected);
  });
});
