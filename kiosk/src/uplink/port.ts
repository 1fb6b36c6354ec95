// The uplink as the kiosk sees it: a link to the hub that delivers journaled scans and brings lists, config and
// the hub's time back. Uplink (uplink.ts) is the real one over MQTT; SimUplink (sim.ts) is a hub in memory for
// the tests that are not about the link. Both pass one contract (kiosk/test/uplink.test.ts).
import type { EventEmitter } from 'node:events';
import type { ClaimRequest, ClaimResult, KioskConfigMessage, KioskStatus } from '../../../protocol/src/index.js';

export type LinkState = 'connecting' | 'online' | 'offline';

export interface UplinkEvents {
  trust: [bytes: Uint8Array];
  statusList: [bytes: Uint8Array];
  statusDelta: [bytes: Uint8Array];
  config: [config: KioskConfigMessage];
  /** the signed rollout of a software release (kiosk/src/update) */
  rollout: [bytes: Uint8Array];
  /** the hub confirmed `count` scans as stored; its clock read `hubTime` */
  ack: [count: number, hubTime: number, rttMs: number];
  link: [state: LinkState];
  /** a payout kiosk's ward programme list (signed, retained), once watchProgramme named it */
  programme: [bytes: Uint8Array];
  /** the hub's answer to a payout claim (kiosk/src/payout) */
  claimResult: [result: ClaimResult];
}

export interface UplinkPort extends EventEmitter<UplinkEvents> {
  readonly state: LinkState;
  /** Connects, and keeps connecting until stopped; `lastWill` is what the hub hears if the kiosk vanishes. */
  start(lastWill: KioskStatus): void;
  /** A scan was journaled: send it when the link allows. It leaves the journal only when the hub acknowledges it. */
  scanned(id: string): void;
  publishStatus(status: KioskStatus): void;
  /** A payout kiosk: take this programme's list for this ward (retained), and the answers to its claims. */
  watchProgramme(programme: string, ward: string): void;
  /** Sends a payout claim now; false when the link is down (nothing sent: the caller keeps it and sends it again). */
  claim(req: ClaimRequest): boolean;
  /** Tells the hub `finalStatus` if online, then disconnects. */
  stop(finalStatus?: KioskStatus): Promise<void>;
}
