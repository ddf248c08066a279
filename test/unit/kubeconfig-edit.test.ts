/** guard kubeconfig's text edits on layouts people really have: flow style, indented lists, no final newline, an empty user. */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { pointContextAtGuard, restoreContext } from '../../src/integrations/kube/kubeconfig-edit.ts';

const EXEC = { command: '/usr/local/bin/guard', args: ['kube-credential', '--tier', 'privileged'] };
const WANTED = { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: EXEC.command, args: EXEC.args, interactiveMode: 'IfAvailable', provideClusterInfo: true } };

/** Edits, checks the data, undoes, and checks the bytes came back. */
function roundTrip(text: string, context: string) {
  const edit = pointContextAtGuard(text, 'kc', context, EXEC);
  if (!edit.changed) throw new Error('expected a change');
  const data = parse(edit.text) as { contexts: Array<{ name: string; context: { user: string } }>; users: Array<{ name: string; user: unknown }> };
  const user = data.contexts.find((c) => c.name === context)!.context.user;
  expect(data.users.find((u) => u.name === user)!.user).toEqual(WANTED);
  expect(pointContextAtGuard(edit.text, 'kc', context, EXEC).changed).toBe(false);
  const undo = restoreContext(edit.text, 'kc', context, edit.backup!);
  expect(undo.changed && undo.text).toBe(text);
  return edit.text;
}

describe('kubeconfig edits', () => {
  it('a flow-style user and context', () => {
    roundTrip('contexts:\n- {name: a, context: {cluster: c, user: u}}\nusers:\n- {name: u, user: {token: t}}\n', 'a');
  });
  it('indented lists and a file without a final newline', () => {
    const text = 'apiVersion: v1\ncontexts:\n  - name: a\n    context:\n      cluster: c\n      user: u\nusers:\n  - name: u\n    user:\n      token: t';
    expect(roundTrip(text, 'a')).toContain('\n    user:\n      exec:\n        apiVersion: client.authentication.k8s.io/v1\n');
  });
  it('an empty user', () => {
    roundTrip('contexts:\n- name: a\n  context:\n    user: u\nusers:\n- name: u\n  user:\n', 'a');
  });
  it('a context whose user is not defined gets a new guard user', () => {
    const edited = roundTrip('contexts:\n- name: a\n  context:\n    user: ghost\nusers:\n- name: other\n  user:\n    token: t\n', 'a');
    expect(edited).toContain('- name: guard-a\n');
  });
  it('quotes what YAML would read as another type', () => {
    const edit = pointContextAtGuard('contexts:\n- name: a\n  context:\n    user: u\nusers:\n- name: u\n  user: {}\n', 'kc', 'a', { command: 'guard', args: ['kube-credential', '--tier', 'true', '--profile', '007'] });
    expect(edit.changed && parse(edit.text).users[0].user.exec.args).toEqual(['kube-credential', '--tier', 'true', '--profile', '007']);
  });
});
