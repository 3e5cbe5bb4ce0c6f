// The SQLite checkpoint thread (see startCheckpointer in db.ts). Plain JavaScript so that
// it loads without a TypeScript loader. It owns one connection to the store's file and
// copies committed WAL frames into the database file every `intervalMs`, in PASSIVE mode:
// it never blocks a writer or a reader, and its I/O and fsyncs happen on this thread.
//
// PASSIVE alone does not keep the WAL small under a steady stream of writes: SQLite starts
// the WAL over only when a write begins after a checkpoint that copied every frame, and a
// checkpoint that takes milliseconds rarely finishes between two batches. So, when the WAL
// has grown past `resetFrames` and no reset happened for `resetMs`, this thread asks the
// server to hold its writes ('hold'), copies the few frames written since its last run,
// and lets the writes go on ('release'): the next one starts the WAL over.
import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import SQLite from 'better-sqlite3';

// Copying the WAL is background work: it yields the CPU to the thread that serves requests
// (measured on two cores, the server pinned to one: 1,000 cases 19-23k -> 24-26k deliveries/s,
// p99 19-25 -> 17-20 ms). On Linux a priority set with pid 0 is this thread's alone; other
// systems would lower the whole process, so there it is left as it is.
if (process.platform === 'linux') {
  try {
    os.setPriority(0, 10);
  } catch {
    // not allowed here: the default priority
  }
}
const db = new SQLite(workerData.file);
db.pragma('busy_timeout = 1000');
db.pragma('wal_autocheckpoint = 0');
// A checkpoint flushes the WAL before copying it and the database file before counting the
// frames as copied: only then may a writer start the WAL over. That takes NORMAL or more on
// this connection; said here rather than left to the build's default.
db.pragma('synchronous = FULL');

const checkpoint = () => {
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    return r ?? null;
  } catch {
    return null; // busy or interrupted: the next round copies what this one could not
  }
};

let lastReset = Date.now();
let holding = false;
const round = () => {
  if (holding) return;
  const r = checkpoint();
  if (r && r.log > workerData.resetFrames && Date.now() - lastReset >= workerData.resetMs) {
    holding = true;
    lastReset = Date.now(); // at most one hold per resetMs, whether or not it manages the reset
    parentPort.postMessage({ t: 'hold' });
  }
};
const timer = setInterval(round, workerData.intervalMs);

parentPort.on('message', (m) => {
  if (m === 'close') {
    clearInterval(timer);
    checkpoint();
    db.close();
    parentPort.close();
  } else if (m === 'truncate') {
    // Everything copied and the WAL file cut to nothing: after a case's content was destroyed
    // (C11), no old frame of it stays in the WAL. Waits for writers (busy_timeout) as needed.
    // PASSIVE passes first, which block nobody, so that the TRUNCATE (which holds the write
    // lock while it copies) finds next to nothing left to copy.
    for (let i = 0; i < 3; i++) {
      const r = checkpoint();
      if (!r || r.log === r.checkpointed) break;
    }
    let ok = false;
    try {
      const [r] = db.pragma('wal_checkpoint(TRUNCATE)');
      ok = r?.busy === 0;
    } catch {
      ok = false;
    }
    parentPort.postMessage({ t: 'truncated', ok });
  } else if (m === 'held') {
    const r = checkpoint();
    holding = false;
    parentPort.postMessage({ t: 'release', log: r?.log ?? -1, checkpointed: r?.checkpointed ?? -1 });
  }
});
