/**
 * The team's loop end to end (SPEC §16), through a real pipeline: Debian's
 * rsyslogd as a collector on 127.0.0.1 (TCP, one file per host) and as one
 * relay per laptop on a private unix socket (what /dev/log is), the real
 * IdP, the real Secret Service, and real bin/guard processes for alice,
 * bob and carol — each on a host of their own (a UTS namespace whose host
 * name is the laptop's, when the tests run as root) — plus dave, whose guard
 * speaks RFC 5424 over TCP to the collector itself.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
// @ts-expect-error: plain ESM helper shared with the demo and the benchmark
import { approveDevice, findVerificationUrl } from '../../scripts/lib/approve.mjs';
import { startIdp } from '../support/idp.ts';
import { collect, configFor, createSandbox, GUARD_BIN, type GuardResult, type Sandbox } from '../support/guard.ts';
import { readKeychain } from '../support/keychain.ts';
import { startCollector, startRelay, type Collector, type Relay } from '../support/rsyslog.ts';
import { useServer } from '../support/use-server.ts';

const idp = useServer(() => startIdp());

/** Each guard runs with this host name (a UTS namespace of its own needs root; otherwise every laptop is this machine). */
const canName = process.getuid?.() === 0;
const hostOf = (laptop: string) => (canName ? laptop : hostname());

interface Person {
  name: string;
  laptop: string;
  sandbox: Sandbox;
}

/** Runs bin/guard as if on `laptop`; approves a device flow as `login` when one is printed. */
async function guardOn(person: Person, args: string[], approveAs?: string): Promise<GuardResult> {
  const argv = canName ? ['unshare', '--uts', 'sh', '-c', 'hostname "$1" && shift && exec "$@"', 'sh', person.laptop, GUARD_BIN, ...args] : [GUARD_BIN, ...args];
  const child = spawn(argv[0]!, argv.slice(1), { env: person.sandbox.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let approval: Promise<unknown> | undefined;
  const result = await collect(child, (stderr) => {
    const url = approveAs && !approval ? findVerificationUrl(stderr) : undefined;
    if (url) approval = approveDevice(url, { login: approveAs });
  });
  await approval;
  return result;
}

async function waitFor(what: string, condition: () => boolean, timeout = 30_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The guard events in a collector file: the JSON after the syslog header. */
const events = (lines: readonly string[]) => lines.map((line) => JSON.parse(line.slice(line.indexOf('{'))) as Record<string, unknown>);
const spooled = (person: Person) => {
  const dir = join(person.sandbox.stateDir, 'audit-spool', 'syslog');
  return existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith('.json')).length : 0;
};

const TIERS = '  privileged: { idle: 15m, max_session: 8h }\n  standard: { idle: 45m, max_session: 12h }';
const RULES = '  - name: prod-kube\n    match: "kubectl ** --context=prod*"\n    tier: privileged';

let collector: Collector;
const relays = new Map<string, Relay>();
const people: Person[] = [];

function person(name: string, laptop: string, syslog: string): Person {
  const sandbox = createSandbox();
  sandbox.writeConfig(configFor(sandbox, idp.issuer, { tiers: TIERS, rules: RULES, extra: `audit:\n  syslog: ${syslog}` }));
  const p = { name, laptop, sandbox };
  people.push(p);
  return p;
}

beforeAll(async () => {
  collector = await startCollector();
  for (const laptop of ['alice-laptop', 'bob-laptop', 'carol-laptop']) relays.set(laptop, await startRelay({ hostname: laptop, collectorPort: collector.port }));
});

afterAll(async () => {
  await Promise.all([...relays.values()].map((relay) => relay.stop()));
  await collector?.stop();
});

describe('every laptop\'s audit through syslog, one report across the team', () => {
  it('delivers each person\'s events with user and host and no token, reports across them and proposes a policy that config check accepts', async () => {
    const alice = person('alice', 'alice-laptop', `unix:${relays.get('alice-laptop')!.socket}`);
    const bob = person('bob', 'bob-laptop', `unix:${relays.get('bob-laptop')!.socket}`);
    const carol = person('carol', 'carol-laptop', `unix:${relays.get('carol-laptop')!.socket}`);
    const dave = person('dave', 'dave-desktop', `tcp://127.0.0.1:${collector.port}`);

    for (const p of [alice, bob, carol, dave]) {
      expect((await guardOn(p, ['login'], p.name)).code).toBe(0);
      expect((await guardOn(p, ['run', '--no-prompt', '--', 'true'])).code).toBe(0);
      expect((await guardOn(p, ['run', '--no-prompt', '--', 'kubectl', 'get', 'pods', '--context=prod-eu'])).code).not.toBe(77);
    }
    // A refusal is a warning: carol locks her session, then a command is denied (no session).
    expect((await guardOn(carol, ['lock'])).code).toBe(0);
    expect((await guardOn(carol, ['run', '--no-prompt', '--', 'true'])).code).toBe(77);

    // Every audit line of each laptop reaches the collector's file for that laptop.
    const logged = (p: Person) => guardLines(p);
    await waitFor('every event at the collector', () =>
      [alice, bob, carol, dave].every((p) => (collector.hosts().get(p.laptop === 'dave-desktop' ? hostOf('dave-desktop') : p.laptop)?.length ?? 0) >= logged(p).length),
    );
    for (const p of [alice, bob, carol, dave]) {
      const file = collector.hosts().get(p.laptop === 'dave-desktop' ? hostOf('dave-desktop') : p.laptop)!;
      const received = events(file);
      // Masked exactly as in the local file: the same JSON, each once.
      expect(file.map((line) => line.slice(line.indexOf('{')))).toEqual(logged(p));
      for (const event of received) expect(event).toMatchObject({ user: p.name, host: hostOf(p.laptop) });
      const tokens = await readKeychain(p.sandbox.profile);
      for (const token of [tokens?.access_token, tokens?.refresh_token, tokens?.id_token].filter((t): t is string => typeof t === 'string')) expect(file.join('\n')).not.toContain(token);
      expect(file.join('\n')).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);
    }
    expect(events(collector.hosts().get('carol-laptop')!).map((e) => e.event)).toContain('denied');

    // On the unix socket, syslog(3)'s format: <PRI>TIMESTAMP guard[PID]: MSG, authpriv.notice (85) or .warning (84).
    const raw = relays.get('carol-laptop')!.raw();
    expect(raw.length).toBe(logged(carol).length);
    for (const line of raw) expect(line).toMatch(/^<8[45]>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d guard\[\d+\]: \{"ts":/);
    expect(raw.find((line) => line.includes('"event":"denied"'))).toMatch(/^<84>/);
    expect(raw.find((line) => line.includes('"event":"allowed"'))).toMatch(/^<85>/);
    // On TCP, RFC 5424, octet-counted (the collector's rawmsg is the message without its count).
    const direct = collector.raw().filter((line) => line.includes(` guard `) && line.includes('"user":"dave"'));
    expect(direct.length).toBe(logged(dave).length);
    for (const line of direct) expect(line).toMatch(new RegExp(`^<8[45]>1 \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z ${hostOf('dave-desktop')} guard \\d+ (login|allowed|command_exit|denied) - \\{"ts":`));

    // The team report over the collector's folder.
    const admin = createSandbox();
    admin.writeConfig(`version: 1\ntiers:\n${TIERS}\ndefault_tier: standard\n`);
    const total = [alice, bob, carol, dave].reduce((n, p) => n + logged(p).length, 0);
    const json = await guardAs(admin, ['report', '--team', collector.hostsDir, '--json']);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as Record<string, any>;
    expect(report.users).toBe(4);
    expect(report.hosts).toBe(canName ? 4 : 1);
    expect(report.log.events).toBe(total);
    expect(report.log.files).toEqual([collector.hostsDir]);
    expect(report.window.user_days).toBe(4);
    expect(json.stdout).not.toMatch(/alice|bob|carol|dave/); // counted, not named
    const text = await guardAs(admin, ['report', '--team', collector.hostsDir]);
    expect(text.stdout).toContain('4 people on');
    expect(text.stdout).not.toMatch(/alice|bob|carol|dave/);
    const byUser = await guardAs(admin, ['report', '--team', collector.hostsDir, '--by', 'user', '--json']);
    expect((JSON.parse(byUser.stdout).by_user as Array<{ name: string }>).map((row) => row.name)).toEqual(['alice', 'bob', 'carol', 'dave']);

    // The proposal is a system layer config check accepts.
    const proposal = await guardAs(admin, ['policy', 'propose', '--team', collector.hostsDir]);
    expect(proposal.code).toBe(0);
    expect(proposal.stdout).toMatch(/^# guard policy propose, /);
    expect(proposal.stdout).toContain(`From ${total} audit events of 4 people`);
    const file = join(admin.dir, 'proposal.yaml');
    writeFileSync(file, proposal.stdout);
    expect(await guardAs(admin, ['config', 'check', file])).toMatchObject({ code: 0 });
    expect(await guardAs({ ...admin, env: { ...admin.env, GUARD_SYSTEM_POLICY: file } }, ['config', 'check'])).toMatchObject({ code: 0 });

    // On a collector host with no policy configured, the tiers the events name get a first limit each.
    const bare = createSandbox();
    bare.writeConfig('version: 1\n');
    const first = await guardAs(bare, ['policy', 'propose', '--team', collector.hostsDir]);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/# Against: no central policy and no system layer \(a first policy\)\.\n# Changes:\n# {3}tiers\.privileged\.idle: \(not set\) → \d+[smhd]\n/);
    expect(first.stdout).toMatch(/# Tiers this document leaves to the other layers:\n# standard: no idle limit kept \(no data\)\n/); // one command each: no gap yet
  });

  it('a relay that is down while three commands run gets all their events, once each, when it is back', async () => {
    const relay = relays.get('bob-laptop')!;
    const bob = people.find((p) => p.name === 'bob') ?? person('bob', 'bob-laptop', `unix:${relay.socket}`);
    if (!existsSync(join(bob.sandbox.stateDir, 'sessions'))) expect((await guardOn(bob, ['login'], 'bob')).code).toBe(0);
    await waitFor('the spool to be sent', () => spooled(bob) === 0);
    const before = guardLines(bob).length;

    await relay.stop();
    for (let i = 0; i < 3; i++) {
      const ran = await guardOn(bob, ['run', '--no-prompt', '--', 'sh', '-c', `echo ${i}`]);
      expect(ran).toMatchObject({ code: 0, stdout: `${i}\n`, stderr: '' });
    }
    // The drainers found nothing listening: the six events wait, 0600 each.
    await waitFor('the drainers to give up', () => !existsSync(join(bob.sandbox.stateDir, 'audit-spool.lock')) && !existsSync(join(bob.sandbox.stateDir, 'audit-spool.pending')));
    expect(spooled(bob)).toBe(6);
    const doctor = await guardOn(bob, ['doctor', '--json']);
    const check = (JSON.parse(doctor.stdout).checks as Array<{ id: string; status: string; summary: string }>).find((c) => c.id === 'audit');
    expect(check).toMatchObject({ status: 'warn', summary: expect.stringMatching(/no socket at .*; 6 events waiting in the spool; last try \S+ ago failed: /) });

    await relay.start();
    expect((await guardOn(bob, ['run', '--no-prompt', '--', 'true'])).code).toBe(0);
    const all = guardLines(bob);
    expect(all.length).toBe(before + 8);
    await waitFor('the spool at the collector', () => (collector.hosts().get('bob-laptop')?.length ?? 0) >= all.length && spooled(bob) === 0);
    const file = collector.hosts().get('bob-laptop')!.map((line) => line.slice(line.indexOf('{')));
    expect(file).toEqual(all); // each once, oldest first
    const after = await guardOn(bob, ['doctor', '--json']);
    expect((JSON.parse(after.stdout).checks as Array<{ id: string; status: string; summary: string }>).find((c) => c.id === 'audit')).toMatchObject({
      status: 'pass',
      summary: expect.stringMatching(/socket present; 0 events waiting in the spool; last sent/),
    });
  });
});

/** The audit lines of a person's laptop, as logged locally. */
function guardLines(p: Person): string[] {
  const file = join(p.sandbox.stateDir, 'audit.jsonl');
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((line) => line !== '') : [];
}

function guardAs(sandbox: Pick<Sandbox, 'env'>, args: string[]): Promise<GuardResult> {
  return collect(spawn(GUARD_BIN, args, { env: sandbox.env, stdio: ['ignore', 'pipe', 'pipe'] }));
}
