/**
 * `--prefect-ui auto`: where the Prefect installed for the `python3` on PATH keeps its built web
 * UIs. Prefect names them in its package (`prefect.__ui_v2_static_path__`, the React UI, the
 * default since 3.8; `prefect.__ui_static_path__`, the Vue UI) and ships both in every wheel, so
 * asking the interpreter finds the build that matches the user's own Prefect.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** What `auto` found: a build folder, or why there is none. Either way `note` is one line for people. */
export type Located = { dir: string; note: string } | { dir: undefined; note: string };

// Prints one JSON line; a missing package is an answer, not a failure.
const PROBE = `
import json, sys
try:
    import prefect
except ImportError as e:
    print(json.dumps({"missing": str(e)}))
    sys.exit(0)
print(json.dumps({
    "version": getattr(prefect, "__version__", "?"),
    "v2": str(getattr(prefect, "__ui_v2_static_path__", "") or ""),
    "v1": str(getattr(prefect, "__ui_static_path__", "") or ""),
}))
`;

/** Importing Prefect takes seconds on a cold, busy machine. */
const PROBE_TIMEOUT_MS = 60_000;

export function locatePrefectUi(python = 'python3'): Located {
  const r = spawnSync(python, ['-c', PROBE], { encoding: 'utf8', timeout: PROBE_TIMEOUT_MS });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? `${python} is not on PATH` : `running ${python} failed (${code ?? r.error.message})`;
    return { dir: undefined, note: `prefect-ui: not served: ${why}` };
  }
  let answer: { missing?: string; version?: string; v1?: string; v2?: string };
  try {
    answer = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '');
  } catch {
    const said = (r.stderr || r.stdout).trim().split('\n').at(-1)?.slice(0, 200) ?? '';
    return { dir: undefined, note: `prefect-ui: not served: ${python} could not be asked (exit ${r.status}: ${said})` };
  }
  if (answer.missing !== undefined)
    return { dir: undefined, note: `prefect-ui: not served: the ${python} on PATH has no prefect package installed` };
  const candidates = [answer.v2, answer.v1].filter((d): d is string => !!d);
  const dir = candidates.find((d) => existsSync(join(d, 'index.html')));
  if (!dir)
    return {
      dir: undefined,
      note: `prefect-ui: not served: prefect ${answer.version} (${python}) has no UI build in ${candidates.join(' or ') || 'its package'}`,
    };
  return { dir, note: `prefect-ui: prefect ${answer.version}'s UI from ${dir} (found through ${python})` };
}
