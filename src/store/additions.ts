/**
 * What one load or pull added to the store (blobs, layer records), so that a failure before the
 * image is complete can take exactly those away again and leave the store as it was.
 */
import type { Digest } from '../core/digest.ts';
import type { Store } from './store.ts';

export class Additions {
  readonly blobs: Digest[] = [];
  readonly layers: Digest[] = [];

  async undo(store: Store): Promise<void> {
    for (const layer of this.layers.reverse()) {
      await store.snapshots.remove(layer); // a pull --unpack may have built it
      await store.layers.delete(layer);
    }
    for (const blob of this.blobs) await store.layers.removeBlob(blob);
  }
}
