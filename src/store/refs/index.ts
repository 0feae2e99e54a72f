/** Tags and digest references, mirrored into the OCI layout's index.json. */
export { ReferenceStore } from './reference-store.ts';
