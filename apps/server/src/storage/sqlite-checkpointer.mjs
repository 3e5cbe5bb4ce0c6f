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
//
// A WAL that outgrew `limitBytes` (a burst that left no opening for a reset) is cut back by
// this thread too, and not by the server's connection: SQLite would otherwise shorten the
// file in the first commit after a reset, on the event loop, and a cut from 331 to 128 MB
// took 79.5 ms there. Here the writes are held ('hold' with a longer bound), everything is
// copied and the file cut to nothing (TRUNCATE), and the writes go on. That is done once the
// writes pause (no commit since the last round, everything copied), or, should they never
// pause, after `cutMs` over the limit.
import fs from 'node:fs';
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

const walFile = `${workerData.file}-wal`;
const walSize = () => {
  try {
    return fs.statSync(walFile).size;
  } catch {
    return 0; // no WAL file (yet): nothing to cut
  }
};

let lastReset = Date.now();
let holding = null; // what the pending hold is for: 'reset' or 'cut' (null: none pending)
// Changes whenever another connection (the server's) has committed since the last reading:
// the WAL's length alone cannot tell, since under light writes every batch starts it over
// and leaves it as long as the one before.
const dataVersion = db.prepare('PRAGMA data_version').pluck();
let lastVersion = -1;
let overSince = 0; // when the WAL file was first seen over the limit (0: it is not)
let lastCut = 0;
const round = () => {
  if (holding) return;
  const r = checkpoint();
  if (!r) return;
  const version = dataVersion.get();
  const quiet = version === lastVersion && r.checkpointed === r.log;
  lastVersion = version;
  const now = Date.now();
  if (workerData.limitBytes >= 0 && now - lastCut >= workerData.resetMs) {
    const over = walSize() > workerData.limitBytes;
    if (!over) overSince = 0;
    else if (overSince === 0) overSince = now;
    if (over && (quiet || now - overSince >= workerData.cutMs)) {
      holding = 'cut';
      lastCut = now; // at most one cut per resetMs, whether or not it manages it
      parentPort.postMessage({ t: 'hold', ms: workerData.cutHoldMs });
      return;
    }
  }
  if (r.log > workerData.resetFrames && now - lastReset >= workerData.resetMs) {
    holding = 'reset';
    lastReset = now; // at most one hold per resetMs, whether or not it manages the reset
    parentPort.postMessage({ t: 'hold' });
  }
};

/** Everything copied and the WAL file cut to nothing (false: a reader or writer was in the way). */
const truncate = () => {
  try {
    const [r] = db.pragma('wal_checkpoint(TRUNCATE)');
    return r?.busy === 0;
  } catch {
    return false;
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
    parentPort.postMessage({ t: 'truncated', ok: truncate() });
  } else if (m === 'held') {
    if (holding === 'cut') {
      const ok = truncate();
      // Cut: the file is within its limit again. Not cut (a reader was in the way): the next
      // try waits for a pause, or another `cutMs`, rather than holding the writes every round.
      overSince = ok ? 0 : Date.now();
      holding = null;
      parentPort.postMessage({ t: 'release', cut: ok });
      return;
    }
    const r = checkpoint();
    holding = null;
    parentPort.postMessage({ t: 'release', log: r?.log ?? -1, checkpointed: r?.checkpointed ?? -1 });
  }
});
