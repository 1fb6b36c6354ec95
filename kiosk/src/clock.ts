// Whether the kiosk's clock can be trusted. A Raspberry Pi has no real-time clock: after a power cut it boots
// with the time it last saved (fake-hwclock), hours or days behind, until NTP answers. The clock counts as
// synchronised when systemd-timesyncd says so (it creates /run/systemd/timesync/synchronized), or when the
// hub's time, carried on every acknowledgement, agrees with ours within a tolerance.
import { existsSync } from 'node:fs';

export interface ClockState { synced: boolean; source: 'ntp' | 'hub' | 'none'; offsetMs?: number }

export class KioskClock {
  private hubOffset: number | undefined;
  private hubSeenAt = 0;

  constructor(private readonly syncedFile: string, private readonly toleranceMs: number, private readonly now: () => number = Date.now) {}

  /** Records the hub's time (from an ack); the offset is hub minus us. */
  sawHubTime(hubMs: number, rttMs = 0): void {
    this.hubOffset = hubMs + rttMs / 2 - this.now();
    this.hubSeenAt = this.now();
  }

  state(): ClockState {
    if (existsSync(this.syncedFile)) return { synced: true, source: 'ntp', offsetMs: this.hubOffset };
    // a hub reading older than an hour says little about drift since
    if (this.hubOffset !== undefined && this.now() - this.hubSeenAt < 3_600_000) {
      return { synced: Math.abs(this.hubOffset) <= this.toleranceMs, source: 'hub', offsetMs: Math.round(this.hubOffset) };
    }
    return { synced: false, source: 'none' };
  }
}
