/**
 * TarSum versions, hash names and checksum labels (`tarsum.v1+sha256:<hex>`): building them and
 * the reverse lookups upstream offers (spec §1.1).
 */
import { ShaleError } from '../../core/errors.ts';

export type TarsumVersion = 'v0' | 'v1' | 'dev';

/** Which upstream behaviour to reproduce: Docker 1.6–1.8 (Go 1.4), or moby 2018+ (Go 1.11+). */
export type TarsumVariant = '2015' | '2018';

const LABELS: Record<TarsumVersion, string> = { v0: 'tarsum', v1: 'tarsum.v1', dev: 'tarsum.dev' };
const LABEL_HASHES = new Set(['sha256', 'sha512']);

export function versionLabel(version: TarsumVersion): string {
  return LABELS[version];
}

function versionOfLabel(label: string): TarsumVersion | undefined {
  for (const [version, text] of Object.entries(LABELS))
    if (text === label) return version as TarsumVersion;
  return undefined;
}

/**
 * Reverse lookup of a label such as `tarsum.v1+sha256` (the part of a checksum before `:`):
 * only the three version labels and the sha256/sha512 hashes are accepted.
 */
export function parseTarsumLabel(label: string): {
  version: TarsumVersion;
  hash: 'sha256' | 'sha512';
} {
  const plus = label.indexOf('+');
  if (plus === -1)
    throw new ShaleError(
      'ERR_INVALID_ARGUMENT',
      `tarsum label ${JSON.stringify(label)} should look like version+hash`,
    );
  const version = versionOfLabel(label.slice(0, plus));
  const hash = label.slice(plus + 1);
  if (!version)
    throw new ShaleError(
      'ERR_INVALID_ARGUMENT',
      `unknown tarsum version in label ${JSON.stringify(label)}`,
    );
  if (!LABEL_HASHES.has(hash))
    throw new ShaleError(
      'ERR_UNSUPPORTED',
      `unsupported tarsum hash ${JSON.stringify(hash)}: use sha256 or sha512`,
    );
  return { version, hash: hash as 'sha256' | 'sha512' };
}

/** Everything before the first `+`, or `''` without one (no validation, as upstream). */
export function versionLabelOfChecksum(checksum: string): string {
  const plus = checksum.indexOf('+');
  return plus === -1 ? '' : checksum.slice(0, plus);
}

/** The version a tarsum string names: `tarsum`, `tarsum.dev+sha256:…` and the like. */
export function versionOfTarsum(text: string): TarsumVersion {
  const plus = text.indexOf('+');
  const version = versionOfLabel(plus === -1 ? text : text.slice(0, plus));
  if (!version)
    throw new ShaleError(
      'ERR_INVALID_ARGUMENT',
      `${JSON.stringify(text)} does not include a TarSum version`,
    );
  return version;
}
