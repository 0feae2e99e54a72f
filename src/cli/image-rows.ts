/**
 * The rows of `shale images` as docker's CLI makes them (docker/cli 20.10
 * `cli/command/formatter/image.go`): one row per tag of each repository (one per tag and digest
 * when digests are shown), a row for a repository known only by digest, `<none>` for an
 * untagged image; each row the fields a `--format` template can name, and the column headers.
 */
import type { ImageSummary } from '../present/index.ts';
import { createdSince, GO_ZERO_TIME, goTimeString, humanSize, unixSeconds } from './format.ts';

export const DEFAULT_IMAGES_FORMAT =
  'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}';
export const DEFAULT_IMAGES_DIGEST_FORMAT =
  'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}';
export const QUIET_FORMAT = '{{.ID}}';

export const IMAGE_HEADERS: Record<string, string> = {
  ID: 'IMAGE ID',
  Repository: 'REPOSITORY',
  Tag: 'TAG',
  Digest: 'DIGEST',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  Size: 'SIZE',
  Containers: 'CONTAINERS',
  VirtualSize: 'SIZE',
  SharedSize: 'SHARED SIZE',
  UniqueSize: 'UNIQUE SIZE',
};

/** The fields of one row, keys in the order docker's `{{json .}}` prints them (sorted). */
export interface ImageRow {
  Containers: string;
  CreatedAt: string;
  CreatedSince: string;
  Digest: string;
  ID: string;
  Repository: string;
  SharedSize: string;
  Size: string;
  Tag: string;
  UniqueSize: string;
  VirtualSize: string;
}

/** docker's TruncateID: the hex without `sha256:`, 12 characters. */
export function truncateId(id: string): string {
  return id.slice(id.indexOf(':') + 1).slice(0, 12);
}

export interface RowOptions {
  /** Full IDs (`--no-trunc`). */
  noTrunc: boolean;
  /** `--digests`: a row per digest, and a row per digest of digest-only repositories. */
  digests: boolean;
  /** The format names `{{.Digest}}`: digests are looked up for tagged rows too. */
  formatNamesDigest: boolean;
  now: number;
}

function row(image: ImageSummary, repo: string, tag: string, digest: string, o: RowOptions) {
  const created = unixSeconds(image.Created);
  // the daemon's containers and shared sizes are not computed for a listing: docker shows N/A
  return {
    Containers: 'N/A',
    CreatedAt: goTimeString(created),
    CreatedSince: created === GO_ZERO_TIME ? '' : createdSince(created, o.now),
    Digest: digest,
    ID: o.noTrunc ? image.Id : truncateId(image.Id),
    Repository: repo,
    SharedSize: 'N/A',
    Size: humanSize(image.Size),
    Tag: tag,
    UniqueSize: 'N/A',
    VirtualSize: humanSize(image.Size, 4),
  } satisfies ImageRow;
}

/** `repo:tag` or `repo@digest` (familiar forms) split at the tag's colon or at the `@`. */
function split(ref: string, at: '@' | ':'): [string, string] {
  const i = at === '@' ? ref.indexOf('@') : ref.lastIndexOf(':');
  return [ref.slice(0, i), ref.slice(i + 1)];
}

function group(refs: string[], at: '@' | ':'): Map<string, string[]> {
  const byRepo = new Map<string, string[]>();
  for (const ref of refs) {
    const [repo, rest] = split(ref, at);
    byRepo.set(repo, [...(byRepo.get(repo) ?? []), rest]);
  }
  return byRepo;
}

/** Every row of `images`, in docker's order (repositories in order of first appearance). */
export function imageRows(images: ImageSummary[], options: RowOptions): ImageRow[] {
  const rows: ImageRow[] = [];
  for (const image of images) {
    if (image.RepoTags.length === 0 && image.RepoDigests.length === 0) {
      rows.push(row(image, '<none>', '<none>', '<none>', options));
      continue;
    }
    const digestsOf = group(image.RepoDigests, '@');
    for (const [repo, tags] of group(image.RepoTags, ':')) {
      const digests =
        options.digests || options.formatNamesDigest ? (digestsOf.get(repo) ?? []) : [];
      digestsOf.delete(repo);
      for (const tag of tags) {
        if (digests.length === 0) rows.push(row(image, repo, tag, '<none>', options));
        for (const digest of digests) rows.push(row(image, repo, tag, digest, options));
      }
    }
    for (const [repo, digests] of digestsOf) {
      if (!options.digests) rows.push(row(image, repo, '<none>', '', options));
      else for (const digest of digests) rows.push(row(image, repo, '<none>', digest, options));
    }
  }
  return rows;
}
