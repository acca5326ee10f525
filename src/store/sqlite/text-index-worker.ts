/**
 * Worker thread of `LogTextIndex`: builds the text index file from the logs, one chunk per request,
 * and checkpoints the main file's WAL in between.
 */
import { DatabaseSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';
import { attachText, indexChunk } from './text-index.ts';

const CHECKPOINT_EVERY_MS = 100;

const { mainPath, textPath, sync } = workerData as { mainPath: string; textPath: string; sync: 'normal' | 'full' };
const db = new DatabaseSync(mainPath);
db.exec('PRAGMA busy_timeout = 10000');
db.exec('PRAGMA cache_size = -16384');
attachText(db, textPath, false);
db.exec(`PRAGMA txt.synchronous = ${sync === 'full' ? 'FULL' : 'NORMAL'}`);
db.exec('PRAGMA txt.wal_autocheckpoint = 10000');
// Copies the main file's WAL back into the database here, on this thread, so that the writer's
// commits rarely pay for it (ADR 19). PASSIVE never blocks the writer; a busy or failed pass is
// retried at the next tick, and the writer's own autocheckpoint stays as a backstop.
const checkpoints = setInterval(() => {
  try {
    db.exec('PRAGMA main.wal_checkpoint(PASSIVE)');
  } catch {
    // Busy (another checkpoint runs) or I/O trouble: the next tick or the writer's backstop retries.
  }
}, CHECKPOINT_EVERY_MS);

parentPort!.on('message', (m: { id: number; maxRows: number } | { close: true }) => {
  if ('close' in m) {
    // Checkpoints the index's WAL and lets the thread end.
    clearInterval(checkpoints);
    db.close();
    parentPort!.close();
    return;
  }
  try {
    parentPort!.postMessage({ id: m.id, n: indexChunk(db, m.maxRows) });
  } catch (err) {
    parentPort!.postMessage({ id: m.id, error: (err as Error).message });
  }
});
