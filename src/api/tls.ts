/**
 * Mutual TLS for `shale serve`'s TCP listeners, as dockerd's `--tlsverify --tlscacert --tlscert
 * --tlskey`: the PEM files read and checked up front (each must hold what its flag names, the key
 * must be the certificate's), and the HTTPS server that requires every client to present a
 * certificate signed by the CA. shale offers no TLS without client certificates: anyone who can
 * reach the port could otherwise drive the store.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ShaleError, systemErrorReason } from '../core/index.ts';

/** The command line's TLS flags, as given. */
export interface TlsFlags {
  tlsverify?: boolean;
  tlscacert?: string;
  tlscert?: string;
  tlskey?: string;
}

/** Checked PEM texts: the CA that signs client certificates, the server's certificate and key. */
export interface MutualTls {
  ca: string;
  cert: string;
  key: string;
}

const FILE_FLAGS = ['tlscacert', 'tlscert', 'tlskey'] as const;

/** More than any certificate chain or key: a larger file is not one. */
const MAX_PEM_BYTES = 1 << 20;

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

function invalid(message: string): ShaleError {
  return new ShaleError('ERR_INVALID_ARGUMENT', message);
}

/** The text of the file a flag names, refused when unreadable or larger than MAX_PEM_BYTES. */
async function readPem(flag: string, file: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of createReadStream(file, { end: MAX_PEM_BYTES })) {
      chunks.push(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
  } catch (err) {
    throw invalid(`${flag} ${file}: cannot read it: ${systemErrorReason(err)}`);
  }
  if (size > MAX_PEM_BYTES) throw invalid(`${flag} ${file}: larger than a PEM file can be`);
  return Buffer.concat(chunks).toString('latin1');
}

/** The certificates of a PEM text, at least one, each one parsed. */
function certificatesOf(flag: string, file: string, pem: string): X509Certificate[] {
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw invalid(`${flag} ${file}: no PEM certificate in it`);
  return blocks.map((block) => {
    try {
      return new X509Certificate(block);
    } catch (err) {
      throw invalid(`${flag} ${file}: not a valid certificate (${(err as Error).message})`);
    }
  });
}

function privateKeyOf(file: string, pem: string): KeyObject {
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(pem))
    throw invalid(`--tlskey ${file}: the key is encrypted; give it unencrypted, as dockerd needs`);
  try {
    return createPrivateKey(pem);
  } catch (err) {
    throw invalid(`--tlskey ${file}: not a PEM private key (${(err as Error).message})`);
  }
}

/**
 * The TLS flags checked and their files loaded: undefined without `--tlsverify` (TCP then stays
 * on loopback); a clear error for a missing flag, a file that cannot be read or does not hold
 * what its flag names, a key that is not the certificate's, or files given without `--tlsverify`.
 */
export async function loadMutualTls(flags: TlsFlags): Promise<MutualTls | undefined> {
  const given = FILE_FLAGS.filter((name) => flags[name] !== undefined);
  const { tlscacert, tlscert, tlskey } = flags;
  if (!flags.tlsverify) {
    if (given.length === 0) return undefined;
    throw invalid(
      `${given.map((name) => `--${name}`).join(', ')} without --tlsverify: shale serves TLS only with client certificates checked against --tlscacert (mutual TLS, as dockerd's --tlsverify); add --tlsverify`,
    );
  }
  if (tlscacert === undefined || tlscert === undefined || tlskey === undefined) {
    const missing = FILE_FLAGS.filter((name) => flags[name] === undefined);
    throw invalid(
      `--tlsverify needs --tlscacert, --tlscert and --tlskey (missing: ${missing.map((name) => `--${name}`).join(', ')})`,
    );
  }
  const ca = await readPem('--tlscacert', tlscacert);
  const cert = await readPem('--tlscert', tlscert);
  const key = await readPem('--tlskey', tlskey);
  certificatesOf('--tlscacert', tlscacert, ca);
  const [serverCertificate] = certificatesOf('--tlscert', tlscert, cert);
  if (!serverCertificate!.checkPrivateKey(privateKeyOf(tlskey, key)))
    throw invalid(`--tlskey ${tlskey} is not the key of the certificate in --tlscert ${tlscert}`);
  return { ca, cert, key };
}

/** An HTTPS server that completes a handshake only with a client certificate `tls.ca` signed. */
export function createMutualTlsServer(
  tls: MutualTls,
  handle: (req: IncomingMessage, res: ServerResponse) => void,
): Server {
  return createServer({ ...tls, requestCert: true, rejectUnauthorized: true }, handle);
}
