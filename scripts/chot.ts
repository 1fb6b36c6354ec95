#!/usr/bin/env node
// chot: one program, many subcommands. Each subcommand lives in its own module under scripts/cli/.
import { UsageError } from './cli/usage.js';

const COMMANDS: Record<string, { help: string; run: (args: string[]) => number | Promise<number> }> = {
  keygen: { help: 'make a signing key pair (root, issuer)', run: async (a) => (await import('./cli/keygen.js')).keygen(a) },
  trust: { help: 'trust sign: sign the list of issuer keys and DSCs with the root key', run: async (a) => (await import('./cli/lists.js')).trust(a) },
  status: { help: 'status sign | delta: sign a status list (F0/F1 holders, revocations), or the delta between two', run: async (a) => (await import('./cli/lists.js')).status(a) },
  pass: { help: 'pass issue: sign a pass and render its QR', run: async (a) => (await import('./cli/pass.js')).pass(a) },
  decode: { help: 'decode QR codes in image files (PNG, JPEG): one JSON line per image', run: async (a) => (await import('./cli/decode.js')).decode(a) },
  kiosk: { help: 'kiosk run | failsafe: the booth program, and the gate fail-safe', run: async (a) => (await import('./cli/kiosk.js')).kiosk(a) },
  doctor: { help: 'doctor: check this kiosk (config, GPIO, scanner, camera, hub, clock, lists, disk, journal) and say what to fix', run: async (a) => (await import('./cli/doctor.js')).doctor(a) },
  hub: { help: 'hub run: the hub (embedded MQTT broker, scans stored exactly once, lists and configs for the kiosks)', run: async (a) => (await import('./cli/hub.js')).hub(a) },
  device: { help: 'device add | list | revoke: kiosk credentials on the hub', run: async (a) => (await import('./cli/hub.js')).device(a) },
  account: { help: 'account add: operator and service accounts on the hub', run: async (a) => (await import('./cli/hub.js')).account(a) },
  verify: { help: 'verify a pass or EU DCC offline: one JSON line, exit 0 green / 1 red', run: async (a) => (await import('./cli/verify.js')).verify(a) },
};

function usage(): string {
  const w = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  return ['usage: chot <command> [options]   (chot <command> --help for its options)', '', 'commands:',
    ...Object.entries(COMMANDS).map(([k, c]) => `  ${k.padEnd(w)}  ${c.help}`)].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') { console.log(usage()); return cmd ? 0 : 2; }
  if (cmd === '--version') { console.log(process.env.npm_package_version ?? '0.1.0'); return 0; }
  const c = COMMANDS[cmd];
  if (!c) { console.error(`chot: unknown command ${JSON.stringify(cmd)}\n${usage()}`); return 2; }
  try {
    return await c.run(rest);
  } catch (e) {
    if (e instanceof UsageError) { console.error(`chot ${cmd}: ${e.message}`); return 2; }
    console.error(`chot ${cmd}: ${(e as Error).stack ?? e}`);
    return 3;
  }
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
