/**
 * What the CIBA approver reads (SPEC §11, issue 24): the verb and the
 * target of the command, then a code, in at most 20 characters that
 * oidc-provider's own validateBindingMessage accepts.
 */
import { describe, expect, it } from 'vitest';
// oidc-provider's default validator (the one the test IdP runs): 1–20 characters of [a-zA-Z0-9-._+/!?#].
// @ts-expect-error: oidc-provider ships no types for its internals
import { defaults } from 'oidc-provider/lib/helpers/defaults.js';
import { bindingMessage } from '../../src/auth/binding-message.ts';
import { tellingWords, type CommandShape } from '../../src/policy/telling-words.ts';

const validate = (defaults as { features: { ciba: { validateBindingMessage(ctx: unknown, message: string): Promise<void> } } }).features.ciba.validateBindingMessage;
const FIXED = () => 0.999; // the code 9999

describe('the telling words and the message of real command lines', () => {
  const context = (value: string) => [{ name: '--context', value }];
  const table: Array<[string, CommandShape, string]> = [
    ['kubectl delete, context typed', { argv: ['kubectl', 'delete', 'pod', 'web-1', '--context', 'prod-eu'] }, 'delete+prod-eu+9999'],
    ['kubectl get, the same target', { argv: ['kubectl', 'get', 'pods', '--context=prod-eu'] }, 'get+prod-eu+9999'],
    ['kubectl with flags before the verb', { argv: ['kubectl', '--context', 'prod-eu', '-n', 'payments', 'delete', 'deploy/api'] }, 'delete+prod-eu+9999'],
    ['kubectl, the context from the kubeconfig', { argv: ['kubectl', 'delete', 'ns', 'x'], implied: context('prod-eu') }, 'delete+prod-eu+9999'],
    ['kubectl, typed beats implied', { argv: ['kubectl', '--context=staging', 'apply', '-f', 'x.yaml'], implied: context('prod-eu') }, 'apply+staging+9999'],
    ['kubectl, a long context is cut, not dropped', { argv: ['kubectl', 'delete', 'pod', 'x'], implied: context('gke_acme-prod_europe-west1_main') }, 'delete+gke_acme+9999'],
    ['kubectl, a server and no context', { argv: ['kubectl', '-s', 'https://api.prod.example.com:6443', 'drain', 'node-7'] }, 'drain+api.prod+9999'],
    ['kubectl -s at prod from a dev context: the server it is sent to', { argv: ['kubectl', '-s', 'https://prod.example.com', 'delete', 'ns', 'x'], implied: context('dev') }, 'delete+prod.exa+9999'],
    ['kubectl --cluster at prod from a dev context', { argv: ['kubectl', 'delete', 'ns', 'x', '--cluster=prod'], implied: context('dev') }, 'delete+prod+9999'],
    ['kubectl, a verb after flags kubectl 1.32 reads (-v=6 takes no next word)', { argv: ['kubectl', '-v=6', '--request-timeout', '5s', 'drain', 'node-7', '--context', 'prod-eu'] }, 'drain+prod-eu+9999'],
    ['helm uninstall', { argv: ['helm', 'uninstall', 'web', '--kube-context', 'prod-eu'] }, 'uninstall+prod+9999'],
    ['psql -c DROP', { argv: ['psql', '-h', 'prod-db', '-d', 'app', '-c', 'DROP TABLE users'] }, 'DROP+prod-db+9999'],
    ['psql, options clustered as getopt reads them', { argv: ['psql', '-Xhprod-db', '-c', 'DROP TABLE t'] }, 'DROP+prod-db+9999'],
    ['psql, PGHOST and PGDATABASE', { argv: ['psql'], implied: [{ name: '--host', value: 'db7' }, { name: '--dbname', value: 'app' }] }, 'psql+db7+app+9999'],
    ['terraform destroy in a workspace', { argv: ['terraform', '-chdir=infra', 'destroy'], implied: [{ name: '--workspace', value: 'prod' }] }, 'destroy+prod+9999'],
    ['a named command', { argv: ['./scripts/deploy.sh', 'prod'], named: ['deploy', 'prod'] }, 'deploy+prod+9999'],
    ['kube-credential', { argv: ['kube-credential', 'https://api.prod.example.com:6443'] }, 'kube+api.prod.e+9999'],
    ['git-credential', { argv: ['git-credential', 'https://git.example.com/org/repo.git'] }, 'git+git.example+9999'],
    ['any other program', { argv: ['/usr/bin/aws', '--profile', 'prod', 's3', 'rm'] }, 'aws+prod+9999'],
    ['hostile words keep only plain characters', { argv: ['kubectl', 'dëlete$(rm -rf /)\u001b[31m', '--context', 'prod eu/😀'] }, 'dleterm-rf31m+9999'],
  ];

  it.each(table)('%s → %s', async (_what, shape, expected) => {
    const message = bindingMessage(tellingWords(shape), 20, FIXED);
    expect(message).toBe(expected);
    await expect(validate({}, message)).resolves.toBeUndefined();
  });

  it('always within the limit and the allowed characters, whatever the command and the limit', async () => {
    const shapes = table.map(([, shape]) => shape);
    for (const max of [8, 12, 20, 40]) {
      for (const shape of [...shapes, { argv: [] }, { argv: [''] }, { argv: ['x'.repeat(200)] }]) {
        const message = bindingMessage(tellingWords(shape), max);
        expect(message.length).toBeLessThanOrEqual(max);
        expect(message).toMatch(/^[A-Za-z0-9\-._+]+\+?[A-HJ-NP-Z2-9]{4}$|^[A-HJ-NP-Z2-9]{4}$/);
        if (max <= 20) await expect(validate({}, message)).resolves.toBeUndefined();
      }
    }
  });

  it('a wider limit carries more words', () => {
    const shape = { argv: ['kubectl', 'delete', 'pod', 'x', '--context', 'prod-eu', '-n', 'payments'] };
    expect(bindingMessage(tellingWords(shape), 20, FIXED)).toBe('delete+prod-eu+9999');
    expect(bindingMessage(tellingWords(shape), 40, FIXED)).toBe('delete+prod-eu+payments+9999');
  });

  it('the code tells two requests apart', () => {
    const words = ['delete', 'prod-eu'];
    expect(new Set(Array.from({ length: 20 }, () => bindingMessage(words))).size).toBeGreaterThan(15);
  });
});
