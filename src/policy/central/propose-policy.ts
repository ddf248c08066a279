/**
 * `guard policy propose` (SPEC §16): the next central policy, as a
 * system-layer YAML document for the policy owner to review, sign
 * (`guard policy sign`) and publish. It is the policy in force (the central
 * policy's payload, else the local system layer) with the suggested tier
 * limits in place, each tier preceded by a comment with its evidence, and a
 * header that lists every change. Nothing else of the policy changes. Pure:
 * the suggestions come in as plain data.
 */
import { Document, isMap, isScalar, type Pair, type YAMLMap } from 'yaml';
import { configDuration } from '../../util/duration.ts';
import { escapeControl } from '../../util/text.ts';
import { SOURCE_KEYS } from './policy-layer.ts';

export interface TierProposal {
  tier: string;
  /** The new idle limit (ms); undefined keeps the tier as it is. */
  idle?: number;
  /** Evidence and reasoning, one comment line each. */
  comment: string[];
}

export interface ProposalInput {
  /** The policy in force as plain data (a verified payload, or a parsed system layer); undefined when there is none. */
  base: Record<string, unknown> | undefined;
  /** What `base` is, for the header: "the central policy https://… (version …)". */
  baseLabel: string;
  /** Lines of the header before the changes (when, from which events). */
  header: string[];
  tiers: TierProposal[];
}

export interface Proposal {
  text: string;
  /** `tiers.NAME.idle: 15m → 30m` lines, the difference from `base`. */
  changes: string[];
}

/** A verified payload's envelope: `guard policy sign` sets them anew. */
const ENVELOPE_KEYS = ['iat', 'exp'];

function keyOf(pair: Pair): unknown {
  return isScalar(pair.key) ? pair.key.value : pair.key;
}

export function proposePolicy(input: ProposalInput): Proposal {
  const base = input.base ?? {};
  const dropped = Object.keys(base).filter((key) => SOURCE_KEYS.includes(key));
  const layer: Record<string, unknown> = { version: 1 };
  for (const [key, value] of Object.entries(base)) if (!ENVELOPE_KEYS.includes(key) && !SOURCE_KEYS.includes(key)) layer[key] = value;
  const baseTiers = (layer.tiers && typeof layer.tiers === 'object' ? layer.tiers : {}) as Record<string, Record<string, unknown> | null>;
  // No prototype: a tier is named by whoever wrote the policy or the events (`__proto__` is a name like any other).
  const tiers = Object.create(null) as Record<string, Record<string, unknown>>;
  for (const [name, limits] of Object.entries(baseTiers)) tiers[name] = { ...(limits ?? {}) };
  const changes: string[] = [];
  for (const proposal of input.tiers) {
    if (proposal.idle === undefined) continue;
    const next = configDuration(proposal.idle);
    const before = tiers[proposal.tier]?.idle;
    if (before === next) continue;
    tiers[proposal.tier] = { ...(tiers[proposal.tier] ?? {}), idle: next };
    changes.push(`tiers.${escapeControl(proposal.tier)}.idle: ${typeof before === 'string' ? escapeControl(before) : '(not set)'} → ${next}`);
  }
  if (Object.keys(tiers).length > 0) layer.tiers = tiers;

  const doc = new Document(layer);
  const tierMap = doc.get('tiers', true);
  const elsewhere: string[] = [];
  for (const proposal of input.tiers) {
    const pair = isMap(tierMap) ? (tierMap as YAMLMap).items.find((item) => keyOf(item) === proposal.tier) : undefined;
    if (pair && isScalar(pair.key)) pair.key.commentBefore = proposal.comment.map((line) => ` ${line}`).join('\n');
    else elsewhere.push(...proposal.comment); // a tier this document does not set: its evidence still goes to the reviewer
  }
  if (elsewhere.length > 0) doc.comment = [' Tiers this document leaves to the other layers:', ...elsewhere.map((line) => ` ${line}`)].join('\n');
  doc.commentBefore = [
    ...input.header,
    `Against: ${input.baseLabel}.`,
    ...(changes.length > 0 ? ['Changes:', ...changes.map((change) => `  ${change}`)] : ['Changes: none — the limits in force fit the target.']),
    ...(dropped.length > 0 ? [`Left out: ${dropped.join(', ')} (they stay in the local system layer: a central policy may not set them).`] : []),
    'Review it, then sign and publish it (docs/team-loop.md):',
    '  guard config check proposal.yaml',
    '  guard policy sign --key policy-key.jwk proposal.yaml > policy.jws',
  ]
    .map((line) => ` ${line}`)
    .join('\n');
  const text = doc.toString();
  return { text: text.endsWith('\n') ? text : `${text}\n`, changes };
}
