/**
 * Rules on targets for `guard init` (issue 22, SPEC §14): the production
 * database hosts of pg_service.conf and PGHOST (`psql ** --host=HOST`), the
 * aws profiles, gcloud projects and terraform workspaces whose names look
 * like production. Reads the tools' own files the way their resolvers do;
 * never writes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { awsProfiles } from '../policy/implied/aws-config-read.ts';
import { parseIni } from '../policy/implied/ini-read.ts';
import type { KnownTool } from './propose-config.ts';

export interface TargetRule {
  tool: KnownTool;
  match: string;
  why: string;
}

const PRODUCTION = /prod|prd|live/i;
/** A value that can stand in a rule word as it is (no blanks, no globs, nothing a YAML reader would bend). */
const PLAIN = /^[A-Za-z0-9._:@/-]+$/;

const readOr = (path: string) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
};

function databaseHosts(env: NodeJS.ProcessEnv, home: string): string[] {
  const hosts = (env.PGHOST ?? '').split(',');
  for (const file of [env.PGSERVICEFILE ?? join(home, '.pg_service.conf'), join(env.PGSYSCONFDIR ?? '/etc/postgresql-common', 'pg_service.conf')]) {
    let service = '';
    for (const line of readOr(file).split('\n').map((text) => text.trim())) {
      const section = /^\[([^\]]*)\]/.exec(line);
      if (section) service = section[1]!;
      const host = /^(host|hostaddr)=(.*)$/.exec(line);
      // A service named like production makes its hosts production hosts.
      if (host) hosts.push(...host[2]!.split(',').map((name) => (PRODUCTION.test(service) && !PRODUCTION.test(name) ? `${name}\0` : name)));
    }
  }
  return hosts.map((host) => (host.endsWith('\0') ? host.slice(0, -1) : PRODUCTION.test(host) ? host : '')).filter((host) => host && PLAIN.test(host));
}

function awsProductionProfiles(env: NodeJS.ProcessEnv, home: string): string[] {
  const parsed = parseIni(readOr(env.AWS_CONFIG_FILE || join(home, '.aws', 'config')));
  return 'sections' in parsed ? [...awsProfiles(parsed.sections, false).keys()].filter((name) => PRODUCTION.test(name)) : [];
}

function gcloudProductionProjects(env: NodeJS.ProcessEnv, home: string): string[] {
  const dir = join(env.CLOUDSDK_CONFIG || join(home, '.config', 'gcloud'), 'configurations');
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((name) => name.startsWith('config_'));
  } catch {
    // no gcloud configurations
  }
  const projects = names.map((name) => {
    const parsed = parseIni(readOr(join(dir, name)));
    return 'sections' in parsed ? parsed.sections.get('core')?.get('project') : undefined;
  });
  return [...(env.CLOUDSDK_CORE_PROJECT ? [env.CLOUDSDK_CORE_PROJECT] : []), ...projects.filter((project) => project !== undefined)].filter((project) => PRODUCTION.test(project));
}

function terraformProductionWorkspaces(cwd: string): string[] {
  try {
    return readdirSync(join(cwd, 'terraform.tfstate.d')).filter((name) => PRODUCTION.test(name));
  } catch {
    return [];
  }
}

/** One rule per production target found for the chosen tools, each target once. */
export function proposeTargetRules(tools: readonly KnownTool[], env: NodeJS.ProcessEnv, home: string, cwd: string): TargetRule[] {
  const rules: TargetRule[] = [];
  const add = (tool: KnownTool, values: string[], flag: string, why: (value: string) => string) => {
    if (!tools.includes(tool)) return;
    for (const value of new Set(values.filter((candidate) => PLAIN.test(candidate)))) rules.push({ tool, match: `${tool} ** ${flag}=${value}`, why: why(value) });
  };
  add('psql', databaseHosts(env, home), '--host', (host) => `the production database host ${host}, however psql is pointed there`);
  add('aws', awsProductionProfiles(env, home), '--profile', (profile) => `the aws profile ${profile} (--profile, AWS_PROFILE, …)`);
  add('gcloud', gcloudProductionProjects(env, home), '--project', (project) => `the gcloud project ${project} (--project, CLOUDSDK_CORE_PROJECT, the active configuration)`);
  add('terraform', terraformProductionWorkspaces(cwd), '--workspace', (workspace) => `the terraform workspace ${workspace} (TF_WORKSPACE or terraform workspace select)`);
  return rules;
}
