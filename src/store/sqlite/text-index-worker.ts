/** Worker thread of `LogTextIndex`: builds the text index file from the logs, one chunk per request. */
import { DatabaseSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';
import { attachText, indexChunk } from './text-index.ts';

const { mainPath, textPath, sync } = workerData as { mainPath: string; textPath: string; sync: 'normal' | 'full' };
const db = new DatabaseSync(mainPath);
db.exec('PRAGMA busy_timeout = 10000');
db.exec('PRAGMA cache_size = -16384');
attachText(db, textPath, false);
db.exec(`PRAGMA txt.synchronous = ${sync === 'full' ? 'FULL' : 'NORMAL'}`);
db.exec('PRAGMA txt.wal_autocheckpoint = 10000');

parentPort!.on('message', (m: { id: number; maxRows: number } | { close: true }) => {
  if ('close' in m) {
    // Checkpoints the index's WAL and lets the thread end.
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
