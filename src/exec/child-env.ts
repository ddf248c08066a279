/**
 * The wrapped command's environment, built explicitly (like aws-vault):
 * what a parent guard injected is removed, so a nested `guard run` never
 * reuses a parent's token; GUARD_SESSION marks the profile; tokens reach
 * the child only through the configured `env` entries. Pure.
 */
export const INJECTED_MARKER = 'GUARD_INJECTED';
export const SESSION_MARKER = 'GUARD_SESSION';

const TOKEN_VARIABLE = /^GUARD_.*TOKEN/;

export function buildChildEnv(parent: Readonly<NodeJS.ProcessEnv>, profile: string, inject: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...parent };
  const inherited = (parent[INJECTED_MARKER] ?? '').split(',').filter(Boolean);
  for (const name of inherited) delete env[name];
  for (const name of Object.keys(env)) if (TOKEN_VARIABLE.test(name)) delete env[name];
  delete env[INJECTED_MARKER];
  Object.assign(env, inject);
  const names = Object.keys(inject);
  if (names.length > 0) env[INJECTED_MARKER] = names.join(',');
  env[SESSION_MARKER] = profile;
  return env;
}
