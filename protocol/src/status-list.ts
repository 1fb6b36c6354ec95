// The status list: holder tokens whose health state changed after issue (F0/F1 turn a pass red without a
// reissue), revoked pass ids, and revoked EU DCCs (first 16 bytes of SHA-256, as the EU does). Versioned and
// signed like the trust list; a delta takes version N to N+1 and carries only the changes.
import type { KeyObject } from 'node:crypto';
import type { CborKey, CborValue } from './cbor.js';
import { KeySet, KeySetError } from './keyset.js';
import { HEALTH_STATES, ID_BYTES, type HealthState } from './pass.js';
import { ListError, field, isBytes, isUint, openList, signList } from './signed-list.js';

export const DCC_HASH_BYTES = 16;

export interface StatusList {
  version: number;
  issuedAt: number;
  /** Holder token → index into HEALTH_STATES. */
  holders: KeySet;
  revokedPasses: KeySet;
  revokedDcc: KeySet;
}

export interface StatusDelta {
  fromVersion: number;
  version: number;
  issuedAt: number;
  holderUpserts: KeySet;
  holderRemovals: KeySet;
  passAdds: KeySet;
  passRemovals: KeySet;
  dccAdds: KeySet;
  dccRemovals: KeySet;
}

const S_VERSION = 1, S_ISSUED = 2, S_HOLDERS = 3, S_PASSES = 4, S_DCC = 5;
const D_FROM = 6, D_HOLDERS_RM = 7, D_PASSES_RM = 8, D_DCC_RM = 9;
// Lists carry entries as packed byte strings, so the CBOR item count stays tiny whatever the list size.
const MAX_ITEMS = 64;

export function emptyStatusList(): StatusList {
  return { version: 0, issuedAt: 0, holders: KeySet.empty(ID_BYTES, true), revokedPasses: KeySet.empty(ID_BYTES), revokedDcc: KeySet.empty(DCC_HASH_BYTES) };
}

export function healthOf(list: StatusList, token: Uint8Array): HealthState | undefined {
  const v = list.holders.get(token);
  return v === undefined ? undefined : HEALTH_STATES[v];
}

export function buildStatusList(
  version: number, issuedAt: number,
  holders: Iterable<[Uint8Array, HealthState]>, revokedPasses: Iterable<Uint8Array>, revokedDcc: Iterable<Uint8Array> = [],
): StatusList {
  const hs: Array<[Uint8Array, number]> = [];
  for (const [t, s] of holders) {
    const idx = HEALTH_STATES.indexOf(s);
    if (idx <= 0) throw new Error(`holder state ${JSON.stringify(s)} is not one of F3, F2, F1, F0`);
    hs.push([t, idx]);
  }
  return {
    version, issuedAt,
    holders: KeySet.build(hs, ID_BYTES, true),
    revokedPasses: KeySet.build([...revokedPasses].map((k) => [k] as [Uint8Array]), ID_BYTES, false),
    revokedDcc: KeySet.build([...revokedDcc].map((k) => [k] as [Uint8Array]), DCC_HASH_BYTES, false),
  };
}

export function signStatusList(list: StatusList, rootKey: KeyObject): Uint8Array {
  return signList('status', new Map<CborKey, CborValue>([
    [S_VERSION, list.version], [S_ISSUED, list.issuedAt],
    [S_HOLDERS, list.holders.toRecords()], [S_PASSES, list.revokedPasses.toRecords()], [S_DCC, list.revokedDcc.toRecords()],
  ]), rootKey);
}

export function makeDelta(from: StatusList, to: StatusList): StatusDelta {
  if (to.version !== from.version + 1) throw new Error(`a delta goes from version N to N+1, not ${from.version} to ${to.version}`);
  const h = from.holders.diff(to.holders);
  const p = from.revokedPasses.diff(to.revokedPasses);
  const d = from.revokedDcc.diff(to.revokedDcc);
  return {
    fromVersion: from.version, version: to.version, issuedAt: to.issuedAt,
    holderUpserts: h.upserts, holderRemovals: h.removals, passAdds: p.upserts, passRemovals: p.removals, dccAdds: d.upserts, dccRemovals: d.removals,
  };
}

export function signStatusDelta(delta: StatusDelta, rootKey: KeyObject): Uint8Array {
  return signList('status-delta', new Map<CborKey, CborValue>([
    [S_VERSION, delta.version], [S_ISSUED, delta.issuedAt], [D_FROM, delta.fromVersion],
    [S_HOLDERS, delta.holderUpserts.toRecords()], [D_HOLDERS_RM, delta.holderRemovals.toRecords()],
    [S_PASSES, delta.passAdds.toRecords()], [D_PASSES_RM, delta.passRemovals.toRecords()],
    [S_DCC, delta.dccAdds.toRecords()], [D_DCC_RM, delta.dccRemovals.toRecords()],
  ]), rootKey);
}

function keys(body: Map<CborKey, CborValue>, key: number, what: string, width: number, withValues: boolean): KeySet {
  try {
    const set = KeySet.fromRecords(field(body, key, what, isBytes), width, withValues);
    if (withValues) {
      for (let i = 0; i < set.size; i++) {
        const v = set.valueAt(i)!;
        if (v < 1 || v >= HEALTH_STATES.length) throw new KeySetError(`record ${i} has health state ${v}, not 1–${HEALTH_STATES.length - 1}`);
      }
    }
    return set;
  } catch (e) {
    if (e instanceof KeySetError) throw new ListError('malformed', `status list ${what}: ${e.message}`);
    throw e;
  }
}

/** Verifies and reads a full status list; with `held`, one that is not newer is refused. */
export function openStatusList(bytes: Uint8Array, rootPublic: KeyObject, held?: StatusList): StatusList {
  const body = openList(bytes, rootPublic, 'status', MAX_ITEMS);
  const version = field(body, S_VERSION, 'version', isUint);
  if (held && version <= held.version) throw new ListError('old-version', `status list version ${version} is not newer than the held version ${held.version}: refused`);
  return {
    version, issuedAt: field(body, S_ISSUED, 'issuedAt', isUint),
    holders: keys(body, S_HOLDERS, 'holders', ID_BYTES, true),
    revokedPasses: keys(body, S_PASSES, 'revokedPasses', ID_BYTES, false),
    revokedDcc: keys(body, S_DCC, 'revokedDcc', DCC_HASH_BYTES, false),
  };
}

export function openStatusDelta(bytes: Uint8Array, rootPublic: KeyObject): StatusDelta {
  const body = openList(bytes, rootPublic, 'status-delta', MAX_ITEMS);
  const version = field(body, S_VERSION, 'version', isUint);
  const fromVersion = field(body, D_FROM, 'fromVersion', isUint);
  if (version !== fromVersion + 1) throw new ListError('malformed', `status delta goes from ${fromVersion} to ${version}, not to ${fromVersion + 1}`);
  return {
    fromVersion, version, issuedAt: field(body, S_ISSUED, 'issuedAt', isUint),
    holderUpserts: keys(body, S_HOLDERS, 'holderUpserts', ID_BYTES, true),
    holderRemovals: keys(body, D_HOLDERS_RM, 'holderRemovals', ID_BYTES, false),
    passAdds: keys(body, S_PASSES, 'passAdds', ID_BYTES, false),
    passRemovals: keys(body, D_PASSES_RM, 'passRemovals', ID_BYTES, false),
    dccAdds: keys(body, S_DCC, 'dccAdds', DCC_HASH_BYTES, false),
    dccRemovals: keys(body, D_DCC_RM, 'dccRemovals', DCC_HASH_BYTES, false),
  };
}

/** Applies a verified delta; one that does not start at the held version is refused, and the held list stays. */
export function applyStatusDelta(held: StatusList, delta: StatusDelta): StatusList {
  if (delta.fromVersion !== held.version) {
    throw new ListError('delta-mismatch', `status delta starts at version ${delta.fromVersion} but version ${held.version} is held: fetch the full list`);
  }
  return {
    version: delta.version, issuedAt: delta.issuedAt,
    holders: held.holders.apply(delta.holderUpserts, delta.holderRemovals),
    revokedPasses: held.revokedPasses.apply(delta.passAdds, delta.passRemovals),
    revokedDcc: held.revokedDcc.apply(delta.dccAdds, delta.dccRemovals),
  };
}
