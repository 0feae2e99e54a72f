/**
 * One store root with its parts wired together: content, layers, images, references, snapshots,
 * checkouts, the legacy (v1) ID index and the upload sessions of chunked pushes.
 */
import { CheckoutStore } from './checkouts.ts';
import { ContentStore } from './content/index.ts';
import { ImageStore } from './images/index.ts';
import { LayerStore } from './layers/index.ts';
import { LegacyStore } from './legacy-ids.ts';
import { openStoreLayout, resolveStoreRoot, type StoreLayout } from './layout.ts';
import { ReferenceStore } from './refs/index.ts';
import { SnapshotStore } from './snapshots.ts';
import { UploadSessionStore } from './upload-sessions.ts';

export interface Store {
  layout: StoreLayout;
  content: ContentStore;
  layers: LayerStore;
  images: ImageStore;
  references: ReferenceStore;
  snapshots: SnapshotStore;
  checkouts: CheckoutStore;
  legacy: LegacyStore;
  uploads: UploadSessionStore;
}

/**
 * Open (creating when needed) the store at `root`, or at the default root; an `index.json` left
 * behind by a writer killed mid-change is brought back in line with the references (unless
 * `reconcile` is false: `fsck` looks at the store as it is).
 */
export async function openStore(
  root?: string,
  options: { reconcile?: boolean } = {},
): Promise<Store> {
  const layout = await openStoreLayout(resolveStoreRoot(root));
  const content = new ContentStore(layout);
  const layers = new LayerStore(layout, content);
  const images = new ImageStore(layout, content, layers);
  const references = new ReferenceStore(layout, images, content);
  if (options.reconcile !== false) await references.reconcile();
  return {
    layout,
    content,
    layers,
    images,
    references,
    snapshots: new SnapshotStore(layout, layers),
    checkouts: new CheckoutStore(layout),
    legacy: new LegacyStore(layout),
    uploads: new UploadSessionStore(layout),
  };
}
