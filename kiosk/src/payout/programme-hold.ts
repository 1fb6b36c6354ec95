// The ward's support programme list as the payout kiosk holds it: taken from the hub's retained topic only when the
// root's signature verifies, it names this kiosk's programme and ward, and its version is newer than the one held;
// kept in the state folder (signed bytes, as received), so a kiosk restarted without network keeps the last good one.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { openProgrammeWard, type ProgrammeWard } from '../../../protocol/src/index.js';
import { writeDurable } from '../../../lib/durable-file.js';
import type { Log } from '../../../lib/log.js';

export type ProgrammeUpdate = { version: number } | { refused: string; quiet?: boolean };

export class ProgrammeHold {
  held: ProgrammeWard | undefined;
  receivedAt: number | undefined;
  readonly path: string;

  constructor(dir: string, private readonly root: KeyObject, readonly programme: string, readonly ward: string, log: Log) {
    this.path = join(dir, `programme-${programme}-${ward.replace('/', '-')}.cose`);
    if (!existsSync(this.path)) return;
    try {
      this.held = this.open(new Uint8Array(readFileSync(this.path)));
      this.receivedAt = statSync(this.path).mtimeMs;
    } catch (e) {
      log(`payout: ${this.path} refused at start-up (${(e as Error).message}); waiting for the hub to send the ward's list again`, 'warn');
    }
  }

  private open(bytes: Uint8Array): ProgrammeWard {
    const p = openProgrammeWard(bytes, this.root);
    if (p.programme.id !== this.programme) throw new Error(`the list is for programme ${JSON.stringify(p.programme.id)}, this kiosk pays ${JSON.stringify(this.programme)} (payout.programme)`);
    if (p.ward !== this.ward) throw new Error(`the list is for ward ${p.ward}, this kiosk pays in ${this.ward}`);
    return p;
  }

  apply(bytes: Uint8Array, now: number): ProgrammeUpdate {
    let p: ProgrammeWard;
    try { p = this.open(bytes); } catch (e) { return { refused: (e as Error).message }; }
    const have = this.held?.programme.version ?? 0;
    // the hub sends the retained list again on every reconnect: the same version is normal, an older one is not
    if (p.programme.version === have) return { refused: `version ${have} is the one held`, quiet: true };
    if (p.programme.version < have) return { refused: `version ${p.programme.version} is older than version ${have} held: kept ${have}` };
    writeDurable(this.path, bytes);
    this.held = p;
    this.receivedAt = now;
    return { version: p.programme.version };
  }
}
