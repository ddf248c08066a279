/** Seconds for each network request (IdP, policy server, collector): 10, or GUARD_HTTP_TIMEOUT (e.g. on slow links). */
export function httpTimeout(env: NodeJS.ProcessEnv): number {
  const value = Number(env.GUARD_HTTP_TIMEOUT);
  return Number.isFinite(value) && value > 0 ? value : 10;
}
