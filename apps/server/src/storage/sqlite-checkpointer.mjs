// The SQLite checkpoint thread (see startCheckpointer in db.ts). Plain JavaScript so that
// it loads without a TypeScript loader. It owns one connection to the store's file and
// copies committed WAL frames into the database file every `intervalMs`, in PASSIVE mode:
// it never blocks a writer or a reader, and its I/O and fsyncs happen on this thread.
import { parentPort, workerData } from 'node:worker_threads';
import SQLite from 'better-sqlite3';

const db = new SQLite(workerData.file);
db.pragma('busy_timeout = 1000');
db.pragma('wal_autocheckpoint = 0');

const checkpoint = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy or interrupted: the next round copies what this one could not.
  }
};
const timer = setInterval(checkpoint, workerData.intervalMs);

parentPort.on('message', (m) => {
  if (m === 'close') {
    clearInterval(timer);
    checkpoint();
    db.close();
    parentPort.close();
  }
});
