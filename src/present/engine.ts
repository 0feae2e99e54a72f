/**
 * Images in the Engine API's shapes (what dockerd answers on `/images/json`, `/images/{name}/json`,
 * `/images/{name}/history` and `DELETE /images/{name}`), made from the same descriptions the CLI
 * prints, so `docker images` through `shale serve` and `shale images` show the same values.
 */
import type { RemoveResult } from '../store/index.ts';
import { familiarString, parseDockerRef } from '../core/index.ts';
import type { HistoryItem, ImageInspect } from './describe.ts';

/** An image as `GET /images/json` lists it. */
export interface EngineImageSummary {
  Id: string;
  ParentId: string;
  RepoTags: string[];
  RepoDigests: string[];
  /** Seconds since the epoch. */
  Created: number;
  Size: number;
  SharedSize: number;
  VirtualSize: number;
  Labels: Record<string, string>;
  Containers: number;
}

const seconds = (time: string): number => Math.floor((Date.parse(time) || 0) / 1000);

export function engineImageSummary(image: ImageInspect): EngineImageSummary {
  return {
    Id: image.Id,
    ParentId: image.Parent,
    RepoTags: image.RepoTags,
    RepoDigests: image.RepoDigests,
    Created: seconds(image.Created),
    Size: image.Size,
    SharedSize: -1,
    VirtualSize: image.Size,
    Labels: image.Config?.Labels ?? {},
    Containers: -1,
  };
}

/** `GET /images/{name}/json`: docker's keys, without shale's own `LegacyIds`. */
export function engineImageInspect(image: ImageInspect): Omit<ImageInspect, 'LegacyIds'> {
  const { LegacyIds: _legacy, ...inspect } = image;
  return inspect;
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

/** What a removal did, in the order and words `docker rmi` and `DELETE /images/{name}` give. */
export function removalReport(
  result: RemoveResult,
): ({ Untagged: string } | { Deleted: string })[] {
  return [
    ...result.untagged.map((ref) => ({ Untagged: familiarString(parseDockerRef(ref)) })),
    ...result.deleted.flatMap(({ id, layers }) => [id, ...layers].map((d) => ({ Deleted: d }))),
  ];
}
