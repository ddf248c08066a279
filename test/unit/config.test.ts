import { describe, expect, it } from 'vitest';
import { parseLayer } from '../../src/policy/parse-layer.ts';
import { mergeLayers } from '../../src/policy/merge.ts';

const BASE = `version: 1
profiles:
  default:
    issuer: https://idp.example.com/realms/eng
    client_id: guard-cli
    scopes: [openid, offline_access]
tiers:
  privileged: { idle: 15m, max_session: 8h, reauth_within: 10m, confirm: true }
  standard:   { idle: 45m, max_session: 12h }
default_tier: standard
rules:
  - name: prod-kube
    match: "kubectl ** --context=prod*"
    tier: privileged
commands:
  deploy:
    run: ["./scripts/deploy.sh", "{args}"]
    tier: standard
    when: { "deploy prod": privileged }
    description: Deploy the app
  db connect:
    run: ["psql", "{env.DATABASE_URL}"]
    env: { PGPASSWORD: "{access_token}" }
aliases: [kubectl, psql, terraform]
`;

const issuesOf = (text: string) => parseLayer(text, '/etc/guard/config.yaml', 'user').issues.map((i) => `${i.line}:${i.col} ${i.message}`);

describe('parseLayer', () => {
  it('parses the SPEC §2 example without problems', () => {
    const { layer, issues } = parseLayer(BASE, 'c.yaml', 'user');
    expect(issues).toEqual([]);
    expect(layer.tiers).toEqual([
      { name: 'privileged', idle: 900_000, max_session: 28_800_000, reauth_within: 600_000, confirm: true },
      { name: 'standard', idle: 2_700_000, max_session: 43_200_000 },
    ]);
    expect(layer.rules[0]).toMatchObject({ name: 'prod-kube', match: 'kubectl ** --context=prod*', tier: 'privileged', origin: { layer: 'user', line: 12, col: 5 } });
    expect(layer.commands.map((c) => c.name)).toEqual(['deploy', 'db connect']);
    expect(layer.commands[0]!.when).toEqual([{ match: 'deploy prod', tier: 'privileged' }]);
    expect(layer.aliases).toEqual(['kubectl', 'psql', 'terraform']);
    expect(layer.profiles[0]).toMatchObject({ name: 'default', store: 'secret-service', scopes: ['openid', 'offline_access'] });
  });

  it('reports an unknown key with its line and column', () => {
    expect(issuesOf(BASE.replace('  standard:   { idle: 45m', '  standard:   { idel: 45m'))).toEqual([
      expect.stringMatching(/^9:17 unknown key "idel" in tiers\.standard/),
    ]);
  });

  it('reports a bad duration with its line and column', () => {
    expect(issuesOf(BASE.replace('idle: 15m', 'idle: 15 minutes'))).toEqual(['8:23 tiers.privileged.idle: bad duration "15 minutes" (use e.g. 90s, 15m, 8h, 1d)']);
  });

  it('reports every problem, not just the first', () => {
    const text = BASE.replace('idle: 15m', 'idle: soon').replace('max_session: 12h', 'max_session: 0s').replace('aliases:', 'alias:');
    expect(issuesOf(text)).toHaveLength(3);
  });

  it.each([
    ['a bad pattern', BASE.replace('"kubectl ** --context=prod*"', '"kubectl a** b"'), /rules\[0\]\.match: bad pattern/],
    ['a named command colliding with a built-in', BASE.replace('  deploy:', '  status:'), /collides with the built-in command "status"/],
    ['a token in argv', BASE.replace('"{env.DATABASE_URL}"', '"{access_token}"'), /not allowed in run: tokens go to the command only through env/],
    ['an unknown placeholder', BASE.replace('{env.DATABASE_URL}', '{password}'), /unknown placeholder \{password\}/],
    ['an http issuer off loopback', BASE.replace('https://idp.example.com', 'http://idp.example.com'), /must be an https:\/\/ URL/],
    ['a missing version', BASE.replace('version: 1\n', ''), /missing "version: 1"/],
    ['a wrong version', BASE.replace('version: 1', 'version: 2'), /version must be 1/],
    ['invalid YAML', `${BASE}\n  - : : [`, /^\d+:\d+ YAML:/],
    ['a duplicate key', BASE.replace('default_tier: standard', 'default_tier: standard\ndefault_tier: privileged'), /YAML: Map keys must be unique/],
    ['scopes without openid', BASE.replace('scopes: [openid, offline_access]', 'scopes: [offline_access]'), /scopes must include openid/],
    ['a bad store', BASE.replace('    scopes:', '    store: plaintext\n    scopes:'), /store must be secret-service or keyutils/],
  ])('rejects %s', (_name, text, pattern) => {
    expect(issuesOf(text).join('\n')).toMatch(pattern);
  });

  it('accepts an empty file as an empty layer', () => {
    expect(parseLayer('', 'empty.yaml', 'project').issues).toEqual([]);
  });
});

describe('mergeLayers: references across layers', () => {
  it('reports a rule naming an unknown tier at the rule\'s position', () => {
    const { layer } = parseLayer(BASE.replace('tier: privileged\ncommands', 'tier: nosuch\ncommands'), 'u.yaml', 'user');
    const { issues } = mergeLayers([layer]);
    expect(issues.map((i) => `${i.file}:${i.line} ${i.message}`)).toEqual([expect.stringMatching(/^u\.yaml:12 rule "prod-kube": tier "nosuch" is not defined/)]);
  });

  it('lets a project layer use a tier the user layer defines', () => {
    const user = parseLayer(BASE, 'u.yaml', 'user').layer;
    const project = parseLayer('version: 1\nrules:\n  - match: "make deploy"\n    tier: privileged\n', 'p.yaml', 'project').layer;
    expect(mergeLayers([user, project]).issues).toEqual([]);
  });

  it('refuses a later layer redefining a named command or a profile\'s issuer', () => {
    // (A project layer may not define profiles at all: see test/integration/project-layers.test.ts.)
    const user = parseLayer(BASE, 'u.yaml', 'user').layer;
    const project = parseLayer(
      'version: 1\nprofiles:\n  default: { issuer: "https://evil.example", client_id: x }\ncommands:\n  deploy: { run: [evil] }\n',
      'later.yaml',
      'user',
    ).layer;
    const messages = mergeLayers([user, project]).issues.map((i) => i.message);
    expect(messages).toEqual([
      expect.stringContaining('profile "default" is already defined by an earlier layer'),
      expect.stringContaining('command "deploy" is already defined in u.yaml'),
    ]);
  });

  it('keeps the first definition of a command (a project cannot replace it)', () => {
    const user = parseLayer(BASE, 'u.yaml', 'user').layer;
    const project = parseLayer('version: 1\ncommands:\n  deploy: { run: [evil] }\n', 'p.yaml', 'project').layer;
    expect(mergeLayers([user, project]).config.commands.get('deploy')!.run).toEqual(['./scripts/deploy.sh', '{args}']);
  });
});
