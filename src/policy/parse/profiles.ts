/** `profiles:` (SPEC §2, §9, §11, §15): issuer, client, scopes, store, approval, kube, git and AWS settings. */
import { isScalar, type Node } from 'yaml';
import { Checker } from './checker.ts';
import { isAllowedIssuer, isAwsRegion } from '../names.ts';
import type { Approval, Profile, StoreKind } from '../types.ts';

const PROFILE_KEYS = ['issuer', 'client_id', 'scopes', 'store', 'resources', 'approval', 'kube_token', 'kube_resource', 'git_username', 'aws_sts_endpoint', 'aws_region'];
const APPROVAL_KEYS = ['method', 'login_hint', 'client_id', 'client_secret_env', 'private_key_jwt', 'binding_message_max'];

export function parseProfile(check: Checker, name: string, node: Node | null): Profile | undefined {
  const profile: Partial<Profile> = { name, scopes: ['openid', 'offline_access'], store: 'secret-service', resources: [] };
  for (const [key, value] of check.pairs(node, `profiles.${name}`, PROFILE_KEYS)) {
    if (key === 'issuer') {
      const issuer = check.string(value, `profiles.${name}.issuer`);
      if (issuer && !isAllowedIssuer(issuer)) check.at(value, `profiles.${name}.issuer must be an https:// URL (http only on loopback)`);
      profile.issuer = issuer;
    } else if (key === 'client_id') profile.client_id = check.string(value, `profiles.${name}.client_id`);
    else if (key === 'scopes') profile.scopes = check.strings(value, `profiles.${name}.scopes`);
    else if (key === 'resources') profile.resources = check.strings(value, `profiles.${name}.resources`);
    else if (key === 'approval') profile.approval = parseApproval(check, `profiles.${name}.approval`, value);
    else if (key === 'store') {
      const store = check.string(value, `profiles.${name}.store`);
      if (store !== 'secret-service' && store !== 'keyutils') check.at(value, `profiles.${name}.store must be secret-service or keyutils`);
      else profile.store = store as StoreKind;
    } else if (key === 'kube_token') {
      const kind = check.string(value, `profiles.${name}.kube_token`);
      if (kind !== 'id_token' && kind !== 'access_token') check.at(value, `profiles.${name}.kube_token must be id_token or access_token`);
      else profile.kube_token = kind;
    } else if (key === 'kube_resource') {
      if (isScalar(value) && typeof value.value === 'boolean') profile.kube_resource = value.value;
      else check.at(value, `profiles.${name}.kube_resource must be true or false`);
    } else if (key === 'git_username') {
      const user = check.string(value, `profiles.${name}.git_username`);
      // git's credential protocol is one key=value a line: no line breaks, no NUL.
      if (user !== undefined && /[\u0000-\u001f\u007f]/.test(user)) check.at(value, `profiles.${name}.git_username must not contain control characters`);
      else profile.git_username = user;
    } else if (key === 'aws_sts_endpoint') {
      const endpoint = check.string(value, `profiles.${name}.aws_sts_endpoint`);
      // The ID token goes there: the same rule as for an issuer.
      if (endpoint !== undefined && !isAllowedIssuer(endpoint)) check.at(value, `profiles.${name}.aws_sts_endpoint must be an https:// URL (http only on loopback)`);
      else profile.aws_sts_endpoint = endpoint;
    } else if (key === 'aws_region') {
      const region = check.string(value, `profiles.${name}.aws_region`);
      if (region !== undefined && !isAwsRegion(region)) check.at(value, `profiles.${name}.aws_region must be an AWS region name like us-east-1`);
      else profile.aws_region = region;
    }
  }
  if (!profile.issuer || !profile.client_id) {
    check.at(node, `profiles.${name} needs issuer and client_id`);
    return undefined;
  }
  if (!profile.scopes!.includes('openid')) check.at(node, `profiles.${name}.scopes must include openid`);
  // A per-cluster token is an access token (its audience is the cluster): an ID token's audience is guard's client.
  if (profile.kube_resource && profile.kube_token === 'id_token') check.at(node, `profiles.${name}: kube_resource hands out access tokens; drop kube_token or set it to access_token`);
  return profile as Profile;
}

function parseApproval(check: Checker, where: string, node: Node | null): Approval | undefined {
  const approval: Partial<Approval> = {};
  for (const [key, value] of check.pairs(node, where, APPROVAL_KEYS)) {
    if (key === 'binding_message_max') {
      if (isScalar(value) && Number.isInteger(value.value) && (value.value as number) >= 8 && (value.value as number) <= 128) approval.binding_message_max = value.value as number;
      else check.at(value, `${where}.binding_message_max must be a whole number from 8 to 128`);
    } else if (key === 'method') {
      if (check.string(value, `${where}.method`) === 'ciba') approval.method = 'ciba';
      else check.at(value, `${where}.method must be "ciba"`);
    } else if (key === 'client_secret_env' && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(check.string(value, `${where}.${key}`) ?? '')) {
      check.at(value, `${where}.client_secret_env must name an environment variable (the secret itself never goes in the config)`);
    } else approval[key as 'login_hint' | 'client_id' | 'client_secret_env' | 'private_key_jwt'] = check.string(value, `${where}.${key}`);
  }
  if (!approval.method || !approval.login_hint) {
    check.at(node, `${where} needs method: ciba and login_hint: CLAIM`);
    return undefined;
  }
  if ((approval.client_secret_env || approval.private_key_jwt) && !approval.client_id) check.at(node, `${where}: client_secret_env and private_key_jwt need the approval's own client_id`);
  if (approval.client_secret_env && approval.private_key_jwt) check.at(node, `${where}: choose client_secret_env or private_key_jwt, not both`);
  return approval as Approval;
}
