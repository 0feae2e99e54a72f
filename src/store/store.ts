/** One store root with its parts wired together: content, layers, images and references. */
import { ContentStore } from './content/index.ts';
import { ImageStore } from './images/index.ts';
import { LayerStore } from './layers/index.ts';
import { openStoreLayout, resolveStoreRoot, type StoreLayout } from './layout.ts';
import { ReferenceStore } from './refs/index.ts';

export interface Store {
  layout: StoreLayout;
  content: ContentStore;
  layers: LayerStore;
  images: ImageStore;
  references: ReferenceStore;
}

/** Open (creating when needed) the store at `root`, or at the default root. */
export async function openStore(root?: string): Promise<Store> {
  const layout = await openStoreLayout(resolveStoreRoot(root));
  const content = new ContentStore(layout);
  const layers = new LayerStore(layout, content);
  const images = new ImageStore(layout, content, layers);
  return { layout, content, layers, images, references: new ReferenceStore(layout, images) };
}
