// Every chot command and subcommand, with its one-line help and its usage, in one table: `chot --help` lists
// them all, `chot CMD --help` a command's subcommands, `chot CMD SUB --help` one usage. Kept free of imports
// beyond this folder so that asking for help loads nothing else and changes nothing.

export interface Entry {
  /** one line for the list in `chot --help` */
  help: string;
  /** the synopsis (first line, from `chot …`), then indented lines that explain */
  usage: string;
}

/** '' is the command itself, for commands without subcommands. */
export const COMMANDS: Record<string, Record<string, Entry>> = {
  keygen: {
    '': {
      help: 'make a signing key pair (the root authority, an issuer)',
      usage: `chot keygen [--alg EdDSA|ES256|PS256] --out PREFIX [--force]
  writes PREFIX.key.pem (mode 600) and PREFIX.pub.pem; refuses to overwrite a private key without --force`,
    },
  },
  trust: {
    sign: {
      help: 'sign the trust list (issuer keys with their categories, areas and dates; EU DSCs) with the root key',
      usage: `chot trust sign --root ROOT.key.pem --in TRUST.json --out TRUST.cose
  TRUST.json: {"version": N, "issuers": [{"issuer", "name", "publicKey": FILE.pub.pem, "validFrom", "validUntil",
  "categories": […], "areas": […]}], "dsc": [{"certificate": BASE64-DER-OR-FILE, "country"}],
  "release": [{"name", "publicKey": FILE.pub.pem, "validFrom", "validUntil"}]}  (keys that may sign software releases)`,
    },
  },
  status: {
    sign: {
      help: 'sign a status list (F0/F1 holders, revoked passes and DCCs)',
      usage: `chot status sign --root ROOT.key.pem --in STATUS.json --out STATUS.cose
  STATUS.json: {"version": N, "holders": [{"token": HEX16, "state": "F0"}], "revokedPasses": [HEX16], "revokedDcc": [HEX32]}`,
    },
    delta: {
      help: 'sign the delta from one status list version to the next',
      usage: 'chot status delta --root ROOT.key.pem --from OLD.cose --to NEW.cose --out DELTA.cose',
    },
    import: {
      help: "the health authority's changes (CSV) as the hub's next signed status list and its delta",
      usage: `chot status import FILE.csv --root ROOT.key.pem [--lists DIR] [--config /etc/chot/hub.json]
  CSV from the health authority: token,state[,area] per line, state F0 F1 F2 F3, or "clear"; area the holder's
  registered area: 79, 79/26734 (ward) or 79/760/26734 (province/district/ward). Writes the next signed version and
  its delta in the hub's lists folder (DIR, or the config's dataDir/lists), which the running hub publishes, and
  the state and area per holder to the hub's store (the config's) for the F0-F3 counts per area; the area never
  enters the signed list. With the store, the passes operators revoked on clone alerts are signed into the list too`,
    },
  },
  pass: {
    issue: {
      help: 'sign a pass and render its QR',
      usage: `chot pass issue --key ISSUER.key.pem --issuer CODE --name NAME --id-last4 DDDD --category resident|shipper|official|medical|goods|foreign
    --area AREA [--area AREA…] [--hours HH:MM-HH:MM…] [--plate PLATE]
    [--issued-at ISO] [--valid-from ISO] [--valid-days N | --valid-until ISO]
    [--health none|F3|F2|F1|F0] [--declared ISO] [--id HEX16] [--token HEX16] [--png OUT.png]
  --issued-at defaults to now and must fall within the issuer key's validity in the trust list; --valid-from
  defaults to the issue time, --valid-days to 14; --declared (the health declaration) to the issue time.
  Prints the QR text on stdout and a JSON line about it on stderr`,
    },
  },
  officer: {
    issue: {
      help: "sign an officer's card (the QR an officer scans at the booth to go on duty) and render it",
      usage: `chot officer issue --key ISSUER.key.pem --issuer CODE --code STAFF-CODE --name NAME --area AREA [--area AREA…]
    [--issued-at ISO] [--valid-from ISO] [--valid-days N | --valid-until ISO] [--id HEX16] [--png OUT.png]
  The issuer key must be allowed to issue "official" passes for every --area in the trust list. --code is the
  officer's staff code (1–32 of A-Z a-z 0-9 . _ -, never a citizen id): scans and the hub's figures are grouped by
  it. --valid-days defaults to 180. Prints the QR text on stdout and a JSON line on stderr with the card id, which
  a status list's revokedPasses takes to revoke a lost card`,
    },
  },
  verify: {
    '': {
      help: 'verify a pass or EU DCC offline, as a kiosk would: one JSON line, exit 0 green / 1 red',
      usage: `chot verify [--trust FILE [--root ROOT.pub.pem]] [--status FILE] [--at ISO-TIME] [--checkpoint AREA]
    [--tz ZONE] [--skew SECONDS] [--max-declaration-age HOURS] [--accept CATEGORY…]
    [--dcc-cert BASE64-DER-OR-FILE…] [--dcc-rules none|FILE] PAYLOAD|-
  prints one JSON line; exit 0 green, 1 red, 2 usage error. The root key defaults to root.pub.pem beside the
  trust list; --at (default now) matters for a pass with hours, read in --tz (default Asia/Ho_Chi_Minh). An
  officer's card (VNO1:) is checked as the booth checks it at sign-in`,
    },
  },
  decode: {
    '': {
      help: 'decode QR codes in image files (PNG, JPEG): one JSON line per image',
      usage: `chot decode IMAGE... [--decoder both|library|wasm]
  one JSON line per image: {"file","text"|null,"ms"}; exit 1 when an image cannot be read`,
    },
  },
  kiosk: {
    run: {
      help: 'the booth program (scanner, verdict, lamps and gate, journal, uplink, officer screen)',
      usage: `chot kiosk run --config /etc/chot/kiosk.json [--log-level error|warn|info|debug]
  runs until SIGTERM or Ctrl-C, which leave the gate shut and the red lamp on (kiosk/README.md);
  one log line per scan at info; under systemd each line carries its journald priority`,
    },
    enrol: {
      help: 'a new kiosk redeems its one-time enrolment code at the hub',
      usage: `chot kiosk enrol CHOTENROL1:… | TOKEN [--hub-web http://HUB:8090] [--config /etc/chot/kiosk.json]
  the code comes from chot device add or chot device token on the hub; --hub-web names the hub to trust (needed
  with a bare TOKEN; else the config's hub.web, else the address in the code);
  keeps the kiosk's id, area, hub and secret in its state folder (enrolled.json, hub.secret), read over the
  config at every start; the config file itself is not changed`,
    },
    failsafe: {
      help: 'the gate fail-safe: relay released, red lamp on (systemd runs it after every stop)',
      usage: `chot kiosk failsafe [--config FILE] [--state-dir DIR]
  uses the config's pins, else the last config that worked (in the state folder), else the defaults`,
    },
  },
  doctor: {
    '': {
      help: 'check this kiosk (config, GPIO, scanner, camera, hub, clock, lists, disk, journal) and say what to fix',
      usage: `chot doctor [--config /etc/chot/kiosk.json] [--json]
  one line per check, each failing one with its fix; exit 1 when a check fails. Without a config it still
  checks what needs none, and says how to make one`,
    },
  },
  hub: {
    run: {
      help: 'the hub (MQTT broker, scans stored exactly once, lists and configs for the kiosks, dashboard)',
      usage: `chot hub run [--config /etc/chot/hub.json]
  without --config: every default (hub/config.schema.json), data in /var/lib/chot-hub; it says so on start`,
    },
    export: {
      help: "a day's or a range's figures from the hub's store, as CSV or JSON",
      usage: `chot hub export --day YYYY-MM-DD [--to YYYY-MM-DD] --csv|--json [--config /etc/chot/hub.json]
  the same figures as the dashboard; the hub may be running`,
    },
    recount: {
      help: "rebuild a day's figures from its raw scans, and print what it corrected",
      usage: 'chot hub recount --day YYYY-MM-DD [--config /etc/chot/hub.json]',
    },
  },
  device: {
    add: {
      help: "a kiosk's credentials on the hub, and its one-time enrolment code",
      usage: `chot device add --checkpoint ID --area CODE [--at LAT,LON] [--site NAME] [--hub-web http://HUB:8090] [--qr FILE.png] [--token-hours 24] [--config /etc/chot/hub.json]
  prints the kiosk's password once, and a one-time enrolment code as text (and as a QR image with --qr);
  --at places the checkpoint (clone detection), --site groups the booths of one checkpoint`,
    },
    token: {
      help: 'a new one-time enrolment code for a kiosk',
      usage: 'chot device token ID [--hub-web http://HUB:8090] [--qr FILE.png] [--token-hours 24] [--config /etc/chot/hub.json]',
    },
    list: {
      help: 'the kiosks the hub knows, one JSON line each',
      usage: 'chot device list [--config /etc/chot/hub.json]',
    },
    revoke: {
      help: 'cut a kiosk off: disconnected at once and refused from then on',
      usage: 'chot device revoke ID [--config /etc/chot/hub.json]',
    },
  },
  programme: {
    import: {
      help: 'a support programme: who is eligible in which ward, signed per ward and written to the hub',
      usage: `chot programme import ELIGIBLE.csv --id ID --name NAME --amount DONG --from ISO-TIME --until ISO-TIME --root ROOT.key.pem [--config /etc/chot/hub.json]
  ELIGIBLE.csv: token,ward per line (holder token, ward code such as 79/26734). Signs one list per ward into the
  hub's lists folder (the running hub publishes them for the payout kiosks) and replaces the programme's
  eligibility in the hub's store; a bad line stops the import with its line number and nothing changes`,
    },
  },
  release: {
    build: {
      help: 'a bundle of what a kiosk runs (the built program, its assets, optionally its dependencies), and its description',
      usage: `chot release build VERSION --out DIR [--arch arm64|x64|any] [--with-deps] [--from TREE]
  writes DIR/chot-VERSION-ARCH.tgz and DIR/chot-VERSION-ARCH.json (size, SHA-256). Without --with-deps the release
  uses the dependencies installed beside the releases (/opt/chot/node_modules); with it, the production ones of TREE
  (default: this program's own), which must have been installed for ARCH`,
    },
    sign: {
      help: "sign a release's manifest with a release key the root authorises in the trust list",
      usage: `chot release sign DIR/chot-VERSION-ARCH.json --key RELEASE.key.pem [--out FILE.manifest.cose]
  checks the bundle beside the .json first; writes DIR/chot-VERSION-ARCH.manifest.cose`,
    },
    rollout: {
      help: 'roll a signed release out to a share of the fleet or to named kiosks (signed, published by the hub)',
      usage: `chot release rollout VERSION --to 1%|10%|100%|KIOSK… --key RELEASE.key.pem [--bundle FILE.tgz --manifest FILE.manifest.cose] [--config /etc/chot/hub.json | --releases DIR]
  copies the bundle and manifest into the hub's data folder (releases/VERSION) and writes the signed rollout there; the
  running hub publishes it within a second. A share picks kiosks by a hash of their id: 1% is inside 10%. Run it again
  with a larger share to widen the rollout. It also signs the rollout's pause and roll-back, which the hub keeps
  (releases/brakes/) and publishes when an operator asks on the dashboard: the hub itself holds no key`,
    },
    pause: {
      help: 'pause the rollout: kiosks not yet switched stop downloading and do not switch',
      usage: 'chot release pause --key RELEASE.key.pem [--config /etc/chot/hub.json | --releases DIR]\n  also signs the roll-back the dashboard may publish',
    },
    rollback: {
      help: 'undo the rollout: kiosks on its version go back to the one they ran before, the others stop',
      usage: 'chot release rollback [VERSION] --key RELEASE.key.pem [--config /etc/chot/hub.json | --releases DIR]',
    },
  },
  update: {
    guard: {
      help: "the kiosk's update guard, run by systemd before each start and after each stop: rolls a failing version back",
      usage: `chot update guard start|stop [--state-dir /var/lib/chot] [--dir /opt/chot] [--max-failures 3]
  stop reads systemd's SERVICE_RESULT, EXIT_CODE and EXIT_STATUS; a new version that ends --max-failures times before
  it confirmed itself is switched back to the previous one (kiosk/README.md, Software updates)`,
    },
  },
  account: {
    add: {
      help: 'an operator (dashboard) or service (API) account on the hub',
      usage: `chot account add NAME [--role operator|service] [--config /etc/chot/hub.json]
  prints the password once; the hub keeps only a hash. --role defaults to operator`,
    },
  },
};

/** Usage text as printed: "usage: " before the first synopsis, the others aligned under it; the lines after a
 *  synopsis keep their own indent (4 spaces: more options, 2: what it does). */
export function usageOf(cmd: string, sub?: string): string {
  const subs = COMMANDS[cmd];
  const entries = sub !== undefined ? [subs[sub]] : Object.values(subs);
  return entries.map((e, i) => e.usage.split('\n').map((l, j) => (j === 0 ? (i === 0 ? 'usage: ' : '       ') + l : `       ${l}`)).join('\n')).join('\n');
}

export function topUsage(): string {
  const rows = Object.entries(COMMANDS).flatMap(([cmd, subs]) => Object.entries(subs).map(([sub, e]) => [sub ? `${cmd} ${sub}` : cmd, e.help]));
  const w = Math.max(...rows.map(([name]) => name.length));
  return ['usage: chot <command> [<subcommand>] [options]   (add --help to any of them for its usage)', '', 'commands:',
    ...rows.map(([name, help]) => `  ${name.padEnd(w)}  ${help}`)].join('\n');
}
