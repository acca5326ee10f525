/** Sightline's own version, from package.json (beside `src/` from the clone, beside `dist/` when installed). */
import { readFileSync } from 'node:fs';

export const SIGHTLINE_VERSION: string = (() => {
  try {
    return JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;
  } catch {
    return '0.0.0';
  }
})();
