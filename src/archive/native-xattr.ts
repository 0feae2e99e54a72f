/**
 * The optional native xattr module (`@napi-rs/xattr`, l*xattr calls: never follows symlinks),
 * loaded once; null when it is missing or SHALE_NO_NATIVE_XATTR=1 asks for the setfattr/getfattr
 * fallbacks. It takes string paths, so callers use it only for paths that are valid UTF-8.
 */
import { createRequire } from 'node:module';

export interface NativeXattr {
  getAttributeSync(path: string, name: string): Buffer | null;
  listAttributesSync(path: string): string[];
  setAttributeSync(path: string, name: string, value: Uint8Array | string): void;
}

let native: NativeXattr | null | undefined;

export function loadNativeXattr(): NativeXattr | null {
  if (native !== undefined) return native;
  native = null;
  if (process.env.SHALE_NO_NATIVE_XATTR !== '1') {
    try {
      native = createRequire(import.meta.url)('@napi-rs/xattr') as NativeXattr;
    } catch {
      native = null;
    }
  }
  return native;
}

/** UTF-8 text for `bytes` when it round-trips exactly, else null. */
export function asUtf8(bytes: Buffer): string | null {
  const text = bytes.toString('utf8');
  return Buffer.from(text, 'utf8').equals(bytes) ? text : null;
}
