// A payout kiosk's settings: `"mode": "payout"` and `"payout": { "programme": …, "ward": …, "claimTimeoutMs": … }`.
// Checked here rather than by the schema alone, so that one error line lists every problem at once: a technician at
// a ward office fixes the file in one go. A checkpoint kiosk (no mode, or "checkpoint") has no payout section.
import { PROGRAMME_ID_RE, isArea } from '../../../protocol/src/index.js';

export interface PayoutConfig {
  /** the support programme's id, as `chot programme import --id` gave it */
  programme: string;
  /** the ward or commune code (79/26734) this desk pays in; default: the kiosk's area */
  ward?: string;
  /** how long the desk waits for the hub's answer before it says the payout must wait */
  claimTimeoutMs: number;
}

export const DEFAULT_CLAIM_TIMEOUT_MS = 10_000;
const KEYS = new Set(['programme', 'ward', 'claimTimeoutMs']);

/**
 * Checks `mode` and `payout` of a parsed config document (the rest is the schema's). Returns the payout settings
 * with defaults, undefined for a checkpoint kiosk, or every problem found.
 */
export function checkPayout(doc: { mode?: unknown; payout?: unknown; kiosk?: { area?: unknown } }): { payout?: PayoutConfig; problems: string[] } {
  const problems: string[] = [];
  const mode = doc.mode ?? 'checkpoint';
  if (mode !== 'checkpoint' && mode !== 'payout') problems.push(`mode must be "checkpoint" or "payout", got ${JSON.stringify(mode)}`);
  const p = doc.payout;
  if (mode !== 'payout') {
    if (p !== undefined && mode === 'checkpoint') problems.push('payout is set but mode is not "payout": add "mode": "payout" for a payout desk, or remove payout');
    return { problems };
  }
  if (p === undefined) return { problems: [...problems, 'mode "payout" needs a payout section: { "programme": "ho-tro-2021" } (the id given to chot programme import)'] };
  if (!p || typeof p !== 'object' || Array.isArray(p)) return { problems: [...problems, `payout must be an object, got ${JSON.stringify(p)}`] };
  const o = p as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!KEYS.has(k)) problems.push(`payout.${k} is not a setting (payout takes programme, ward, claimTimeoutMs)`);
  if (o.programme === undefined) problems.push('payout.programme is missing: the programme id given to chot programme import, e.g. "ho-tro-2021"');
  else if (typeof o.programme !== 'string' || !PROGRAMME_ID_RE.test(o.programme)) problems.push(`payout.programme must be 1-32 of a-z 0-9 - (the id given to chot programme import), got ${JSON.stringify(o.programme)}`);
  const wardOk = (w: unknown) => typeof w === 'string' && isArea(w) && w.includes('/');
  if (o.ward !== undefined && !wardOk(o.ward)) problems.push(`payout.ward must be a ward or commune code like 79/26734, got ${JSON.stringify(o.ward)}`);
  if (o.ward === undefined && !wardOk(doc.kiosk?.area)) problems.push(`payout.ward is not set and kiosk.area ${JSON.stringify(doc.kiosk?.area ?? null)} is not a ward code like 79/26734: set payout.ward, or register the kiosk with its ward (chot device add --area 79/26734)`);
  const t = o.claimTimeoutMs ?? DEFAULT_CLAIM_TIMEOUT_MS;
  if (typeof t !== 'number' || !Number.isInteger(t) || t < 1000 || t > 120_000) problems.push(`payout.claimTimeoutMs must be a whole number of ms from 1000 to 120000, got ${JSON.stringify(t)}`);
  if (problems.length) return { problems };
  return { payout: { programme: o.programme as string, ...(o.ward !== undefined ? { ward: o.ward as string } : {}), claimTimeoutMs: t as number }, problems };
}
