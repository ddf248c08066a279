/** guard init's rules on production targets (issue 22): found in the tools' own files, written as target words, valid config. */
import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { proposeTargetRules } from '../../src/setup/target-proposals.ts';
import { renderConfig } from '../../src/setup/propose-config.ts';
import { parseLayer } from '../../src/policy/parse-layer.ts';
import { mergeLayers } from '../../src/policy/merge.ts';

describe('guard init proposes rules on production targets', () => {
  it('database hosts (pg_service.conf, PGHOST), aws profiles, gcloud projects, terraform workspaces', () => {
    const home = mkdtempSync(join(tmpdir(), 'guard-init-targets-'));
    writeFileSync(join(home, '.pg_service.conf'), '[prod]\nhost=db1.internal,db2.internal\n[dev]\nhost=dev-db\n[x]\nhost=prod-replica\n');
    mkdirSync(join(home, '.aws'));
    writeFileSync(join(home, '.aws', 'config'), '[default]\nregion=eu-west-1\n[profile prod-admin]\nregion=eu-west-1\n[profile dev]\n');
    mkdirSync(join(home, '.config', 'gcloud', 'configurations'), { recursive: true });
    writeFileSync(join(home, '.config', 'gcloud', 'configurations', 'config_default'), '[core]\nproject = acme-prod\n');
    mkdirSync(join(home, 'terraform.tfstate.d', 'production'), { recursive: true });
    mkdirSync(join(home, 'terraform.tfstate.d', 'staging'), { recursive: true });
    const tools = ['psql', 'aws', 'gcloud', 'terraform'] as const;
    const rules = proposeTargetRules(tools, { PGHOST: 'prod-main', PGSYSCONFDIR: join(home, 'none') }, home, home);
    expect(rules.map((rule) => rule.match)).toEqual([
      'psql ** --host=prod-main',
      'psql ** --host=db1.internal',
      'psql ** --host=db2.internal',
      'psql ** --host=prod-replica',
      'aws ** --profile=prod-admin',
      'gcloud ** --project=acme-prod',
      'terraform ** --workspace=production',
    ]);
    expect(proposeTargetRules(['kubectl'], { PGHOST: 'prod-main' }, home, home)).toEqual([]);
    const text = renderConfig({ profile: 'default', issuer: 'https://idp.example.com', clientId: 'guard-cli', refreshTokens: true, tools: [...tools], date: new Date(0), targets: rules });
    const parsed = parseLayer(text, 'c.yaml', 'user');
    expect(parsed.issues).toEqual([]);
    expect(mergeLayers([parsed.layer]).config.rules.map((rule) => rule.match)).toEqual(expect.arrayContaining(rules.map((rule) => rule.match)));
  });
});
