/** One store root with its parts wired together: content, layers and images. */
import { ContentStore } from './content/index.ts';
import { ImageStore } from './images/index.ts';
import { LayerStore } from './layers/index.ts';
import { openStoreLayout, resolveStoreRoot, type StoreLayout } from './layout.ts';

export interface Store {
  layout: StoreLayout;
  content: ContentStore;
  layers: LayerStore;
  images: ImageStore;
}

/** Open (creating when needed) the store at `root`, or at the default root. */
export async function openStore(root?: string): Promise<Store> {
  const layout = await openStoreLayout(resolveStoreRoot(root));
  const content = new ContentStore(layout);
  const layers = new LayerStore(layout, content);
  return { layout, content, layers, images: new ImageStore(layout, content, layers) };
}
