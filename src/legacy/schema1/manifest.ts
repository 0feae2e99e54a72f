/**
 * Docker schema1 manifests (`application/vnd.docker.distribution.manifest.v1+prettyjws`): the
 * signed payload that a JWS "pretty signature" covers (spec §3.1: the document's first
 * `formatLength` bytes followed by the decoded `formatTail`), the manifest digest over that
 * payload, the manifest decoded from the payload (never from the outer document: CVE-2014-8179),
 * and the pull-time checks.
 */
import { createHash } from 'node:crypto';
import { digestOf, parseDigest, type Digest } from '../../core/digest.ts';
import { ShaleError } from '../../core/errors.ts';
import { parseGoJson, rawBytes, type JsonNode } from '../go-json/parse.ts';
import { decodeGoStruct, type GoStruct } from '../go-json/struct-codec.ts';
import { decodeBase64Url } from './base64url.ts';

export interface Schema1Manifest {
  schemaVersion: number;
  name: string;
  tag: string;
  architecture: string;
  /** Index 0 is the top image, the last index the base. */
  fsLayers: { blobSum: string }[];
  history: { v1Compatibility: string }[];
}

/** One entry of `signatures`, as found in the document. */
export interface Schema1Signature {
  /** The unprotected header: `alg` and the signer's `jwk` (a libtrust public key). */
  header: { alg: string; jwk: unknown; x5c?: unknown };
  /** base64url of the protected header JSON (carries `formatLength` and `formatTail`). */
  protected: string;
  /** base64url of the signature bytes. */
  signature: string;
}

export interface ParsedSchema1 {
  manifest: Schema1Manifest;
  /** The signed payload (the whole document when it has no `signatures`). */
  payload: Uint8Array;
  /** The manifest digest: SHA-256 of `payload`. */
  digest: Digest;
  signatures: Schema1Signature[];
}

const field = (key: string, type: GoStruct['fields'][number]['type'], omitEmpty = false) => ({
  key,
  type,
  omitEmpty,
});

/** distribution's `schema1.Manifest`, in its field order. */
export const MANIFEST_STRUCT: GoStruct = {
  name: 'schema1 manifest',
  fields: [
    field('schemaVersion', 'int64'),
    field('name', 'string'),
    field('tag', 'string'),
    field('architecture', 'string'),
    field('fsLayers', { sliceOf: { name: 'FSLayer', fields: [field('blobSum', 'string')] } }),
    field('history', {
      sliceOf: { name: 'History', fields: [field('v1Compatibility', 'string')] },
    }),
  ],
};

const SIGNATURE_STRUCT: GoStruct = {
  name: 'signature',
  fields: [field('signature', 'string'), field('protected', 'string')],
};

const PROTECTED_STRUCT: GoStruct = {
  name: 'protected header',
  fields: [field('formatLength', 'int64'), field('formatTail', 'string')],
};

const invalid = (message: string): never => {
  throw new ShaleError('ERR_INVALID_ARGUMENT', `invalid schema1 manifest: ${message}`);
};

const utf8 = new TextDecoder();

function parseSignature(node: JsonNode, index: number): Schema1Signature {
  const what = `signature ${index}`;
  const { signature, protected: protectedHeader } = decodeGoStruct(SIGNATURE_STRUCT, node, what);
  const header =
    node.kind === 'object'
      ? node.members.findLast((m) => m.key.toLowerCase() === 'header')?.value
      : undefined;
  if (header?.kind !== 'object') return invalid(`${what} has no header object`);
  const parsed = JSON.parse(utf8.decode(rawBytes(header))) as Schema1Signature['header'];
  if (typeof parsed.alg !== 'string') invalid(`${what} header has no alg`);
  return { header: parsed, protected: protectedHeader as string, signature: signature as string };
}

/** `formatLength` and decoded `formatTail` of a protected header. */
function payloadFormat(signature: Schema1Signature, index: number): [number, Uint8Array] {
  const what = `protected header of signature ${index}`;
  const json = decodeBase64Url(signature.protected, what);
  const header = decodeGoStruct(PROTECTED_STRUCT, parseGoJson(json, what), what);
  const tail = decodeBase64Url(header.formatTail as string, `formatTail of signature ${index}`);
  return [Number(header.formatLength), tail];
}

function signedPayload(document: Uint8Array, signatures: Schema1Signature[]): Uint8Array {
  const formats = signatures.map(payloadFormat);
  const [length, tail] = formats[0]!;
  if (length < 0 || length > document.length) invalid(`formatLength ${length} is out of range`);
  for (const [otherLength, otherTail] of formats.slice(1)) {
    if (otherLength !== length || Buffer.compare(otherTail, tail) !== 0)
      invalid('signatures disagree on the signed payload');
  }
  const payload = new Uint8Array(length + tail.length);
  payload.set(document.subarray(0, length));
  payload.set(tail, length);
  return payload;
}

/**
 * Parse a schema1 manifest document. A document without `signatures` is its own payload; a
 * malformed `signatures` section is an error (Docker 1.8.3 fell back to the whole document).
 */
export function parseSchema1Manifest(document: Uint8Array): ParsedSchema1 {
  const root = parseGoJson(document, 'schema1 manifest');
  if (root.kind !== 'object') return invalid('not a JSON object');
  const section = root.members.findLast((m) => m.key === 'signatures')?.value;
  let signatures: Schema1Signature[] = [];
  let payload = document;
  if (section !== undefined) {
    if (section.kind !== 'array' || section.items.length === 0)
      return invalid('signatures must be a non-empty array');
    signatures = section.items.map(parseSignature);
    payload = signedPayload(document, signatures);
  }
  const decoded = decodeGoStruct(
    MANIFEST_STRUCT,
    parseGoJson(payload, 'schema1 payload'),
    'schema1 payload',
  );
  const manifest = {
    ...decoded,
    schemaVersion: Number(decoded.schemaVersion),
  } as unknown as Schema1Manifest;
  manifest.fsLayers ??= [];
  manifest.history ??= [];
  const digest = digestOf('sha256', createHash('sha256').update(payload).digest('hex'));
  return { manifest, payload, digest, signatures };
}

/**
 * The checks of a schema1 pull (§3.1): schema version 1, one history entry per layer, at least
 * one layer, valid blob digests, and — when given — the expected repository name and tag.
 */
export function checkSchema1Manifest(
  manifest: Schema1Manifest,
  expected: { name?: string; tag?: string } = {},
): void {
  if (manifest.schemaVersion !== 1) invalid(`unsupported schema version ${manifest.schemaVersion}`);
  if (manifest.fsLayers.length !== manifest.history.length)
    invalid(`${manifest.fsLayers.length} fsLayers but ${manifest.history.length} history entries`);
  if (manifest.fsLayers.length === 0) invalid('no fsLayers');
  for (const { blobSum } of manifest.fsLayers) parseDigest(blobSum);
  if (expected.name !== undefined && manifest.name !== expected.name)
    invalid(`name ${JSON.stringify(manifest.name)} is not ${JSON.stringify(expected.name)}`);
  if (expected.tag !== undefined && manifest.tag !== expected.tag)
    invalid(`tag ${JSON.stringify(manifest.tag)} is not ${JSON.stringify(expected.tag)}`);
}

/** Throw ERR_DIGEST_MISMATCH unless the manifest's payload digest is `expected` (pull by digest). */
export function verifySchema1Digest(parsed: ParsedSchema1, expected: Digest): void {
  if (parsed.digest !== expected) {
    throw new ShaleError(
      'ERR_DIGEST_MISMATCH',
      `schema1 manifest digest is ${parsed.digest}, expected ${expected}`,
    );
  }
}
