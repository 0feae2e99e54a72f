/**
 * Verifying the JWS signatures of a schema1 manifest as libtrust does: each signature covers
 * `<protected>.<base64url(payload)>` and is checked with the JWK in its header; ECDSA signatures
 * are the raw `r‖s` pair. Every signature must verify.
 */
import { verify } from 'node:crypto';
import { ShaleError } from '../../core/errors.ts';
import { decodeBase64Url, encodeBase64Url } from './base64url.ts';
import { libtrustKeyId, publicKeyFromJwk } from './libtrust-key.ts';
import type { ParsedSchema1, Schema1Signature } from './manifest.ts';

/** JWS algorithms libtrust signs with: hash, key type and (for ECDSA) curve and `r`/`s` size. */
const JWS_ALGORITHMS: Readonly<
  Record<string, { hash: string; keyType: 'ec' | 'rsa'; curve?: string; scalarBytes?: number }>
> = {
  ES256: { hash: 'sha256', keyType: 'ec', curve: 'prime256v1', scalarBytes: 32 },
  ES384: { hash: 'sha384', keyType: 'ec', curve: 'secp384r1', scalarBytes: 48 },
  ES512: { hash: 'sha512', keyType: 'ec', curve: 'secp521r1', scalarBytes: 66 },
  RS256: { hash: 'sha256', keyType: 'rsa' },
  RS384: { hash: 'sha384', keyType: 'rsa' },
  RS512: { hash: 'sha512', keyType: 'rsa' },
};

export interface Schema1Signer {
  /** libtrust key ID of the signing key. */
  keyId: string;
  alg: string;
}

const rejected = (index: number, why: string): never => {
  throw new ShaleError('ERR_INVALID_ARGUMENT', `schema1 signature ${index} rejected: ${why}`);
};

function verifyOne(signature: Schema1Signature, payload: string, index: number): Schema1Signer {
  const { alg, jwk, x5c } = signature.header;
  if (x5c !== undefined) {
    throw new ShaleError('ERR_UNSUPPORTED', 'schema1 signatures with x5c certificate chains');
  }
  const algorithm = JWS_ALGORITHMS[alg];
  if (!algorithm) {
    throw new ShaleError('ERR_UNSUPPORTED', `schema1 signature algorithm ${JSON.stringify(alg)}`);
  }
  const key = publicKeyFromJwk(jwk);
  if (key.asymmetricKeyType !== algorithm.keyType)
    rejected(index, `${alg} needs an ${algorithm.keyType.toUpperCase()} key`);
  if (algorithm.curve && key.asymmetricKeyDetails?.namedCurve !== algorithm.curve)
    rejected(index, `${alg} needs curve ${algorithm.curve}`);
  const bytes = decodeBase64Url(signature.signature, `signature ${index}`);
  if (algorithm.scalarBytes && bytes.length !== 2 * algorithm.scalarBytes)
    rejected(
      index,
      `an ${alg} signature is ${2 * algorithm.scalarBytes} bytes, not ${bytes.length}`,
    );
  const signed = new TextEncoder().encode(`${signature.protected}.${payload}`);
  const ok = verify(algorithm.hash, signed, { key, dsaEncoding: 'ieee-p1363' }, bytes);
  if (!ok) rejected(index, 'the signature does not match the payload');
  return { keyId: libtrustKeyId(key), alg };
}

/** Verify every signature of a parsed manifest; returns who signed. Unsigned → error. */
export function verifySchema1Signatures(parsed: ParsedSchema1): Schema1Signer[] {
  if (parsed.signatures.length === 0) {
    throw new ShaleError('ERR_INVALID_ARGUMENT', 'schema1 manifest is not signed');
  }
  const payload = encodeBase64Url(parsed.payload);
  return parsed.signatures.map((signature, i) => verifyOne(signature, payload, i));
}
