#!/usr/bin/env node
// chot: one program, many subcommands. Each lives in its own module under scripts/cli/; their names, one-line
// help and usage are in scripts/cli/commands.ts, so `--help` anywhere answers before any module is loaded.
import { COMMANDS, topUsage, usageOf } from './cli/commands.js';
import { UsageError } from './cli/usage.js';

const RUN: Record<string, (args: string[]) => number | Promise<number>> = {
  keygen: async (a) => (await import('./cli/keygen.js')).keygen(a),
  trust: async (a) => (await import('./cli/lists.js')).trust(a),
  status: async (a) => (await import('./cli/lists.js')).status(a),
  pass: async (a) => (await import('./cli/pass.js')).pass(a),
  officer: async (a) => (await import('./cli/officer.js')).officer(a),
  verify: async (a) => (await import('./cli/verify.js')).verify(a),
  decode: async (a) => (await import('./cli/decode.js')).decode(a),
  kiosk: async (a) => (await import('./cli/kiosk.js')).kiosk(a),
  doctor: async (a) => (await import('./cli/doctor.js')).doctor(a),
  hub: async (a) => (await import('./cli/hub.js')).hub(a),
  device: async (a) => (await import('./cli/hub.js')).device(a),
  account: async (a) => (await import('./cli/hub.js')).account(a),
  programme: async (a) => (await import('./cli/programme.js')).programme(a),
  release: async (a) => (await import('./cli/release.js')).release(a),
  update: async (a) => (await import('./cli/update.js')).update(a),
};

const isHelp = (a: string) => a === '--help' || a === '-h';

/** The usage to print for a --help among the arguments (before any `--`), or undefined to run the command. */
function helpFor(cmd: string, rest: string[]): string | undefined {
  const end = rest.indexOf('--');
  const own = end < 0 ? rest : rest.slice(0, end);
  const subs = COMMANDS[cmd];
  if ('' in subs) return own.some(isHelp) ? usageOf(cmd) : undefined;
  const [verb, ...after] = own;
  if (verb === undefined) return undefined;
  if (isHelp(verb) || verb === 'help') return usageOf(cmd);
  if (verb in subs && after.some(isHelp)) return usageOf(cmd, verb);
  return undefined;
}

async function main(argv: string[]): Promise<number> {
  let [cmd, ...rest] = argv;
  if (!cmd) { console.error(topUsage()); return 2; }
  if (isHelp(cmd)) { console.log(topUsage()); return 0; }
  if (cmd === 'help') {
    // chot help [CMD [SUB]] is chot [CMD [SUB]] --help
    if (!rest.length) { console.log(topUsage()); return 0; }
    [cmd, ...rest] = [...rest, '--help'];
  }
  if (cmd === '--version') { console.log(process.env.npm_package_version ?? '0.1.0'); return 0; }
  if (!Object.hasOwn(COMMANDS, cmd)) { console.error(`chot: unknown command ${JSON.stringify(cmd)}\n${topUsage()}`); return 2; }
  const help = helpFor(cmd, rest);
  if (help) { console.log(help); return 0; }
  const subs = COMMANDS[cmd];
  if (!('' in subs) && !Object.hasOwn(subs, rest[0] ?? '')) {
    const names = Object.keys(subs);
    const which = `${names.slice(0, -1).join(', ')}${names.length > 1 ? ' or ' : ''}${names.at(-1)}`;
    console.error(`chot ${cmd}: ${rest[0] === undefined ? `say which: ${which}` : `unknown ${cmd} command ${JSON.stringify(rest[0])}: ${which}`}\n${usageOf(cmd)}`);
    return 2;
  }
  try {
    return await RUN[cmd](rest);
  } catch (e) {
    if (e instanceof UsageError) { console.error(`chot ${cmd}: ${e.message}`); return 2; }
    console.error(`chot ${cmd}: ${(e as Error).stack ?? e}`);
    return 3;
  }
}

// main turns what a command throws into its exit code; anything else is a bug, and Node's unhandled rejection shows it
void main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
