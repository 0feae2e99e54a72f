/**
 * What tells one version of a file from another without reading it: its inode, size and times.
 * Store files are only ever replaced by a rename, so an unchanged stamp means unchanged content
 * (what the references parse and the server's image descriptions are kept by).
 */
import type { Stats } from 'node:fs';

export function fileStamp(st: Stats): string {
  return `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
}
