#!/usr/bin/env node
// Starts the small Kubernetes API endpoint (scripts/lib/kube-api.mjs) in a
// process of its own, so a caller that blocks in spawnSync (the benchmark)
// does not block it. Prints one line `GUARD_KUBE_API_READY {"url":…,"caFile":…}`.
// Flags: --issuer URL --audience ID [--static-token T]
import { createTestCa } from './lib/test-ca.mjs';
import { startKubeApi } from './lib/kube-api.mjs';

const args = process.argv.slice(2);
const value = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const ca = createTestCa();
const api = await startKubeApi({ cert: ca.cert, key: ca.key, issuer: value('--issuer'), audience: value('--audience') ?? 'guard-cli', staticToken: value('--static-token') });
process.stdout.write(`GUARD_KUBE_API_READY ${JSON.stringify({ url: api.url, caFile: ca.caFile })}\n`);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => api.close().then(() => process.exit(0)));
