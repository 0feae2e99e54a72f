/**
 * Referrers in an OCI image layout, kept as oras keeps them: each artifact manifest is an entry of
 * `index.json` (by digest, without a name) whose manifest's `subject` names the manifest it refers
 * to. Reading: every OCI manifest the index lists is read once, and grouped by subject. Writing:
 * the entry for an artifact is its referrers descriptor without a name.
 */
import type { Digest } from '../../core/digest.ts';
import { parseImageManifest, type ManifestDescriptor } from '../../core/manifest.ts';
import { Annotations, MediaTypes } from '../../core/media-types.ts';
import { referrerDescriptor, type ReferrerDescriptor } from '../../registry/index.ts';

/** The referrers of each subject among a layout's entries, read on the first question. */
export class LayoutReferrers {
  #bySubject: Promise<Map<Digest, ReferrerDescriptor[]>> | undefined;

  constructor(
    private readonly entries: () => Promise<ManifestDescriptor[]>,
    private readonly readManifest: (entry: ManifestDescriptor) => Promise<Buffer>,
  ) {}

  async of(subject: Digest): Promise<ReferrerDescriptor[]> {
    return (await (this.#bySubject ??= this.#group())).get(subject) ?? [];
  }

  async #group(): Promise<Map<Digest, ReferrerDescriptor[]>> {
    const bySubject = new Map<Digest, ReferrerDescriptor[]>();
    const seen = new Set<Digest>();
    for (const entry of await this.entries()) {
      if (entry.mediaType !== MediaTypes.ociManifest || seen.has(entry.digest)) continue;
      seen.add(entry.digest);
      const manifest = parseImageManifest(await this.readManifest(entry));
      const subject = (manifest.subject as { digest?: unknown } | undefined)?.digest;
      if (typeof subject !== 'string') continue;
      const listed = bySubject.get(subject as Digest) ?? [];
      listed.push(referrerDescriptor(entry.digest, entry.size, manifest));
      bySubject.set(subject as Digest, listed);
    }
    return bySubject;
  }
}

/** The `index.json` entry for an artifact: its descriptor, without a name. */
export function layoutReferrerEntry(descriptor: ReferrerDescriptor): ManifestDescriptor {
  const { annotations, ...rest } = descriptor;
  const kept = Object.entries(annotations ?? {}).filter(([key]) => key !== Annotations.refName);
  return { ...rest, ...(kept.length > 0 && { annotations: Object.fromEntries(kept) }) };
}
