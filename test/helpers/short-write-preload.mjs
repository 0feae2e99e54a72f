// Preload (`node --import <this file>`) that makes one write short: the first write or writev of
// at least SHALE_TEST_SHORT_WRITE_MIN bytes (default 64 KiB) really writes only half of what it
// was asked and says so in its result, as a full disk or a signal can make the kernel do. It wraps
// fs.write/fs.writev/fs.writeSync and the FileHandle write/writev of fs/promises, then syncs the ESM exports so
// `import { write } from 'node:fs'` sees the wrapper. Each injection is appended as a line to
// SHALE_TEST_SHORT_WRITE_LOG, so a test can prove it happened.
import { appendFileSync } from 'node:fs';
import fs from 'node:fs';
import { open } from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';

const min = Number(process.env.SHALE_TEST_SHORT_WRITE_MIN ?? 64 * 1024);
const log = process.env.SHALE_TEST_SHORT_WRITE_LOG;
let injected = false;

/** Half the bytes, when this write is the one to make short; undefined otherwise. */
function shortLength(asked) {
  if (injected || asked < min) return undefined;
  injected = true;
  const kept = Math.floor(asked / 2);
  if (log) appendFileSync(log, `asked ${asked} wrote ${kept}\n`);
  return kept;
}

/** The first `bytes` bytes of `buffers`. */
function firstBytes(buffers, bytes) {
  const kept = [];
  let left = bytes;
  for (const buffer of buffers) {
    if (left === 0) break;
    const part = buffer.subarray(0, Math.min(left, buffer.length));
    kept.push(part);
    left -= part.length;
  }
  return kept;
}

const total = (buffers) => buffers.reduce((sum, b) => sum + b.byteLength, 0);

const proto = await open(process.execPath, 'r').then(async (handle) => {
  const found = Object.getPrototypeOf(handle);
  await handle.close();
  return found;
});

const handleWritev = proto.writev;
proto.writev = async function writev(buffers, position) {
  const kept = shortLength(total(buffers));
  if (kept === undefined) return handleWritev.call(this, buffers, position);
  const { bytesWritten } = await handleWritev.call(this, firstBytes(buffers, kept), position);
  return { bytesWritten, buffers };
};

const handleWrite = proto.write;
proto.write = async function write(buffer, ...rest) {
  // Only the plain form `write(buffer)` is shortened; the others pass through.
  const kept = ArrayBuffer.isView(buffer) && rest.length === 0 && shortLength(buffer.byteLength);
  if (!kept) return handleWrite.call(this, buffer, ...rest);
  const { bytesWritten } = await handleWrite.call(this, buffer.subarray(0, kept));
  return { bytesWritten, buffer };
};

const fsWrite = fs.write;
fs.write = function write(fd, buffer, offset, length, position, callback) {
  // The form (fd, buffer, offset, length, position, callback) that write streams use.
  const full = ArrayBuffer.isView(buffer) && typeof callback === 'function';
  const kept = full && shortLength(length);
  if (!kept) return fsWrite.apply(this, arguments);
  return fsWrite.call(this, fd, buffer, offset, kept, position, callback);
};

const fsWritev = fs.writev;
fs.writev = function writev(fd, buffers, position, callback) {
  const kept = typeof callback === 'function' && shortLength(total(buffers));
  if (!kept) return fsWritev.apply(this, arguments);
  const answer = (err, bytesWritten) => callback(err, bytesWritten, buffers);
  return fsWritev.call(this, fd, firstBytes(buffers, kept), position, answer);
};

const fsWriteSync = fs.writeSync;
fs.writeSync = function writeSync(fd, buffer, offset, length, ...rest) {
  // The form (fd, buffer, offset, length[, position]) that writes on the caller's thread use.
  const full = ArrayBuffer.isView(buffer) && typeof length === 'number';
  const kept = full && shortLength(length);
  if (!kept) return fsWriteSync.apply(this, arguments);
  return fsWriteSync.call(this, fd, buffer, offset, kept, ...rest);
};

syncBuiltinESMExports();
