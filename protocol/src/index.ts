// protocol/: pure formats, signatures, validity and message schemas. No I/O.
export * from './base45.js';
export * from './cbor.js';
export * from './cose.js';
export * from './envelope.js';
export * from './keys.js';
export * from './area.js';
export * from './time.js';
export * from './pass.js';
export * from './keyset.js';
export * from './signed-list.js';
export * from './trust-list.js';
export * from './status-list.js';
export * from './reasons.js';
export * from './verdict.js';
export * from './dcc.js';
export * from './verify.js';
