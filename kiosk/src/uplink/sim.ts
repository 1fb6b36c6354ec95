// A simulated uplink: the hub in memory, for the kiosk's tests that are not about the link (and so need no
// broker). It keeps the real uplink's promises, checked by the same contract (kiosk/test/uplink.test.ts): a scan
// leaves the journal only once "the hub" has it, nothing is sent while the link is down, the backlog goes when
// it comes back, and lists published while away arrive on the next connection, as retained MQTT messages do.
import { EventEmitter } from 'node:events';
import { topics, type ClaimRequest, type KioskConfigMessage, type KioskStatus, type ScanRecord } from '../../../protocol/src/index.js';
import type { SimPayoutHub } from '../payout/sim-hub.js';
import type { Journal } from '../journal/journal.js';
import type { LinkState, UplinkEvents, UplinkPort } from './port.js';

type Retained = 'trust' | 'statusList' | 'statusDelta';

export interface SimUplinkOptions {
  /** Whether the hub can be reached at start (default true). */
  reachable?: boolean;
  /** The hub's clock, carried on each acknowledgement (default Date.now). */
  hubNow?: () => number;
  /** The hub's payout desk, shared by the simulated kiosks of one hub (payout/sim-hub.ts). */
  payouts?: SimPayoutHub;
}

export class SimUplink extends EventEmitter<UplinkEvents> implements UplinkPort {
  state: LinkState = 'offline';
  /** What "the hub" stored, by scan id. */
  readonly stored = new Map<string, ScanRecord>();
  /** Every status the kiosk published (heartbeats, the final offline one). */
  readonly statuses: KioskStatus[] = [];
  lastWill: KioskStatus | undefined;
  private reachable: boolean;
  private started = false;
  private readonly retained = new Map<Retained, Uint8Array>();
  private config: KioskConfigMessage | undefined;
  private readonly hubNow: () => number;
  private readonly payouts: SimPayoutHub | undefined;
  /** programme lists "retained" by topic, and the one this kiosk watches */
  private readonly programmes = new Map<string, Uint8Array>();
  private programmeTopic: string | null = null;

  constructor(private readonly journal: Pick<Journal, 'get' | 'ack' | 'oldest' | 'pending'>, opts: SimUplinkOptions = {}) {
    super();
    this.reachable = opts.reachable ?? true;
    this.hubNow = opts.hubNow ?? Date.now;
    this.payouts = opts.payouts;
  }

  private setState(s: LinkState): void {
    if (s === this.state) return;
    this.state = s;
    this.emit('link', s);
  }

  start(lastWill: KioskStatus): void {
    this.lastWill = lastWill;
    this.started = true;
    this.connect();
  }

  private connect(): void {
    this.setState('connecting');
    // answered on a later turn of the event loop, as a broker would
    setImmediate(() => {
      if (!this.started || this.state !== 'connecting') return;
      if (!this.reachable) { this.setState('offline'); return; }
      this.setState('online');
      for (const [kind, bytes] of this.retained) this.emit(kind, bytes);
      if (this.config) this.emit('config', this.config);
      const prog = this.programmeTopic && this.programmes.get(this.programmeTopic);
      if (prog) this.emit('programme', prog);
      this.deliver(this.journal.oldest(this.journal.pending));
    });
  }

  /** Takes scans to "the hub" and acknowledges them, as the hub does once they are on its disk. */
  private deliver(records: ScanRecord[]): void {
    if (!records.length) return;
    for (const r of records) this.stored.set(r.id, r);
    const n = this.journal.ack(records.map((r) => r.id));
    this.emit('ack', n, this.hubNow(), 0);
  }

  scanned(id: string): void {
    if (this.state !== 'online') return;
    setImmediate(() => { if (this.state === 'online') this.deliver(this.journal.get([id])); });
  }

  publishStatus(status: KioskStatus): void {
    if (this.state === 'online') this.statuses.push(status);
  }

  watchProgramme(programme: string, ward: string): void {
    this.programmeTopic = topics.programme(programme, ward);
    const prog = this.programmes.get(this.programmeTopic);
    if (prog && this.state === 'online') setImmediate(() => { if (this.state === 'online') this.emit('programme', prog); });
  }

  claim(req: ClaimRequest): boolean {
    if (this.state !== 'online') return false;
    const desk = this.payouts;
    if (!desk) return true; // a hub without payouts never answers
    // decided on receipt, as the hub commits before it answers; the answer may be late or lost (sim-hub.ts)
    setImmediate(() => {
      if (this.state !== 'online') return;
      const r = desk.decide(req);
      desk.reply(() => { if (this.state === 'online') this.emit('claimResult', r); });
    });
    return true;
  }

  async stop(finalStatus?: KioskStatus): Promise<void> {
    this.started = false;
    if (finalStatus && this.state === 'online') this.statuses.push(finalStatus);
    this.setState('offline');
  }

  // the hub's side

  /** The link goes down (a dead broker, a cut cable) or comes back; the kiosk reconnects by itself. */
  setReachable(on: boolean): void {
    this.reachable = on;
    if (!on && this.state !== 'offline') {
      if (this.lastWill && this.state === 'online') this.statuses.push(this.lastWill);
      this.setState('offline');
    } else if (on && this.started && this.state === 'offline') {
      this.connect();
    }
  }

  /** Publishes a list as retained: the kiosk gets it now if online, else on its next connection. */
  publish(kind: Retained, bytes: Uint8Array): void {
    this.retained.set(kind, bytes);
    if (this.state === 'online') setImmediate(() => { if (this.state === 'online') this.emit(kind, bytes); });
  }

  /** A ward's programme list, retained on its topic like the other lists. */
  publishProgramme(programme: string, ward: string, bytes: Uint8Array): void {
    const t = topics.programme(programme, ward);
    this.programmes.set(t, bytes);
    if (this.state === 'online' && t === this.programmeTopic) setImmediate(() => { if (this.state === 'online') this.emit('programme', bytes); });
  }

  /** The hub's config for this kiosk, retained like the lists. */
  sendConfig(c: KioskConfigMessage): void {
    this.config = c;
    if (this.state === 'online') setImmediate(() => { if (this.state === 'online') this.emit('config', c); });
  }
}
