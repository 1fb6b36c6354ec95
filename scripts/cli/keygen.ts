import { generateKeyPairSync, createPublicKey } from 'node:crypto';
import { writeFileSync, existsSync } from 'node:fs';
import { hex, isAlg, kidOf, spkiOf } from '../../protocol/src/index.js';
import { parse, need, UsageError } from './usage.js';
import { usageOf } from './commands.js';

const USAGE = usageOf('keygen');

export function keygen(args: string[]): number {
  const { values } = parse(args, { alg: { type: 'string', default: 'EdDSA' }, out: { type: 'string' }, force: { type: 'boolean' } }, USAGE);
  const alg = values.alg!;
  if (!isAlg(alg)) throw new UsageError(`--alg ${JSON.stringify(alg)} is not EdDSA, ES256 or PS256\n${USAGE}`);
  const out = need(values.out, '--out', USAGE);
  if (existsSync(`${out}.key.pem`) && !values.force) throw new UsageError(`${out}.key.pem exists: refusing to overwrite a private key (use --force)`);
  const pair = alg === 'EdDSA' ? generateKeyPairSync('ed25519')
    : alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : generateKeyPairSync('rsa', { modulusLength: 3072 });
  writeFileSync(`${out}.key.pem`, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(`${out}.pub.pem`, pair.publicKey.export({ type: 'spki', format: 'pem' }));
  console.log(JSON.stringify({ alg, kid: hex(kidOf(spkiOf(createPublicKey(pair.privateKey)))), privateKey: `${out}.key.pem`, publicKey: `${out}.pub.pem` }));
  return 0;
}
