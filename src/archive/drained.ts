/**
 * Waiting for a writable stream to take more: resolves on 'drain' or 'close', rejects on 'error',
 * and removes all three listeners whichever comes first. (Racing `events.once` for 'drain' and
 * for 'close' left the loser's listeners behind on every wait: a long save piled them up until
 * Node warned MaxListenersExceededWarning.)
 */
import type { Writable } from 'node:stream';

export function drained(stream: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const settle = (err?: Error): void => {
      stream.off('drain', onDrain);
      stream.off('close', onDrain);
      stream.off('error', settle);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = (): void => settle();
    stream.on('drain', onDrain);
    stream.on('close', onDrain);
    stream.on('error', settle);
  });
}
