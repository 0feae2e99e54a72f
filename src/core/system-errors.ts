/**
 * The one place where failures that are not ShaleErrors — `errno` errors from the file system and
 * sockets, undici's `UND_ERR_*` and the HTTP parser's `HPE_*` — become ShaleErrors whose message
 * says what went wrong and what to do. `toShaleError` is what the CLI applies to anything thrown;
 * `describeNetworkFailure` is what the registry transport says about a connection to a host.
 */
import { ShaleError, type ErrorCode } from './errors.ts';

interface CodedError extends Error {
  code?: string;
  syscall?: string;
  path?: string;
}

/**
 * What a connection failure means: a sentence, and how far the exchange got — the host was not
 * reached, it was reached but its answer stalled or broke off, or it answered with broken HTTP.
 */
export interface NetworkFailure {
  reason: string;
  kind: 'unreachable' | 'broke-off' | 'bad-answer';
}

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'the connection was reset',
  ECONNABORTED: 'the connection was aborted',
  EPIPE: 'the connection closed while sending',
  ETIMEDOUT: 'the connection timed out',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name could not be resolved (DNS failed)',
  EHOSTUNREACH: 'no route to the host',
  ENETUNREACH: 'the network is unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'the connection timed out',
  UND_ERR_CLOSED: 'the connection closed',
};

const BROKE_OFF_REASONS: Record<string, string> = {
  UND_ERR_HEADERS_TIMEOUT: 'no answer arrived within the read timeout',
  UND_ERR_BODY_TIMEOUT: 'the answer stalled (no data within the read timeout)',
  UND_ERR_SOCKET: 'the connection closed before the whole answer arrived',
};

const BAD_ANSWER_REASONS: Record<string, string> = {
  UND_ERR_HEADERS_OVERFLOW: 'its answer carried oversized headers',
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: 'its answer did not match its Content-Length',
  UND_ERR_RES_EXCEEDED_MAX_SIZE: 'its answer was larger than allowed',
};

function codeOf(err: unknown): string | undefined {
  for (let e = err; e instanceof Error; e = e.cause) {
    const code = (e as CodedError).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/** What a failed connection means, or undefined when `err` is not a network failure. */
export function describeNetworkFailure(err: unknown): NetworkFailure | undefined {
  const code = codeOf(err);
  if (code === undefined) return undefined;
  if (code in BAD_ANSWER_REASONS) return { reason: BAD_ANSWER_REASONS[code]!, kind: 'bad-answer' };
  if (code.startsWith('HPE_')) {
    return { reason: `its answer is not valid HTTP (${code})`, kind: 'bad-answer' };
  }
  if (code in BROKE_OFF_REASONS) return { reason: BROKE_OFF_REASONS[code]!, kind: 'broke-off' };
  if (code in NETWORK_REASONS) return { reason: NETWORK_REASONS[code]!, kind: 'unreachable' };
  if (code.startsWith('UND_ERR_') || /CERT|TLS|SSL/.test(code)) {
    return { reason: `${(err as Error).message} (${code})`, kind: 'unreachable' };
  }
  return undefined;
}

const PERMISSIONS_HINT = 'check the permissions of the store (--root) and of the paths given';

const FILE_FAILURES: Record<string, { what: string; hint: string; code?: ErrorCode }> = {
  ENOSPC: { what: 'no space left on the device', hint: 'free some space and try again' },
  EDQUOT: { what: 'disk quota exceeded', hint: 'free some space and try again' },
  EFBIG: { what: 'the file is too large for its file system', hint: 'write it elsewhere' },
  EACCES: { what: 'permission denied', hint: PERMISSIONS_HINT },
  EPERM: { what: 'operation not permitted', hint: PERMISSIONS_HINT },
  EROFS: { what: 'read-only file system', hint: 'use a writable location' },
  EMFILE: {
    what: 'too many open files',
    hint: 'raise the limit (ulimit -n) or lower --concurrency',
  },
  ENFILE: { what: 'too many open files in the system', hint: 'close other programs and retry' },
  EIO: { what: 'input/output error', hint: 'check the disk' },
  ENOENT: { what: 'no such file or directory', hint: 'check the path', code: 'ERR_NOT_FOUND' },
  ENOTDIR: { what: 'not a directory', hint: 'check the path' },
  EISDIR: { what: 'it is a directory', hint: 'give a file' },
  EEXIST: { what: 'it already exists', hint: 'give a path that does not exist yet' },
  ENOTEMPTY: { what: 'the directory is not empty', hint: 'give an empty directory' },
  ELOOP: { what: 'too many levels of symbolic links', hint: 'check the path' },
  ENAMETOOLONG: { what: 'file name too long', hint: 'use a shorter path' },
  ENXIO: { what: 'no such device, or no reader at the other end', hint: 'check the path' },
  EBUSY: { what: 'it is busy', hint: 'retry when it is no longer in use' },
  ETXTBSY: { what: 'it is busy', hint: 'retry when it is no longer in use' },
  EXDEV: { what: 'it is on another file system', hint: 'use a path on the same file system' },
};

/** What a failed system call was doing, as the verb of "cannot … PATH". */
const ACTIONS: Record<string, string> = {
  open: 'open',
  read: 'read',
  write: 'write',
  fsync: 'write',
  close: 'close',
  stat: 'access',
  lstat: 'access',
  fstat: 'access',
  access: 'access',
  scandir: 'list',
  opendir: 'list',
  mkdir: 'create',
  mkdtemp: 'create',
  rename: 'rename',
  unlink: 'remove',
  rmdir: 'remove',
  rm: 'remove',
  copyfile: 'copy',
  link: 'link',
  symlink: 'create',
  readlink: 'read',
  realpath: 'resolve',
  chmod: 'change',
  chown: 'change',
  lchown: 'change',
  utime: 'change',
  lutimes: 'change',
  futime: 'change',
};

interface FileError extends CodedError {
  dest?: string;
}

/** What a failed system call's error means (`permission denied`), or its message when unknown. */
export function systemErrorReason(err: unknown): string {
  const code = (err as CodedError).code;
  const known = code === undefined ? undefined : FILE_FAILURES[code];
  return known ? known.what : String((err as Error).message ?? err);
}

/** `cannot open X: permission denied`, or the failure alone when the error names no path. */
function describeFileFailure(err: FileError, what: string): string {
  const { syscall, path, dest } = err;
  if (path === undefined) return syscall === undefined ? what : `${what} during ${syscall}`;
  const action = (syscall !== undefined && ACTIONS[syscall]) || 'use';
  return `cannot ${action} ${path}${dest === undefined ? '' : ` as ${dest}`}: ${what}`;
}

/** The store a file-system failure happened in, and what was being written there. */
export interface StoreFailureContext {
  root: string;
  /** The user owning the store root, and the user running (for the words of permission denied). */
  ownerUid?: number;
  uid?: number;
  /** What was being written (`blob sha256:…`): failures of path-less writes belong to the store. */
  writing?: string;
  /** The store file it was written to (not a temp file's name), named when permission is denied. */
  file?: string;
  /** How many more bytes the write needed (the expected size minus what is written), if known. */
  neededBytes?: number;
}

const FULL_DISK: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
};

function isInside(root: string, file: string): boolean {
  return file === root || file.startsWith(root.endsWith('/') ? root : `${root}/`);
}

function permissionAdvice({ ownerUid, uid }: StoreFailureContext): string {
  if (ownerUid === undefined || ownerUid === uid) {
    return 'check the permissions of the store, or choose another --root';
  }
  return `the store belongs to uid ${ownerUid}; run as that user or choose another --root`;
}

/**
 * A full disk, a read-only file system or a store owned by someone else, said plainly: for errno
 * errors on a path inside `store.root`, or from writing `store.writing`; undefined otherwise.
 */
export function describeStoreFailure(
  err: unknown,
  store: StoreFailureContext,
): ShaleError | undefined {
  if (!(err instanceof Error)) return undefined;
  const { code, path: file } = err as CodedError;
  const onStore = store.writing !== undefined || (file !== undefined && isInside(store.root, file));
  if (code === undefined || !onStore) return undefined;
  let message: string;
  if (code in FULL_DISK) {
    const needed = store.neededBytes ? `: needed ${store.neededBytes} more bytes` : '';
    const what = store.writing ?? file;
    message = `${FULL_DISK[code]} writing ${what} in ${store.root}${needed} — free some space and try again`;
  } else if (code === 'EROFS') {
    message = `the store ${store.root} is on a read-only file system`;
  } else if (code === 'EACCES' || code === 'EPERM') {
    const denied = store.file ?? file ?? store.root;
    message = `permission denied on ${denied} (${permissionAdvice(store)})`;
  } else {
    return undefined;
  }
  return new ShaleError('ERR_IO', message, { cause: err });
}

/**
 * `err` as a ShaleError: itself when it is one; a message naming the failure, the path and what
 * to do for errno and network errors (in the store's words, `describeStoreFailure`, for a full,
 * read-only or foreign-owned `store`); undefined for anything else (a bug: the CLI shows a stack).
 */
export function toShaleError(err: unknown, store?: StoreFailureContext): ShaleError | undefined {
  if (err instanceof ShaleError) return err;
  if (!(err instanceof Error)) return undefined;
  const inStore = store && describeStoreFailure(err, store);
  if (inStore) return inStore;
  const network = describeNetworkFailure(err);
  if (network) {
    const code = network.kind === 'bad-answer' ? 'ERR_REGISTRY' : 'ERR_NETWORK';
    return new ShaleError(code, `network failure: ${network.reason}`, { cause: err });
  }
  const { code } = err as CodedError;
  const known = code === undefined ? undefined : FILE_FAILURES[code];
  if (known === undefined) return undefined;
  const message = `${describeFileFailure(err, known.what)} — ${known.hint}`;
  return new ShaleError(known.code ?? 'ERR_IO', message, { cause: err });
}
