import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { loosest, mergeLayers, strictest } from '../../src/policy/merge.ts';
import { parseLayer } from '../../src/policy/parse-layer.ts';
import type { Layer, LayerKind, Tier } from '../../src/policy/types.ts';

const KINDS: LayerKind[] = ['system', 'user', 'project'];
const duration = fc.option(fc.integer({ min: 1, max: 10 * 86_400_000 }), { nil: undefined });
const tierName = fc.constantFrom('privileged', 'standard', 'low', 'ops');
const tier = fc.record({ name: tierName, idle: duration, max_session: duration, reauth_within: duration, confirm: fc.option(fc.boolean(), { nil: undefined }) });
const rule = fc.record({ name: fc.string({ minLength: 1, maxLength: 6 }), match: fc.constantFrom('kubectl **', 'psql *prod*', 'deploy prod'), tier: tierName });

const layerArb = (index: number) =>
  fc.record({ tiers: fc.uniqueArray(tier, { selector: (t) => t.name, maxLength: 4 }), rules: fc.array(rule, { maxLength: 3 }) }).map(
    ({ tiers, rules }): Layer => ({
      kind: KINDS[index]!,
      file: `layer${index}.yaml`,
      profiles: [],
      tiers: tiers.map((t) => Object.fromEntries(Object.entries(t).filter(([, v]) => v !== undefined)) as unknown as Tier),
      rules: rules.map((r, i) => ({ ...r, env: {}, origin: { layer: KINDS[index]!, file: `layer${index}.yaml`, line: i + 1, col: 1 } })),
      commands: [],
      aliases: [],
      audit: {},
    }),
  );
const layersArb = fc.integer({ min: 1, max: 3 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => layerArb(i))));

describe('mergeLayers is safe by construction (SPEC §2)', () => {
  it('every merged limit is ≤ the limit each layer sets for that tier (property)', () => {
    fc.assert(
      fc.property(layersArb, (layers) => {
        const { config } = mergeLayers(layers);
        for (const layer of layers) {
          for (const t of layer.tiers) {
            const merged = config.tiers.get(t.name)!;
            for (const key of ['idle', 'max_session', 'reauth_within'] as const) {
              if (t[key] !== undefined) expect(merged[key]!).toBeLessThanOrEqual(t[key]!);
            }
            if (t.confirm) expect(merged.confirm).toBe(true);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('no layer removes an earlier layer\'s rule (property)', () => {
    fc.assert(
      fc.property(layersArb, (layers) => {
        const { config } = mergeLayers(layers);
        const all = layers.flatMap((l) => l.rules);
        expect(config.rules).toEqual(all);
      }),
    );
  });

  it('a merged limit is always one some layer set: nothing invented (property)', () => {
    fc.assert(
      fc.property(layersArb, (layers) => {
        const { config } = mergeLayers(layers);
        for (const merged of config.tiers.values()) {
          for (const key of ['idle', 'max_session', 'reauth_within'] as const) {
            const set = layers.flatMap((l) => l.tiers.filter((t) => t.name === merged.name).map((t) => t[key])).filter((v) => v !== undefined);
            expect(merged[key]).toBe(set.length ? Math.min(...set) : undefined);
          }
        }
      }),
    );
  });
});

describe('strictest / loosest', () => {
  it('takes the shortest of each field, and confirm if any asks', () => {
    expect(strictest([{ idle: 10, max_session: 100 }, { idle: 20, reauth_within: 5, confirm: true }, {}])).toEqual({ idle: 10, max_session: 100, reauth_within: 5, confirm: true });
  });
  it('treats a missing limit as no limit when loosest', () => {
    expect(loosest([{ idle: 10, max_session: 100 }, { idle: 20 }])).toEqual({ idle: 20 });
    expect(loosest([])).toEqual({});
  });
});

describe('dead-session limits (SPEC §8) come from the system and user tiers', () => {
  it('a project tier without limits cannot keep a dead session alive', async () => {
    const { loosestLimits } = await import('../../src/commands/context.ts');
    const user = parseLayer('version: 1\ntiers:\n  privileged: { idle: 15m, max_session: 8h }\n  standard: { idle: 45m, max_session: 12h }\ndefault_tier: standard\n', 'user.yaml', 'user').layer;
    const project = parseLayer('version: 1\ntiers:\n  lax: {}\n  forever: { idle: 1000d }\n', '/repo/.guard.yaml', 'project').layer;
    const { config } = mergeLayers([user, project]);
    expect(loosestLimits(config)).toEqual({ idle: 45 * 60_000, max_session: 12 * 3_600_000 });
  });
});

describe('offline_grace (issue 23): a grace loosens, so it merges the other way round', () => {
  const layer = (kind: LayerKind, yaml: string) => parseLayer(`version: 1\n${yaml}`, `${kind}.yaml`, kind).layer;
  const H = 3_600_000;

  it('strictest keeps a grace only when every tier grants one, and then the shortest', () => {
    expect(strictest([{ offline_grace: 2 * H }, { offline_grace: H }]).offline_grace).toBe(H);
    expect(strictest([{ offline_grace: 2 * H }, { idle: 10 }]).offline_grace).toBeUndefined();
    expect(strictest([{ offline_grace: 2 * H }, { offline_grace: 0 }]).offline_grace).toBeUndefined();
    expect(strictest([]).offline_grace).toBeUndefined();
  });

  it.each<[string, string, number | undefined]>([
    ['a later layer that says nothing keeps it (a user\'s own "privileged:" keeps the break-glass grace)', 'tiers:\n  privileged: { idle: 10m }\n', 2 * H],
    ['a later layer may shorten it', 'tiers:\n  privileged: { offline_grace: 30m }\n', 0.5 * H],
    ['a later layer may end it with 0', 'tiers:\n  privileged: { offline_grace: 0 }\n', undefined],
    ['a later layer cannot lengthen it', 'tiers:\n  privileged: { offline_grace: 8h }\n', 2 * H],
  ])('system grace 2h, then %s', (_name, user, expected) => {
    const { config } = mergeLayers([layer('system', 'tiers:\n  privileged: { idle: 15m, offline_grace: 2h }\n'), layer('user', user)]);
    expect(config.tiers.get('privileged')!.offline_grace).toBe(expected);
    expect(config.tiers.get('privileged')!.idle).toBe(user.includes('idle: 10m') ? 10 * 60_000 : 15 * 60_000);
  });

  it('a later layer cannot add a grace to a tier an earlier layer defined without one', () => {
    const { config } = mergeLayers([layer('user', 'tiers:\n  privileged: { idle: 15m }\n'), layer('project', 'tiers:\n  privileged: { offline_grace: 8h }\n')]);
    expect(config.tiers.get('privileged')!.offline_grace).toBeUndefined();
  });

  it('a project tier with a grace never loosens a command: the outer default tier still applies', async () => {
    const { resolveInvocation } = await import('../../src/policy/resolve.ts');
    const { config } = mergeLayers([
      layer('user', 'profiles:\n  default: { issuer: "https://idp.example.com", client_id: guard }\ntiers:\n  standard: { idle: 45m }\ndefault_tier: standard\n'),
      layer('project', 'tiers:\n  lenient: { idle: 45m, offline_grace: 8h }\nrules:\n  - { match: "make **", tier: lenient }\n'),
    ]);
    expect(resolveInvocation(config, { invoked: ['make', 'all'], argv: ['make', 'all'] }, {}).limits.offline_grace).toBeUndefined();
  });

  it('parses durations and 0; anything else is an error with its position', () => {
    expect(layer('user', 'tiers:\n  t: { offline_grace: 90m }\n').tiers[0]!.offline_grace).toBe(90 * 60_000);
    expect(layer('user', 'tiers:\n  t: { offline_grace: 0 }\n').tiers[0]!.offline_grace).toBe(0);
    const bad = parseLayer('version: 1\ntiers:\n  t: { offline_grace: soon }\n', 'user.yaml', 'user');
    expect(bad.issues).toEqual([expect.objectContaining({ line: 3, message: 'tiers.t.offline_grace: bad duration "soon" (use e.g. 90s, 15m, 8h, 1d)' })]);
  });
});
