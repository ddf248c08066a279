/**
 * The checker every section parser of a configuration layer uses: typed
 * reads of YAML nodes that record each problem with file, line and column
 * (never just the first; never silently ignored).
 */
import { isMap, isScalar, isSeq, type LineCounter, type Node, type Pair, type YAMLMap } from 'yaml';
import { parseDuration } from '../../util/duration.ts';
import type { ConfigIssue } from '../types.ts';

export class Checker {
  readonly issues: ConfigIssue[] = [];
  constructor(readonly file: string, private readonly lines: LineCounter) {}

  pos(node: Node | null | undefined): { line: number; col: number } {
    return this.lines.linePos(node?.range?.[0] ?? 0);
  }

  at(node: Node | null | undefined, message: string): void {
    this.issues.push({ file: this.file, ...this.pos(node), message });
  }

  /** The pairs of a mapping, reporting keys outside `allowed`. */
  pairs(node: Node | null | undefined, where: string, allowed?: readonly string[]): Array<[string, Node | null, Pair]> {
    if (!isMap(node)) {
      this.at(node, `${where} must be a mapping`);
      return [];
    }
    const out: Array<[string, Node | null, Pair]> = [];
    for (const pair of (node as YAMLMap).items) {
      const keyNode = pair.key as Node | null;
      const key = isScalar(keyNode) ? String(keyNode.value) : undefined;
      if (key === undefined) {
        this.at(keyNode, `${where}: keys must be plain strings`);
        continue;
      }
      if (allowed && !allowed.includes(key)) {
        this.at(keyNode, `unknown key "${key}" in ${where} (expected one of: ${allowed.join(', ')})`);
        continue;
      }
      out.push([key, pair.value as Node | null, pair]);
    }
    return out;
  }

  string(node: Node | null | undefined, where: string): string | undefined {
    if (isScalar(node) && typeof node.value === 'string' && node.value !== '') return node.value;
    this.at(node, `${where} must be a non-empty string`);
    return undefined;
  }

  strings(node: Node | null | undefined, where: string): string[] {
    if (!isSeq(node)) {
      this.at(node, `${where} must be a list of strings`);
      return [];
    }
    return node.items.flatMap((item) => {
      const value = this.string(item as Node, `each entry of ${where}`);
      return value === undefined ? [] : [value];
    });
  }

  boolean(node: Node | null | undefined, where: string): boolean | undefined {
    if (isScalar(node) && typeof node.value === 'boolean') return node.value;
    this.at(node, `${where} must be true or false`);
    return undefined;
  }

  duration(node: Node | null | undefined, where: string): number | undefined {
    const text = isScalar(node) && (typeof node.value === 'string' || typeof node.value === 'number') ? String(node.value) : undefined;
    const ms = text === undefined ? undefined : parseDuration(text);
    if (ms === undefined) this.at(node, `${where}: bad duration ${JSON.stringify(text ?? null)} (use e.g. 90s, 15m, 8h, 1d)`);
    return ms;
  }

  stringMap(node: Node | null | undefined, where: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [key, value] of this.pairs(node, where)) {
      const text = this.string(value, `${where}.${key}`);
      if (text !== undefined) out[key] = text;
    }
    return out;
  }
}

/** The message for a key that routes authentication, set in a project `.guard.yaml` (SPEC §13). */
export const notInProject = (what: string) =>
  `${what} may not be set in a project .guard.yaml (it would send authentication to another identity provider); set it in your user configuration`;
