/**
 * libtrust public keys as schema1 signatures carry them: a JWK (`EC` P-256/384/521 or `RSA`)
 * turned into a node:crypto key, and the libtrust key ID — SHA-256 of the key's PKIX (SPKI) DER,
 * first 30 bytes, base32, in 12 colon-separated groups of 4 (`OIH7:HQFS:…`).
 */
import { createHash, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { ShaleError } from '../../core/errors.ts';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let text = '';
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      text += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return bits > 0 ? text + BASE32[(value << (5 - bits)) & 31] : text;
}

/** The libtrust key ID of a public key. */
export function libtrustKeyId(key: KeyObject): string {
  const der = key.export({ type: 'spki', format: 'der' });
  const encoded = base32(createHash('sha256').update(der).digest().subarray(0, 30));
  return encoded.match(/.{4}/g)!.join(':');
}

/** A signer's JWK as a public key; a `kid`, when present, must be the key's libtrust ID. */
export function publicKeyFromJwk(jwk: unknown): KeyObject {
  const fail = (why: string): never => {
    throw new ShaleError('ERR_INVALID_ARGUMENT', `invalid signing key (jwk): ${why}`);
  };
  if (typeof jwk !== 'object' || jwk === null) return fail('not an object');
  const { kty, kid } = jwk as { kty?: unknown; kid?: unknown };
  if (kty !== 'EC' && kty !== 'RSA') return fail(`unsupported key type ${JSON.stringify(kty)}`);
  let key: KeyObject;
  try {
    key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
  } catch (err) {
    return fail((err as Error).message);
  }
  if (kid !== undefined && kid !== libtrustKeyId(key))
    fail(`kid ${JSON.stringify(kid)} does not match the key (${libtrustKeyId(key)})`);
  return key;
}
