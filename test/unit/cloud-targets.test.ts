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

  it('reads INI as ConfigParser does', () => {
    expect(parseIni('# c\n[a]\nKey : v \n  more\n; c\n[b]\nx=1')).toEqual({ sections: new Map([['a', new Map([['key', 'v\nmore']])], ['b', new Map([['x', '1']])]]) });
    expect(parseIni('[a]\n[a]\n')).toHaveProperty('problem');
    expect(parseIni('[a]\nx=1\nX=2\n')).toHaveProperty('problem');
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
