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
