// A scan source: anything that produces codes (serial scanner, keyboard-mode scanner, camera, simulator).
import { EventEmitter } from 'node:events';

export type SourceKind = 'serial' | 'hid' | 'camera' | 'sim';
export type SourceState = 'starting' | 'ok' | 'absent' | 'stopped';

export interface ScanSourceEvents {
  code: [text: string, readAt: number];
  state: [state: SourceState, detail: string];
}

export abstract class ScanSource extends EventEmitter<ScanSourceEvents> {
  abstract readonly kind: SourceKind;
  state: SourceState = 'starting';
  detail = '';

  protected setState(state: SourceState, detail: string): void {
    if (state === this.state && detail === this.detail) return;
    this.state = state;
    this.detail = detail;
    this.emit('state', state, detail);
  }

  abstract start(): void;
  abstract stop(): Promise<void>;
}

/** Codes typed in by a test or the demo. */
export class SimSource extends ScanSource {
  readonly kind = 'sim' as const;
  start(): void { this.setState('ok', 'simulated scanner'); }
  async stop(): Promise<void> { this.setState('stopped', ''); }
  feed(text: string): void { this.emit('code', text, performance.now()); }
}
