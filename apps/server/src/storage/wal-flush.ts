import fs from 'node:fs';
import path from 'node:path';
import { StoreFailed } from '../services/ports.ts';

/** Flushes a SQLite database's write-ahead log to disk; resolves once it is there. */
export type WalFlush = () => Promise<void>;

/** The log could not be flushed: the batch it carried may or may not be on disk. */
export class FlushFailed extends StoreFailed {}

/**
 * The group commit's flush to disk, off the event loop. Under synchronous=FULL a COMMIT in
 * WAL mode writes its frames and then waits in fdatasync() on the WAL file, and since
 * better-sqlite3 is synchronous the whole process waits with it (measured: a fifth of the
 * server's time at 3,000 messages a second, up to 11 ms at a time). The commit writer
 * instead commits its batch with synchronous=NORMAL (the frames reach the OS, not yet the
 * disk), and then this calls fdatasync() on the same file from libuv's thread pool: its
 * commands are acknowledged and published only when that returns, exactly as they would
 * be after a FULL commit, while the event loop goes on reading and deciding meanwhile.
 *
 * fdatasync() flushes the file, whichever descriptor wrote it. The descriptor is checked to
 * still name the WAL at every flush (SQLite keeps the file while a connection is open, but
 * a flush to a file that is no longer the WAL would be a silent loss), and the directory is
 * flushed once a WAL is first opened here, so that the file itself is on disk. A failed
 * flush leaves what the disk holds unknown (Linux may drop the pages it could not write):
 * that batch fails, and so does every flush after it, until the server is restarted.
 */
export function walFlusher(databaseFile: string): { readonly flush: WalFlush; close(): Promise<void> } {
  const file = `${databaseFile}-wal`;
  let fd: number | null = null;
  /** The inode `fd` names (a descriptor never changes file, so this is read once, at open). */
  let fdIno = -1;
  let failed: Error | null = null;
  let inFlight: Promise<void> = Promise.resolve();

  const open = (): number => {
    if (fd !== null && fdIno === fs.statSync(file).ino) return fd;
    if (fd !== null) fs.closeSync(fd);
    fd = null;
    const opened = fs.openSync(file, 'r');
    try {
      fdIno = fs.fstatSync(opened).ino;
      const dir = fs.openSync(path.dirname(file), 'r');
      try {
        fs.fsyncSync(dir);
      } finally {
        fs.closeSync(dir);
      }
    } catch (e) {
      fs.closeSync(opened);
      throw e;
    }
    return (fd = opened);
  };

  const flushNow = (): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      if (failed) return reject(failed);
      let target: number;
      try {
        target = open();
      } catch (e) {
        return reject(e instanceof Error ? e : new Error(String(e)));
      }
      fs.fdatasync(target, (err) => {
        if (!err) return resolve();
        failed = new FlushFailed(`The store could not flush its log to disk (${err.code ?? err.message}); what was not acknowledged may be lost. Restart the server.`);
        reject(failed);
      });
    });

  // One fdatasync at a time (on this machine's virtual disk each costs 100-200 us of CPU,
  // mostly in the kernel): a flush asked for while one runs waits for it to end and then
  // shares the next one with every other flush asked for meanwhile. Only a flush that
  // starts after a batch was written covers that batch, so none is answered by the one
  // already running.
  let running: Promise<void> | null = null;
  let queued: Promise<void> | null = null;
  const flush = (): Promise<void> => {
    if (!running) {
      const p = flushNow();
      running = p;
      const done = (): void => {
        if (running === p) running = null;
      };
      p.then(done, done);
      return p;
    }
    queued ??= running
      .catch(() => undefined)
      .then(() => {
        queued = null;
        return flush();
      });
    return queued;
  };

  return {
    flush() {
      const p = flush();
      inFlight = p.catch(() => undefined);
      return p;
    },
    async close() {
      failed ??= new FlushFailed('The store is closed.');
      await inFlight; // a flush still running keeps its descriptor until it returns
      if (fd !== null) fs.closeSync(fd);
      fd = null;
    },
  };
}
