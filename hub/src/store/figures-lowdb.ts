// Figures kept with lowdb, written through the durable adapter (fsync, rename): one small JSON file of
// aggregates, rewritten in batches by Figures.scheduleSave, never per scan.
import { Low } from 'lowdb';
import { DurableJsonFile } from '../../../lib/durable-file.js';
import type { FiguresSnapshot, FiguresStorage } from '../figures.js';

export class LowdbFiguresStorage implements FiguresStorage {
  private readonly db: Low<{ days: FiguresSnapshot }>;
  constructor(path: string) {
    this.db = new Low(new DurableJsonFile<{ days: FiguresSnapshot }>(path), { days: {} });
  }
  async load(): Promise<FiguresSnapshot> {
    await this.db.read();
    return this.db.data.days ?? {};
  }
  async save(snapshot: FiguresSnapshot): Promise<void> {
    this.db.data = { days: snapshot };
    await this.db.write();
  }
}
