// A hub started on the data folder of the file-based version (devices.json, scans/*.jsonl) imports it once into
// the store: devices and accounts with their hashes, and every raw scan, read line by line (a national day is
// larger than one JavaScript string) and committed in chunks, each scan once. The old files are renamed
// *.imported, so the import never runs twice, and kept for the operator to delete.
import { createReadStream, existsSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { placeScan } from '../figures.js';
import type { Account, Device, HubStore, StoredScan } from './port.js';

interface OldRegistry {
  devices?: Record<string, Device & { checkpoint?: string }>;
  accounts?: Record<string, Account>;
}

export async function importFileStore(dataDir: string, store: HubStore, timeZone: string, log: (l: string) => void): Promise<void> {
  const registry = join(dataDir, 'devices.json');
  const scansDir = join(dataDir, 'scans');
  const files = existsSync(scansDir) ? readdirSync(scansDir).filter((f) => /^\d{4}-\d{2}-\d{2}\.jsonl$/.test(f)).sort() : [];
  if (!existsSync(registry) && !files.length) return;
  log(`hub: importing the file-based data in ${dataDir} into ${store.describe} (once)`);
  let devices = 0, accounts = 0, scans = 0, damaged = 0;
  if (existsSync(registry)) {
    const doc = JSON.parse(readFileSync(registry, 'utf8')) as OldRegistry;
    for (const d of Object.values(doc.devices ?? {})) {
      const { checkpoint: _checkpoint, ...device } = d;
      await store.putDevice(device);
      devices++;
    }
    for (const a of Object.values(doc.accounts ?? {})) { await store.putAccount(a); accounts++; }
  }
  for (const f of files) {
    const lines = createInterface({ input: createReadStream(join(scansDir, f), 'utf8'), crlfDelay: Infinity });
    let chunk: StoredScan[] = [];
    for await (const line of lines) {
      if (!line) continue;
      let s: StoredScan;
      // a hub killed mid-write left a torn last line: that scan is still in its kiosk's journal
      try { s = JSON.parse(line) as StoredScan; } catch { damaged++; continue; }
      if (typeof s.id !== 'string' || typeof s.k !== 'string' || typeof s.at !== 'number') { damaged++; continue; }
      const rx = typeof s.rx === 'number' ? s.rx : s.at;
      chunk.push({ ...s, rx, ...placeScan(s, rx, timeZone) });
      if (chunk.length === 2000) { scans += (await store.ingest(chunk)).stored; chunk = []; }
    }
    if (chunk.length) scans += (await store.ingest(chunk)).stored;
  }
  // only once everything is committed: a hub stopped halfway imports again, and the store skips what it has
  if (existsSync(registry)) renameSync(registry, `${registry}.imported`);
  if (existsSync(scansDir)) renameSync(scansDir, `${scansDir}.imported`);
  await store.setMeta('import.files', new Date().toISOString());
  log(`hub: imported ${devices} devices, ${accounts} accounts and ${scans} scans${damaged ? ` (${damaged} damaged lines skipped)` : ''}; the old files are renamed *.imported and can be deleted. figures.json is not read: the figures were rebuilt from the raw scans`);
}
