/** oci-archive (a tarred OCI image layout) and oci-dir: writing, and staging loads of archives. */
export { writeOciLayout } from './write.ts';
export { stageOciArchive } from './load.ts';
