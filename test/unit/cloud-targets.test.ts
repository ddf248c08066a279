/**
 * aws, gcloud and terraform targets (SPEC §14) as tables; the same against
 * the real CLIs in test/integration/cloud-oracles.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { describeImplied, impliedWords, type ImpliedReader, type TextRead } from '../../src/policy/implied/implied-words.ts';
import { parseIni } from '../../src/policy/implied/ini-read.ts';

function reader(files: Record<string, string | { problem: string }> = {}, env: Record<string, string> = {}): ImpliedReader {
  return {
    env,
    cwd: '/work',
    home: '/home/u',
    readText: (path): TextRead => {
      const file = files[path];
      if (file === undefined) return { missing: true };
      return typeof file === 'string' ? { text: file } : file;
    },
    readKubeconfig: () => Promise.reject(new Error('not here')),
  };
}
const words = async (argv: string[], r: ImpliedReader, needed: string[]) => (await impliedWords(argv, new Set(needed), r)).map(describeImplied);

describe('aws: --profile= and --region=', () => {
  const config = { '/home/u/.aws/config': '[default]\nregion = eu-west-1\n\n[profile prod]\nRegion=us-east-2\n' };
  it.each([
    [['aws', 's3', 'ls'], {}, ['--profile=default from aws default', '--region=eu-west-1 from ~/.aws/config [default]']],
    [['aws', 's3', 'ls'], { AWS_PROFILE: 'prod' }, ['--profile=prod from AWS_PROFILE', '--region=us-east-2 from ~/.aws/config [prod]']],
    [['aws', '--prof', 'prod', 's3', 'ls'], { AWS_PROFILE: 'dev' }, ['--profile=prod from argv (--profile)', '--region=us-east-2 from ~/.aws/config [prod]']],
    [['aws', 's3', 'ls', '--region=ap-south-1', '--profile='], { AWS_DEFAULT_PROFILE: 'prod' }, ['--profile=prod from AWS_DEFAULT_PROFILE', '--region=ap-south-1 from argv (--region)']],
    // The last --profile wins, an empty one too: then the environment's.
    [['aws', '--profile', 'dev', 's3', 'ls', '--profile='], { AWS_PROFILE: 'prod' }, ['--profile=prod from AWS_PROFILE', '--region=us-east-2 from ~/.aws/config [prod]']],
    // The CLI's majors read the environment in opposite orders: both are implied.
    [['aws', 'sts', 'get-caller-identity'], { AWS_PROFILE: 'prod', AWS_DEFAULT_PROFILE: 'dev', AWS_REGION: 'eu-central-1' }, ['--profile=prod from AWS_PROFILE', '--profile=dev from AWS_DEFAULT_PROFILE', '--region=eu-central-1 from AWS_REGION', '--region=us-east-2 from ~/.aws/config [prod]']],
  ])('%j %j', async (argv, env, expected) => {
    expect(await words(argv, reader(config, env), ['--profile', '--region'])).toEqual(expected);
  });

  it('the credentials file\'s region wins over the config file\'s; an unreadable file is unknown', async () => {
    const files = { ...config, '/home/u/.aws/credentials': '[prod]\nregion = ap-south-1\n' };
    expect(await words(['aws', '--profile', 'prod'], reader(files), ['--region'])).toEqual(['--region=ap-south-1 from ~/.aws/credentials [prod]']);
    expect(await words(['aws'], reader({ '/home/u/.aws/config': { problem: 'EACCES' } }), ['--region'])).toEqual(['--region=? (cannot read ~/.aws/config (EACCES); rules on --region apply)']);
  });

  // Checked with the real CLI: `AWS_CONFIG_FILE='$HOME/alt.ini' aws configure get region`, and so on.
  it.each([
    [{ HOME: '/h', AWS_CONFIG_FILE: '$HOME/alt.ini' }, 'alt-1'],
    [{ HOME: '/h', AWS_CONFIG_FILE: '${HOME}/alt.ini' }, 'alt-1'],
    [{ HOME: '/h', X: '~/alt.ini', AWS_CONFIG_FILE: '$X' }, 'alt-1'],
    [{ HOME: '/h', AWS_CONFIG_FILE: '$NOPE/alt.ini' }, 'literal-1'],
    [{ HOME: '/h', AWS_CONFIG_FILE: '/none', AWS_SHARED_CREDENTIALS_FILE: '$HOME/alt.ini' }, 'alt-1'],
    [{ HOME: '/h', AWS_CONFIG_FILE: '' }, undefined],
    [{ HOME: '/c', AWS_CONFIG_FILE: '/none', AWS_SHARED_CREDENTIALS_FILE: '' }, undefined],
  ])('AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE expand variables and ~ as botocore does: %j', async (env, region) => {
    const files = { '/h/alt.ini': '[default]\nregion = alt-1\n', '/work/$NOPE/alt.ini': '[default]\nregion = literal-1\n', '/h/.aws/config': '[default]\nregion = home-1\n', '/c/.aws/credentials': '[default]\nregion = home-1\n' };
    const found = (await impliedWords(['aws', 's3', 'ls'], new Set(['--region']), reader(files, env))).map((word) => word.value);
    expect(found).toEqual(region ? [region] : []);
  });

  it('reads INI as ConfigParser does', () => {
    expect(parseIni('# c\n[a]\nKey : v \n  more\n; c\n[b]\nx=1')).toEqual({ sections: new Map([['a', new Map([['key', 'v\nmore']])], ['b', new Map([['x', '1']])]]) });
    expect(parseIni('[a]\n[a]\n')).toHaveProperty('problem');
    expect(parseIni('[a]\nx=1\nX=2\n')).toHaveProperty('problem');
     // Empty lines stay inside a value, trailing ones do not; \r alone ends a line (Python's universal newlines).
    expect(parseIni('[a]\nk = v\n\n  more\n\n[b]\r x = 1\r')).toEqual({ sections: new Map([['a', new Map([['k', 'v\n\nmore']])], ['b', new Map([['x', '1']])]]) });
    expect(parseIni('[a]\n= 1\n')).toHaveProperty('problem');
    expect(parseIni('[DEFAULT]\nx=1\n[DEFAULT]\nx=2\n')).toHaveProperty('problem');
  });

  // Each row checked with the real CLI: `aws configure get region [--profile P]`.
  it.each([
    // [DEFAULT]'s options belong to every section (not to a profile with no section).
    ['[DEFAULT]\nregion = eu-central-1\n\n[profile x]\noutput = json\n', undefined, 'x', 'eu-central-1'],
    ['[DEFAULT]\nregion = eu-central-1\n\n[profile x]\noutput = json\n', undefined, 'default', undefined],
    ['[profile p]\nregion = conf-c\n', '[DEFAULT]\nregion = cred-d\n[p]\naws_access_key_id = x\n', 'p', 'cred-d'],
    // A line continues a value only when indented more than its option line.
    ['[profile prod]\n  output = json\n  region = eu-west-1\n', undefined, 'prod', 'eu-west-1'],
    ['[profile prod]\n  output = json\n    region = eu-west-1\n', undefined, 'prod', undefined],
    ['[profile prod]\r  region = cr-1\r', undefined, 'prod', 'cr-1'],
  ])('aws reads %j (credentials %j) for profile %s: region %s', async (config, credentials, profile, region) => {
    const files = { '/home/u/.aws/config': config, ...(credentials ? { '/home/u/.aws/credentials': credentials } : {}) };
    const found = (await impliedWords(['aws', '--profile', profile], new Set(['--region']), reader(files))).map((word) => word.value);
    expect(found).toEqual(region ? [region] : []);
  });
});

describe('gcloud: --project= and --configuration=', () => {
  const files = { '/home/u/.config/gcloud/active_config': 'prod', '/home/u/.config/gcloud/configurations/config_prod': '[core]\nproject = my-prod\n', '/home/u/.config/gcloud/configurations/config_dev': '[core]\nproject = dev-1\n' };
  it.each([
    [['gcloud', 'compute', 'instances', 'list'], {}, ['--configuration=prod from ~/.config/gcloud/active_config', '--project=my-prod from ~/.config/gcloud/configurations/config_prod [core]']],
    [['gcloud', '--configuration=dev', 'run', 'deploy'], {}, ['--configuration=dev from argv (--configuration)', '--project=dev-1 from ~/.config/gcloud/configurations/config_dev [core]']],
    [['gcloud', 'run', 'deploy'], { CLOUDSDK_ACTIVE_CONFIG_NAME: 'dev', CLOUDSDK_CORE_PROJECT: 'my-prod' }, ['--configuration=dev from CLOUDSDK_ACTIVE_CONFIG_NAME', '--project=my-prod from CLOUDSDK_CORE_PROJECT']],
    [['gcloud', 'run', 'deploy', '--project', 'p1'], {}, ['--configuration=prod from ~/.config/gcloud/active_config', '--project=p1 from argv (--project)']],
  ])('%j %j', async (argv, env, expected) => {
    expect(await words(argv, reader(files, env), ['--configuration', '--project'])).toEqual(expected);
  });

  // Each row checked with the real gcloud: `gcloud config get-value project`.
  it.each([
    ['[DEFAULT]\nproject = def-proj\n\n[core]\naccount = a@b.c\n', 'def-proj'],
    ['[DEFAULT]\nproject = def-proj\n', undefined],
    ['[core]\n  account = a@b.c\n  project = ind-proj\n', 'ind-proj'],
  ])('gcloud reads %j: project %s', async (config, project) => {
    const found = (await impliedWords(['gcloud', 'run', 'deploy'], new Set(['--project']), reader({ '/home/u/.config/gcloud/configurations/config_default': config }))).map((word) => word.value);
    expect(found).toEqual(project ? [project] : []);
  });

  it('--flags-file makes --project and --configuration unknown (checked: gcloud config get-value project --flags-file=F takes F\'s --project)', async () => {
    const unknown = (name: string) => `${name}=? (gcloud reads more flags (--project, --configuration) from --flags-file, which guard does not read; rules on ${name} apply)`;
    expect(await words(['gcloud', 'config', 'get-value', 'project', '--flags-file=ff.yaml'], reader(files), ['--configuration', '--project'])).toEqual([unknown('--configuration'), unknown('--project')]);
    expect(await words(['gcloud', '--flags-file', 'ff.yaml', '--project', 'p1', 'run', 'deploy'], reader(files), ['--project'])).toEqual([unknown('--project')]);
    expect(await words(['gcloud', 'run', 'deploy', '--', '--flags-file=x'], reader(files), ['--project'])).toEqual(['--project=my-prod from ~/.config/gcloud/configurations/config_prod [core]']);
  });

  it('a project with "%" is unknown: gcloud interpolates it (%(p)s is another option, %% a percent sign)', async () => {
    const interpolated = { '/home/u/.config/gcloud/configurations/config_default': '[core]\np = interp-proj\nproject = %(p)s\n' };
    expect(await words(['gcloud'], reader(interpolated), ['--project'])).toEqual(['--project=? (gcloud interpolates "%" in the project; rules on --project apply)']);
  });

  it('no active_config: the default configuration; an unreadable one is unknown', async () => {
    expect(await words(['gcloud'], reader({}), ['--configuration', '--project'])).toEqual(['--configuration=default from gcloud default']);
    expect(await words(['gcloud'], reader({ '/home/u/.config/gcloud/active_config': { problem: 'EACCES' } }), ['--project'])).toEqual(['--project=? (cannot read ~/.config/gcloud/active_config (EACCES); rules on --project apply)']);
  });
});

describe('terraform: --workspace=', () => {
  it('is implied whatever argv says (terraform has no flag for it)', async () => {
    expect(await words(['terraform', 'apply', '--workspace=dev'], reader({ '/work/.terraform/environment': ' prod \n' }), ['--workspace'])).toEqual(['--workspace=prod from /work/.terraform/environment']);
  });
});
