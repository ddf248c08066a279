/**
 * Points one kubeconfig context's user at `guard kube-credential` and back
 * (SPEC §9), as edits of the file's text: the YAML Document API finds the
 * nodes and their source ranges, and only those bytes change, so comments,
 * order and spacing everywhere else stay exactly as they were. Every result
 * is parsed again and compared with the intended change before it is used.
 * Pure: text in, text out.
 *
 * @see https://kubernetes.io/docs/reference/config-api/kubeconfig.v1/
 */
import { isMap, isScalar, isSeq, parseDocument, type Document, type Node, type Pair, type YAMLMap } from 'yaml';
import { GuardError } from '../../errors.ts';
import { EXEC_API_VERSIONS } from './exec-info.ts';
import { escapeControl } from '../../util/text.ts';

/** What the exec user runs: the guard launcher and its arguments. */
export interface GuardExec {
  command: string;
  args: string[];
}

/** What `--undo` needs to put a context back. */
export interface ContextBackup {
  /** The user the context named before. */
  user: string;
  /** Its `user:` value as it was (text, comments included), when guard rewrote that user in place. */
  original?: string;
  /** The user guard added instead, when the old one is shared with other contexts. */
  created?: string;
}

export type EditResult =
  | { changed: false; summary: string }
  | { changed: true; text: string; summary: string; backup?: ContextBackup };

interface Located {
  doc: Document.Parsed;
  /** The context's `user:` pair (inside `context:`). */
  contextUser: Pair<Node, Node>;
  userName: string;
  /** The users item with that name, if any. */
  userItem?: YAMLMap;
  /** Other contexts naming the same user. */
  sharedWith: string[];
}

const nameOf = (node: unknown): string | undefined => {
  if (!isMap(node)) return undefined;
  const name = node.get('name');
  return typeof name === 'string' ? name : undefined;
};

function parseKubeconfig(text: string, file: string): Document.Parsed {
  const doc = parseDocument(text, { keepSourceTokens: false });
  if (doc.errors.length > 0) throw new GuardError('config', `${file} is not valid YAML (${doc.errors[0]!.message.split('\n')[0]}); fix it first`);
  return doc;
}

function locate(text: string, file: string, context: string): Located {
  const doc = parseKubeconfig(text, file);
  const contexts = doc.get('contexts', true);
  const items = isSeq(contexts) ? contexts.items : [];
  const entry = items.find((item) => nameOf(item) === context);
  if (!isMap(entry)) {
    const known = items.map(nameOf).filter((n) => n !== undefined);
    throw new GuardError('usage', escapeControl(`no context "${context}" in ${file} (it has: ${known.join(', ') || 'none'}); guard kubeconfig edits the first file of KUBECONFIG`));
  }
  const body = entry.get('context', true);
  const pair = isMap(body) ? (body.items as Array<Pair<Node, Node>>).find((p) => isScalar(p.key) && p.key.value === 'user') : undefined;
  if (!pair || !isScalar(pair.value) || typeof pair.value.value !== 'string') throw new GuardError('config', escapeControl(`context "${context}" in ${file} names no user`));
  const userName = pair.value.value;
  const users = doc.get('users', true);
  const userItem = (isSeq(users) ? users.items : []).find((item) => nameOf(item) === userName) as YAMLMap | undefined;
  const sharedWith = items
    .filter((item) => item !== entry && isMap(item) && isMap(item.get('context', true)) && (item.get('context', true) as unknown as YAMLMap).get('user') === userName)
    .map((item) => nameOf(item) ?? '?');
  return { doc, contextUser: pair, userName, userItem, sharedWith };
}

/** Is this users entry's `user:` guard's exec plugin? */
export function isGuardUser(user: unknown): boolean {
  const exec = (user as { exec?: { args?: unknown } } | null | undefined)?.exec;
  return Array.isArray(exec?.args) && exec.args[0] === 'kube-credential';
}

function execJson(exec: GuardExec): Record<string, unknown> {
  return { exec: { apiVersion: EXEC_API_VERSIONS[0], command: exec.command, args: exec.args, interactiveMode: 'IfAvailable', provideClusterInfo: true } };
}

/** A scalar as YAML: plain when that reads back as the same string, else double-quoted (JSON is valid YAML). */
function scalar(value: string): string {
  return /^[A-Za-z0-9_./@+-][A-Za-z0-9_./@:+-]*$/.test(value) && !/^[-+.]?\d/.test(value) && !/^(true|false|null|yes|no|on|off|~)$/i.test(value) ? value : JSON.stringify(value);
}

/** The `user:` value guard writes, in block style at `indent` spaces. */
function renderExec(exec: GuardExec, indent: number): string {
  const pad = ' '.repeat(indent);
  return [
    `${pad}exec:`,
    `${pad}  apiVersion: ${EXEC_API_VERSIONS[0]}`,
    `${pad}  command: ${scalar(exec.command)}`,
    `${pad}  args:`,
    ...exec.args.map((arg) => `${pad}  - ${scalar(arg)}`),
    `${pad}  interactiveMode: IfAvailable`,
    `${pad}  provideClusterInfo: true`,
  ].join('\n');
}

/** The new `user:` value replacing `original` (from the colon on): block style, or flow (JSON) inside a flow mapping. */
function replacement(text: string, pair: Pair<Node, Node | null>, parent: YAMLMap, exec: GuardExec, original: string): string {
  if (parent.flow) return `: ${JSON.stringify(execJson(exec))}`;
  return `:\n${renderExec(exec, columnOf(text, (pair.key as Node).range![0]) + 2)}${original.endsWith('\n') ? '\n' : ''}`;
}

function columnOf(text: string, offset: number): number {
  return offset - (text.lastIndexOf('\n', offset - 1) + 1);
}

/** The source range of a pair's value, starting at its colon (so a block value is replaced whole, comments inside included). */
function valueSpan(text: string, pair: Pair<Node, Node | null>): { start: number; end: number } {
  const keyEnd = (pair.key as Node).range![1];
  const start = text.indexOf(':', keyEnd);
  const end = pair.value?.range ? pair.value.range[2] : start + 1;
  return { start, end };
}

function splice(text: string, start: number, end: number, insert: string): string {
  return text.slice(0, start) + insert + text.slice(end);
}

/** Applies edits given in offsets of the same original text (non-overlapping), last first. */
function applyEdits(text: string, edits: Array<{ start: number; end: number; insert: string }>): string {
  return [...edits].sort((a, b) => b.start - a.start).reduce((out, e) => splice(out, e.start, e.end, e.insert), text);
}

/** The text's data must equal `expected` after an edit: otherwise the edit is refused, never written. */
function verify(text: string, file: string, expected: unknown): string {
  const actual = parseKubeconfig(text, file).toJS();
  if (JSON.stringify(actual) !== JSON.stringify(expected)) throw new GuardError('config', `could not edit ${file} safely (its layout is unusual); nothing was changed — add the exec user by hand (see docs/integrations.md)`);
  return text;
}

/**
 * Makes `context`'s user run guard. A user only this context names is
 * rewritten in place (its old value goes to the backup); a user other
 * contexts share stays, and a new user `guard-CONTEXT` is added for this
 * one. Running it again with the same arguments changes nothing.
 */
export function pointContextAtGuard(text: string, file: string, context: string, exec: GuardExec): EditResult {
  const found = locate(text, file, context);
  const { doc, userItem, userName } = found;
  const expected = doc.toJS() as { users?: Array<{ name?: string; user?: unknown }>; contexts: Array<{ name?: string; context: { user: string } }> };
  const wanted = execJson(exec);
  const current = userItem?.toJS(doc) as { user?: unknown } | undefined;
  if (current && isGuardUser(current.user)) {
    if (JSON.stringify(current.user) === JSON.stringify(wanted)) return { changed: false, summary: `context "${context}" already uses guard (user "${userName}"); nothing to change` };
    const pair = userItem!.items.find((p) => isScalar(p.key) && p.key.value === 'user') as Pair<Node, Node>;
    const span = valueSpan(text, pair);
    expected.users!.find((u) => u.name === userName)!.user = wanted;
    const edited = splice(text, span.start, span.end, replacement(text, pair, userItem!, exec, text.slice(span.start, span.end)));
    return { changed: true, text: verify(edited, file, expected), summary: `user "${userName}" of context "${context}": guard ${exec.args.join(' ')} (was: guard with other arguments)` };
  }
  if (userItem && found.sharedWith.length === 0) {
    const pair = userItem.items.find((p) => isScalar(p.key) && p.key.value === 'user') as Pair<Node, Node | null> | undefined;
    if (pair) {
      const span = valueSpan(text, pair);
      const original = text.slice(span.start, span.end);
      expected.users!.find((u) => u.name === userName)!.user = wanted;
      const edited = splice(text, span.start, span.end, replacement(text, pair, userItem, exec, original));
      return {
        changed: true,
        text: verify(edited, file, expected),
        summary: `user "${userName}" of context "${context}": now runs guard ${exec.args.join(' ')} (was: ${describeUser(current?.user)})`,
        backup: { user: userName, original },
      };
    }
  }
  // Shared (or missing) user: add guard-CONTEXT after it and point the context there.
  const created = uniqueUserName(expected.users ?? [], `guard-${context}`);
  const users = doc.get('users', true);
  if (!isSeq(users) || !users.range || users.items.length === 0) throw new GuardError('config', `${file} has no users list to add "${created}" to; add the exec user by hand (see docs/integrations.md)`);
  const anchor = (userItem ?? users.items[users.items.length - 1]) as YAMLMap;
  const itemStart = anchor.range![0];
  const column = columnOf(text, itemStart);
  const dash = text.lastIndexOf('-', itemStart);
  const pad = ' '.repeat(columnOf(text, dash));
  const insertAt = anchor.range![2];
  const block = `${pad}- name: ${scalar(created)}\n${' '.repeat(column)}user:\n${renderExec(exec, column + 2)}\n`;
  const ctxUser = found.contextUser.value!.range!;
  const edited = applyEdits(text, [
    { start: insertAt, end: insertAt, insert: text.slice(0, insertAt).endsWith('\n') ? block : `\n${block}` },
    { start: ctxUser[0], end: ctxUser[1], insert: scalar(created) },
  ]);
  const at = userItem ? expected.users!.findIndex((u) => u.name === userName) : expected.users!.length - 1;
  expected.users!.splice(at + 1, 0, { name: created, user: wanted });
  expected.contexts.find((c) => c.name === context)!.context.user = created;
  const why = !userItem ? `user "${userName}" is not defined` : found.sharedWith.length > 0 ? `user "${userName}" is shared with ${found.sharedWith.map((c) => `"${c}"`).join(', ')}` : `user "${userName}" has no user: entry`;
  return {
    changed: true,
    text: verify(edited, file, expected),
    summary: `context "${context}": now uses the new user "${created}" that runs guard ${exec.args.join(' ')} (was "${userName}", kept: ${why})`,
    backup: { user: userName, created },
  };
}

function uniqueUserName(users: ReadonlyArray<{ name?: string }>, base: string): string {
  const taken = new Set(users.map((u) => u.name));
  for (let i = 1; ; i++) if (!taken.has(i === 1 ? base : `${base}-${i}`)) return i === 1 ? base : `${base}-${i}`;
}

function describeUser(user: unknown): string {
  if (!user || typeof user !== 'object') return 'empty';
  const keys = Object.keys(user as object);
  return keys.length === 0 ? 'empty' : keys.join(', ');
}

/** Puts the context's user back as the backup says. */
export function restoreContext(text: string, file: string, context: string, backup: ContextBackup): EditResult {
  const found = locate(text, file, context);
  const { doc } = found;
  const expected = doc.toJS() as { users?: Array<{ name?: string; user?: unknown }>; contexts: Array<{ name?: string; context: { user: string } }> };
  if (backup.created !== undefined) {
    if (found.userName !== backup.created) return { changed: false, summary: `context "${context}" no longer uses "${backup.created}" (it names "${found.userName}"); nothing restored` };
    // Point the context back, and remove the added user unless another context came to use it.
    const ctxUser = found.contextUser.value!.range!;
    const edits = [{ start: ctxUser[0], end: ctxUser[1], insert: scalar(backup.user) }];
    const users = doc.get('users', true);
    const item = isSeq(users) ? (users.items.find((i) => nameOf(i) === backup.created) as YAMLMap | undefined) : undefined;
    if (item && found.sharedWith.length === 0) {
      edits.push({ start: text.lastIndexOf('\n', item.range![0]) + 1, end: item.range![2], insert: '' });
      expected.users = expected.users!.filter((u) => u.name !== backup.created);
    }
    const edited = applyEdits(text, edits);
    expected.contexts.find((c) => c.name === context)!.context.user = backup.user;
    return { changed: true, text: verify(edited, file, expected), summary: `context "${context}": uses "${backup.user}" again${item && found.sharedWith.length === 0 ? `; removed "${backup.created}"` : ''}` };
  }
  const item = found.userItem;
  const pair = item?.items.find((p) => isScalar(p.key) && p.key.value === 'user') as Pair<Node, Node | null> | undefined;
  if (!item || !pair || found.userName !== backup.user) return { changed: false, summary: `context "${context}" no longer uses user "${backup.user}"; nothing restored` };
  const span = valueSpan(text, pair);
  // An empty `user:` had no newline of its own in its span: the block guard wrote did.
  const original = backup.original ?? ':';
  const edited = splice(text, span.start, span.end, original + (text.slice(span.start, span.end).endsWith('\n') && !original.endsWith('\n') ? '\n' : ''));
  const restored = parseKubeconfig(edited, file).toJS() as typeof expected;
  expected.users!.find((u) => u.name === backup.user)!.user = restored.users!.find((u) => u.name === backup.user)!.user;
  return { changed: true, text: verify(edited, file, expected), summary: `user "${backup.user}" of context "${context}": restored from the backup` };
}
