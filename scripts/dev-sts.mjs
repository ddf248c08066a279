#!/usr/bin/env node
// Starts the STS stand-in (scripts/lib/aws-sts.mjs) in a process of its own,
// so a caller that blocks in spawnSync (the benchmark) does not block it.
// Prints one line `GUARD_STS_READY {"url":…}`. Flags: --issuer URL
import { startSts } from './lib/aws-sts.mjs';

const args = process.argv.slice(2);
const issuer = args[args.indexOf('--issuer') + 1];
const sts = await startSts({ issuer });
process.stdout.write(`GUARD_STS_READY ${JSON.stringify({ url: sts.url })}\n`);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => sts.stop().then(() => process.exit(0)));
