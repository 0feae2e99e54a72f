/** OCI image layout directories: loading (saving comes with the formats issue). */
export { loadOciLayout, type LoadOptions, type LoadedImage } from './load.ts';
export { referenceForEntry } from './names.ts';
