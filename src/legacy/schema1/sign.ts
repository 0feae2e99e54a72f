/**
 * Producing a signed schema1 manifest the way distribution and libtrust do: the manifest is
 * marshalled with a three-space indent, signed with ES256 over `<protected>.<payload>` (the
 * protected header records `formatLength`, `formatTail` and the signing time), and the
 * `signatures` array is spliced in before the final `}` with the same indent.
 */
import { generateKeyPairSync, createPublicKey, sign, type KeyObject } from 'node:crypto';
import { ShaleError } from '../../core/errors.ts';
import { indentJson } from '../go-json/indent.ts';
import { marshalRawObject, rawGoString } from '../go-json/raw-object.ts';
import { encodeGo } from '../go-json/struct-codec.ts';
import { ByteWriter } from '../go-json/writer.ts';
import { encodeBase64Url } from './base64url.ts';
import { libtrustKeyId } from './libtrust-key.ts';
import { MANIFEST_STRUCT, type Schema1Manifest } from './manifest.ts';

const INDENT = '   ';
const utf8 = new TextEncoder();

/** A fresh P-256 private key for signing schema1 manifests. */
export function generateSchema1SigningKey(): KeyObject {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
}

const raw = (text: string): Uint8Array => utf8.encode(text);

/** libtrust's public JWK: `crv`, `kid`, `kty`, `x`, `y`, keys sorted. */
function publicJwk(publicKey: KeyObject): Uint8Array {
  const jwk = publicKey.export({ format: 'jwk' });
  return marshalRawObject(
    new Map([
      ['crv', rawGoString(jwk.crv!)],
      ['kid', rawGoString(libtrustKeyId(publicKey))],
      ['kty', rawGoString('EC')],
      ['x', rawGoString(jwk.x!)],
      ['y', rawGoString(jwk.y!)],
    ]),
  );
}

function signatureEntry(
  privateKey: KeyObject,
  protectedHeader: string,
  payload: Uint8Array,
): Uint8Array {
  const signingInput = utf8.encode(`${protectedHeader}.${encodeBase64Url(payload)}`);
  const signature = sign('sha256', signingInput, { key: privateKey, dsaEncoding: 'ieee-p1363' });
  const jwk = publicJwk(createPublicKey(privateKey));
  return new ByteWriter()
    .text('[{"header":{"jwk":')
    .bytes(jwk)
    .text(`,"alg":"ES256"},"signature":"${encodeBase64Url(signature)}",`)
    .text(`"protected":"${protectedHeader}"}]`)
    .toBytes();
}

/**
 * Sign a schema1 manifest with an ES256 (P-256) key. `now` sets the protected header's time
 * (whole seconds, UTC).
 */
export function signSchema1Manifest(
  manifest: Schema1Manifest,
  privateKey: KeyObject,
  now: Date = new Date(),
): Uint8Array {
  if (
    privateKey.type !== 'private' ||
    privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1'
  ) {
    throw new ShaleError(
      'ERR_UNSUPPORTED',
      'schema1 manifests are signed with a P-256 private key',
    );
  }
  const record = { ...manifest, schemaVersion: BigInt(manifest.schemaVersion) };
  const payload = indentJson(encodeGo({ struct: MANIFEST_STRUCT }, record), '', INDENT);
  // Go's MarshalIndent ends an object with "\n}": the signed format keeps that as the tail.
  const formatLength = payload.length - 2;
  const protectedJson = marshalRawObject(
    new Map([
      ['formatLength', raw(String(formatLength))],
      ['formatTail', rawGoString(encodeBase64Url(payload.subarray(formatLength)))],
      ['time', rawGoString(now.toISOString().replace(/\.\d+Z$/, 'Z'))],
    ]),
  );
  const signatures = signatureEntry(privateKey, encodeBase64Url(protectedJson), payload);
  return new ByteWriter()
    .bytes(payload.subarray(0, formatLength))
    .text(`,\n${INDENT}"signatures": `)
    .bytes(indentJson(signatures, INDENT, INDENT))
    .text('\n}')
    .toBytes();
}
