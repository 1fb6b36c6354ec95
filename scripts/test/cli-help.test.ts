// `--help` on every chot command and subcommand: its own usage, exit 0, nothing else done. The list comes from
// `chot --help` itself, so a command added there without a usage (or the other way round) fails here.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CHOT = new URL('../chot.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'chot-help-'));
const run = (args: string[]) => {
  const r = spawnSync(process.execPath, [CHOT, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, HOME: dir } });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

const top = run(['--help']);
/** [command, subcommand or ''] as `chot --help` lists them */
const listed = top.out.split('\n').filter((l) => /^ {2}\S/.test(l)).map((l) => l.trim().split(/\s{2,}/)[0].split(' ') as [string, string?]).map(([c, s]) => [c, s ?? ''] as const);

test('chot --help lists every command and subcommand, each with a line of help, exit 0', () => {
  assert.is(top.code, 0, top.err);
  assert.is(top.err, '');
  const names = listed.map(([c, s]) => `${c} ${s}`.trim());
  for (const n of ['keygen', 'trust sign', 'status sign', 'status delta', 'status import', 'pass issue', 'officer issue', 'verify', 'decode',
    'kiosk run', 'kiosk enrol', 'kiosk failsafe', 'doctor', 'hub run', 'hub export', 'hub recount',
    'device add', 'device token', 'device list', 'device revoke', 'account add']) assert.ok(names.includes(n), `${n} missing from chot --help:\n${top.out}`);
  for (const l of top.out.split('\n').filter((x) => /^ {2}\S/.test(x))) assert.match(l, /^ {2}\S+( \S+)? +\S.{10,}/, `a line of help: ${l}`);
  assert.equal(run(['-h']).out, top.out);
  assert.equal(run(['help']).out, top.out);
});

test('every subcommand: --help prints its own usage and no other, exit 0, on stdout, nothing created', () => {
  assert.ok(listed.length >= 20, `${listed.length} commands listed`);
  for (const [cmd, sub] of listed) {
    const name = `chot ${cmd}${sub ? ` ${sub}` : ''}`;
    const path = sub ? [cmd, sub] : [cmd];
    // -h is the same flag as --help to the code that answers: tried once per command, not on every subcommand
    for (const args of [[...path, '--help'], ['help', ...path], ...(sub === listed.find(([c]) => c === cmd)![1] ? [[...path, '-h']] : [])]) {
      const r = run(args);
      assert.is(r.code, 0, `${args.join(' ')}: exit ${r.code}\n${r.err}`);
      assert.is(r.err, '', `${args.join(' ')} wrote to stderr: ${r.err}`);
      assert.ok(r.out.startsWith(`usage: ${name} `) || r.out === `usage: ${name}\n`, `${args.join(' ')} printed:\n${r.out}`);
      if (sub) for (const [c2, s2] of listed) if (c2 === cmd && s2 !== sub) assert.not.ok(r.out.includes(`chot ${c2} ${s2} `), `${name} --help shows ${c2} ${s2} too`);
    }
  }
  // --help anywhere among the options, even after ones that would do something
  const late = run(['device', 'add', '--checkpoint', 'x', '--area', '79', '--help']);
  assert.is(late.code, 0);
  assert.match(late.out, /^usage: chot device add /);
  assert.equal(readdirSync(dir), [], 'asking for help wrote nothing');
});

test('a command with subcommands: --help lists each one\'s usage; none given or an unknown one says which exist, exit 2', () => {
  for (const cmd of new Set(listed.filter(([, s]) => s).map(([c]) => c))) {
    const subs = listed.filter(([c]) => c === cmd).map(([, s]) => s);
    const h = run([cmd, '--help']);
    assert.is(h.code, 0, `${cmd} --help: ${h.err}`);
    assert.match(h.out, new RegExp(`^usage: chot ${cmd} ${subs[0]}`));
    for (const s of subs) assert.match(h.out, new RegExp(`^(usage: | {7})chot ${cmd} ${s}\\b`, 'm'), `${cmd} --help lists ${s}`);
    const none = run([cmd]);
    assert.is(none.code, 2);
    assert.match(none.err.split('\n')[0], new RegExp(`^chot ${cmd}: say which: ${subs.slice(0, -1).join(', ')}`));
    const bad = run([cmd, 'frobnicate']);
    assert.is(bad.code, 2);
    assert.match(bad.err.split('\n')[0], new RegExp(`^chot ${cmd}: unknown ${cmd} command "frobnicate": `));
    assert.match(bad.err, new RegExp(`usage: chot ${cmd} ${subs[0]}`));
  }
});

test('hub commands refuse a wrong command line before they open (and so create) the hub\'s data folder', () => {
  const data = join(dir, 'hub-data');
  writeFileSync(join(dir, 'hub.json'), JSON.stringify({ dataDir: data }));
  const cases: Array<[string[], RegExp]> = [
    [['device', 'add', '--area', '79', '--config', 'hub.json'], /missing --checkpoint/],
    [['device', 'add', '--checkpoint', 'hcm-1', '--config', 'hub.json'], /missing --area/],
    [['device', 'add', '--checkpoint', 'hcm-1', '--area', '79', '--token-hours', '9999', '--config', 'hub.json'], /--token-hours "9999"/],
    [['device', 'revoke', '--config', 'hub.json'], /expected one device id, got 0/],
    [['device', 'token', 'a', 'b', '--config', 'hub.json'], /expected one device id, got 2/],
    [['account', 'add', '--config', 'hub.json'], /expected one account NAME, got 0/],
    [['account', 'add', 'ops', '--role', 'admin', '--config', 'hub.json'], /--role "admin" is not operator or service/],
    [['hub', 'recount', '--config', 'hub.json'], /missing --day/],
    [['hub', 'export', '--day', '2021-09-10', '--config', 'hub.json'], /say --csv or --json/],
    [['hub', 'run', '--day', '2021-09-10'], /Unknown option '--day'/],
  ];
  for (const [args, why] of cases) {
    const r = run(args);
    assert.is(r.code, 2, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err.split('\n')[0], why);
    if (!/token-hours|--role/.test(args.join(' '))) assert.match(r.err, new RegExp(`usage: chot ${args[0]} ${args[1]} `), `${args.join(' ')} shows its own usage`);
    assert.not.ok(existsSync(data), `${args.join(' ')} created the data folder`);
  }
  rmSync(join(dir, 'hub.json'));
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
