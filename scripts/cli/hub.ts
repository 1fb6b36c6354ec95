// chot hub run | export | recount; chot device add | token | list | revoke; chot account add
import { parse, need, UsageError } from './usage.js';
import { usageOf } from './commands.js';

/** The hub's store, as the config names it (the hub may be running: SQLite and PostgreSQL both allow that). */
export async function openHubStore(configPath?: string) {
  const { loadHubConfig, HubConfigError } = await import('../../hub/src/config.js');
  const { storeConfig } = await import('../../hub/src/hub.js');
  const { openStore } = await import('../../hub/src/store/port.js');
  const { DeviceAdmin } = await import('../../hub/src/devices.js');
  let config;
  try {
    config = loadHubConfig(configPath);
  } catch (e) {
    if (e instanceof HubConfigError) throw new UsageError(e.message);
    throw e;
  }
  const sc = storeConfig(config);
  if (!configPath) process.stderr.write(`chot: no --config: using the default hub store (${sc.kind === 'sqlite' ? sc.path : sc.url})\n`);
  const store = await openStore(sc, () => {});
  // an external Mosquitto with dynamic security learns each kiosk's secret here, the one moment it is in clear
  let dynsec: import('../../hub/src/dynsec.js').Dynsec | undefined;
  const m = config.mqtt;
  if (m.broker === 'external' && m.dynsec) {
    const { Dynsec } = await import('../../hub/src/dynsec.js');
    const { readFileSync } = await import('node:fs');
    try {
      dynsec = await Dynsec.connect({ url: m.urls![0], username: m.username!, password: readFileSync(m.passwordFile!, 'utf8').trim(), ca: m.ca ? readFileSync(m.ca) : undefined });
    } catch (e) {
      await store.close();
      throw new UsageError(`cannot reach the broker's dynamic security at ${m.urls![0]} as ${m.username}: ${(e as Error).message}; nothing was changed`);
    }
  }
  const close = store.close.bind(store);
  store.close = async () => { await dynsec?.close(); await close(); };
  return { store, admin: new DeviceAdmin(store, dynsec), config };
}

export async function hub(args: string[]): Promise<number> {
  const [verb, ...rest] = args;
  if (verb !== 'run' && verb !== 'export' && verb !== 'recount') throw new UsageError(`unknown hub command ${JSON.stringify(verb ?? '')}\n${usageOf('hub')}`);
  const USAGE = usageOf('hub', verb);
  if (verb === 'export') return exportFigures(parse(rest, { config: { type: 'string' }, day: { type: 'string' }, to: { type: 'string' }, csv: { type: 'boolean' }, json: { type: 'boolean' } }, USAGE).values);
  if (verb === 'recount') return recount(parse(rest, { config: { type: 'string' }, day: { type: 'string' } }, USAGE).values);
  const { values } = parse(rest, { config: { type: 'string' } }, USAGE);
  const { runHub } = await import('../../hub/src/main.js');
  const { HubConfigError, loadHubConfig } = await import('../../hub/src/config.js');
  try {
    if (!values.config) {
      const { storeConfig } = await import('../../hub/src/hub.js');
      const sc = storeConfig(loadHubConfig());
      process.stderr.write(`chot: no --config: the hub runs with every default, its data in ${loadHubConfig().dataDir} (store ${sc.kind === 'sqlite' ? sc.path : sc.url})\n`);
    }
    await runHub(values.config);
  } catch (e) {
    if (e instanceof HubConfigError) throw new UsageError(e.message);
    throw e;
  }
  return new Promise<number>(() => {});
}

export async function device(args: string[]): Promise<number> {
  const [verb, ...rest] = args;
  if (verb !== 'add' && verb !== 'token' && verb !== 'list' && verb !== 'revoke') throw new UsageError(`unknown device command ${JSON.stringify(verb ?? '')}\n${usageOf('device')}`);
  const DEVICE_USAGE = usageOf('device', verb);
  const { values, positionals } = parse(rest, {
    config: { type: 'string' }, checkpoint: { type: 'string' }, area: { type: 'string' }, json: { type: 'boolean' },
    'hub-web': { type: 'string' }, qr: { type: 'string' }, 'token-hours': { type: 'string', default: '24' },
    at: { type: 'string' }, site: { type: 'string' },
  }, DEVICE_USAGE);
  // usage errors before the store is opened, so a wrong command line creates nothing
  if (verb === 'add') { need(values.checkpoint, '--checkpoint', DEVICE_USAGE); need(values.area, '--area', DEVICE_USAGE); }
  const { parseLatLon } = await import('../../hub/src/clones.js');
  const location = values.at === undefined ? undefined : parseLatLon(values.at);
  if (values.at !== undefined && !location) throw new UsageError(`--at ${JSON.stringify(values.at)} is not LAT,LON in decimal degrees (e.g. 10.7769,106.7009)\n${DEVICE_USAGE}`);
  if (values.site !== undefined && !/^[a-z0-9][a-z0-9-]{0,47}$/.test(values.site)) throw new UsageError(`--site ${JSON.stringify(values.site)} must be 1–48 of a-z 0-9 -`);
  if ((verb === 'token' || verb === 'revoke') && positionals.length !== 1) throw new UsageError(`expected one device id, got ${positionals.length}\n${DEVICE_USAGE}`);
  const hours = Number(values['token-hours']);
  if (!(hours > 0 && hours <= 24 * 30)) throw new UsageError(`--token-hours ${JSON.stringify(values['token-hours'])} must be more than 0 and at most 720`);
  const { store, admin, config } = await openHubStore(values.config);
  try {
  const hubWeb = (values['hub-web'] ?? `http://${config.http.host === '0.0.0.0' ? '127.0.0.1' : config.http.host}:${config.http.port}`).replace(/\/+$/, '');
  const enrolment = async (token: string) => {
    const { ENROL_PREFIX } = await import('../../protocol/src/index.js');
    const text = `${ENROL_PREFIX}${hubWeb}#${token}`;
    if (values.qr) await (await import('qrcode')).default.toFile(values.qr, text, { errorCorrectionLevel: 'M', margin: 4, scale: 8 });
    return { enrolment: text, enrolmentQr: values.qr ?? null, tokenExpiresIn: `${hours} h` };
  };
  try {
    if (verb === 'add') {
      const id = need(values.checkpoint, '--checkpoint', DEVICE_USAGE);
      const { device: d, secret, token } = await admin.add(id, need(values.area, '--area', DEVICE_USAGE), hours, { location, site: values.site });
      console.log(JSON.stringify({ id: d.id, area: d.area, username: d.id, password: secret, ...(await enrolment(token)), note: 'shown once; the hub keeps only hashes. Either put the password in the kiosk config, or enrol the kiosk with the token (chot kiosk enrol, or scan the QR), which issues a new password' }));
      return 0;
    }
    if (verb === 'token') {
      console.log(JSON.stringify({ id: positionals[0], ...(await enrolment(await admin.newToken(positionals[0], hours))) }));
      return 0;
    }
    if (verb === 'list') {
      for (const d of await admin.devices()) console.log(JSON.stringify({ id: d.id, area: d.area, createdAt: d.createdAt, revokedAt: d.revokedAt ?? null }));
      return 0;
    }
    if (verb === 'revoke') {
      const d = await admin.revoke(positionals[0]);
      console.log(JSON.stringify({ revoked: d.id, at: d.revokedAt }));
      return 0;
    }
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError((e as Error).message);
  }
  } finally {
    await store.close();
  }
  throw new UsageError(`unknown device command ${JSON.stringify(verb ?? '')}\n${DEVICE_USAGE}`);
}

export async function account(args: string[]): Promise<number> {
  const [verb, ...rest] = args;
  const ACCOUNT_USAGE = usageOf('account', 'add');
  if (verb !== 'add') throw new UsageError(`unknown account command ${JSON.stringify(verb ?? '')}\n${ACCOUNT_USAGE}`);
  const { values, positionals } = parse(rest, { config: { type: 'string' }, role: { type: 'string', default: 'operator' } }, ACCOUNT_USAGE);
  if (positionals.length !== 1) throw new UsageError(`expected one account NAME, got ${positionals.length}\n${ACCOUNT_USAGE}`);
  if (values.role !== 'operator' && values.role !== 'service') throw new UsageError(`--role ${JSON.stringify(values.role)} is not operator or service`);
  const { store, admin } = await openHubStore(values.config);
  try {
    const secret = await admin.addAccount(positionals[0], values.role);
    console.log(JSON.stringify({ name: positionals[0], role: values.role, password: secret, note: 'shown once; the hub keeps only a hash' }));
  } catch (e) { throw new UsageError((e as Error).message); } finally { await store.close(); }
  return 0;
}

/** chot hub export: the same figures the dashboard shows, read from the store (the hub may be running). */
async function exportFigures(values: { config?: string; day?: string; to?: string; csv?: boolean; json?: boolean }): Promise<number> {
  const USAGE = usageOf('hub', 'export');
  const day = need(values.day, '--day', USAGE);
  const to = values.to ?? day;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || !/^\d{4}-\d{2}-\d{2}$/.test(to) || to < day) throw new UsageError(`--day/--to must be YYYY-MM-DD with --day ≤ --to, got ${day} ${to}`);
  if (!values.csv && !values.json) throw new UsageError(`say --csv or --json\n${USAGE}`);
  const { store, config } = await openHubStore(values.config);
  try {
    const { reportFrom, reportCsv } = await import('../../hub/src/figures.js');
    const areas = new Map((await store.devices()).map((d) => [d.id, d.area]));
    // the gates with a passage sensor, as their kiosks last said (kept in the store by hubs on an external broker;
    // a checkpoint with a passage record in the period counts as one anyway)
    const gated = new Set((await store.kioskStatuses()).filter((r) => { try { return (JSON.parse(r.status) as { passage?: boolean }).passage === true; } catch { return false; } }).map((r) => r.kiosk));
    const report = reportFrom(await store.counters(day, to), day, to, config.timeZone, (id) => areas.get(id), (id) => gated.has(id));
    process.stdout.write(values.csv ? reportCsv(report) : JSON.stringify(report) + '\n');
  } finally { await store.close(); }
  return 0;
}

/** chot hub recount: a day's figures rebuilt from its raw scans, in one transaction; prints each correction. */
async function recount(values: { config?: string; day?: string }): Promise<number> {
  const day = need(values.day, '--day', usageOf('hub', 'recount'));
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new UsageError(`--day must be YYYY-MM-DD, got ${JSON.stringify(day)}`);
  const { store } = await openHubStore(values.config);
  try {
    const changed = await store.recount(day);
    // every raw scan is a scan, an override or a gate's passage record in the rebuilt counters (no need to load
    // millions of rows to count them)
    const kept = (await store.counters(day, day)).filter((r) => ['scans', 'overrides', 'annulled', 'tailgate'].includes(r.key)).reduce((a, r) => a + r.n, 0);
    for (const c of changed) console.log(JSON.stringify({ day, checkpoint: c.checkpoint, counter: c.key, was: c.was, now: c.now }));
    console.error(`chot: ${day}: ${kept} raw scans counted; ${changed.length ? `${changed.length} counters corrected (above)` : 'the figures were exact'}`);
  } finally { await store.close(); }
  return 0;
}
