/**
 * What one image writer added to the store (blobs, layer records): the candidates a failed write
 * takes away again, unless an image or another running writer uses them (gc.ts).
 */
import type { Digest } from '../core/digest.ts';

export class Additions {
  readonly blobs: Digest[] = [];
  readonly layers: Digest[] = [];
}
