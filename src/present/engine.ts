/**
 * Images in the Engine API's shapes (what dockerd answers on `/images/json`, `/images/{name}/json`,
 * `/images/{name}/history`, `DELETE /images/{name}` and `POST /images/prune`), made from the same
 * descriptions the CLI prints, so `docker images` through `shale serve` and `shale images` show
 * the same values. Keys dockerd dropped in later API versions are given to the clients that asked
 * for an older one (`VirtualSize` before 1.44, `Container`/`ContainerConfig` before 1.45,
 * `<none>:<none>` for an unnamed image before 1.43).
 */
import type { PrunedImage, RemoveResult } from '../store/index.ts';
import { familiarString, parseDockerRef } from '../core/index.ts';
import type { HistoryItem, ImageInspect } from './describe.ts';

/** Whether the Engine API version `version` is older than `than` (both `major.minor`). */
export function apiVersionBefore(version: string, than: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const [thanMajor = 0, thanMinor = 0] = than.split('.').map(Number);
  return major < thanMajor || (major === thanMajor && minor < thanMinor);
}

/** An image as `GET /images/json` lists it. */
export interface EngineImageSummary {
  Id: string;
  ParentId: string;
  RepoTags: string[];
  RepoDigests: string[];
  /** Seconds since the epoch. */
  Created: number;
  Size: number;
  /** The sizes of its layers other listed images use too; -1 when not asked for. */
  SharedSize: number;
  /** Before API 1.44 only. */
  VirtualSize?: number;
  Labels: Record<string, string>;
  /** -1: not counted (dockerd counts only when asked, and shale runs no containers). */
  Containers: number;
}

const seconds = (time: string): number => Math.floor((Date.parse(time) || 0) / 1000);

export function engineImageSummary(
  image: ImageInspect,
  version: string,
  sharedSize = -1,
): EngineImageSummary {
  const unnamed = image.RepoTags.length === 0 && image.RepoDigests.length === 0;
  const none = unnamed && apiVersionBefore(version, '1.43');
  return {
    Id: image.Id,
    ParentId: image.Parent,
    RepoTags: none ? ['<none>:<none>'] : image.RepoTags,
    RepoDigests: none ? ['<none>@<none>'] : image.RepoDigests,
    Created: seconds(image.Created),
    Size: image.Size,
    SharedSize: sharedSize,
    ...(apiVersionBefore(version, '1.44') && { VirtualSize: image.Size }),
    Labels: image.Config?.Labels ?? {},
    Containers: -1,
  };
}

export type EngineImageInspect = Omit<
  ImageInspect,
  'LegacyIds' | 'VirtualSize' | 'Container' | 'ContainerConfig'
> &
  Partial<Pick<ImageInspect, 'VirtualSize' | 'Container' | 'ContainerConfig'>>;

/** `GET /images/{name}/json`: docker's keys for `version`, without shale's own `LegacyIds`. */
export function engineImageInspect(image: ImageInspect, version: string): EngineImageInspect {
  const dropped = new Set([
    'LegacyIds',
    ...(apiVersionBefore(version, '1.45') ? [] : ['Container', 'ContainerConfig']),
    ...(apiVersionBefore(version, '1.44') ? [] : ['VirtualSize']),
  ]);
  // kept in dockerd's key order
  return Object.fromEntries(
    Object.entries(image).filter(([key]) => !dropped.has(key)),
  ) as EngineImageInspect;
}

/** A step as `GET /images/{name}/history` lists it. */
export interface EngineHistoryItem {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  Size: number;
  Comment: string;
}

/** History steps with the tags of the images they name (`tagsOf` an image ID, familiar form). */
export function engineHistory(
  items: readonly HistoryItem[],
  tagsOf: (id: string) => string[],
): EngineHistoryItem[] {
  return items.map((item) => {
    const tags = item.Id === '<missing>' ? [] : tagsOf(item.Id);
    return {
      Id: item.Id,
      Created: seconds(item.Created),
      CreatedBy: item.CreatedBy,
      Tags: tags.length > 0 ? tags : null,
      Size: item.Size,
      Comment: item.Comment,
    };
  });
}

/** One line of a removal's report: a reference that went, or an image or layer deleted. */
export type RemovalItem = { Untagged: string } | { Deleted: string };

function removalItems(
  untagged: readonly string[],
  deleted: readonly { id: string; layers: readonly string[] }[],
): RemovalItem[] {
  return [
    ...untagged.map((ref) => ({ Untagged: familiarString(parseDockerRef(ref)) })),
    ...deleted.flatMap(({ id, layers }) => [id, ...layers].map((d) => ({ Deleted: d }))),
  ];
}

/** What a removal did, in the order and words `docker rmi` and `DELETE /images/{name}` give. */
export function removalReport(result: RemoveResult): RemovalItem[] {
  return removalItems(result.untagged, result.deleted);
}

/** What a prune removed, image by image, as `POST /images/prune` lists it in `ImagesDeleted`. */
export function pruneReport(removed: readonly PrunedImage[]): RemovalItem[] {
  return removed.flatMap((image) => removalItems(image.untagged, [image]));
}
