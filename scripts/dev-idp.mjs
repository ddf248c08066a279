#!/usr/bin/env node
// Starts the local development OpenID provider and prints one line
// `GUARD_IDP_READY {"issuer":…}` on stdout when it listens.
// Flags: --port N --access-ttl S --device-ttl S --ignore-reauth --resource URL --ciba --ciba-ttl S --ciba-client-jwk JSON
import { startIdp } from './lib/idp.mjs';

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const value = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const all = (name) => args.flatMap((a, i) => (a === name && args[i + 1] ? [args[i + 1]] : []));
const idp = await startIdp({
  port: Number(value('--port') ?? 0),
  accessTtl: value('--access-ttl') ? Number(value('--access-ttl')) : undefined,
  deviceTtl: value('--device-ttl') ? Number(value('--device-ttl')) : undefined,
  ignoreReauth: flag('--ignore-reauth'),
  resources: all('--resource'),
  ciba: flag('--ciba'),
  cibaTtl: value('--ciba-ttl') ? Number(value('--ciba-ttl')) : undefined,
  cibaClientJwk: value('--ciba-client-jwk') ? JSON.parse(value('--ciba-client-jwk')) : undefined,
});
process.stdout.write(`GUARD_IDP_READY ${JSON.stringify({ issuer: idp.issuer, client_id: idp.clientId })}\n`);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => idp.close().then(() => process.exit(0)));
