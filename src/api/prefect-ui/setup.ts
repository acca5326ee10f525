/** `--prefect-ui` and `--prefect-ui-workspace` at start-up: the bundle to serve, and what to tell people. */
import { ConfigError } from '../../config/load.ts';
import type { ServeConfig } from '../../config/schema.ts';
import type { StoreServices } from '../../ops/context.ts';
import { workspacesNamed } from '../../ops/tenancy/accounts.ts';
import { loadPrefectUi } from './bundle.ts';
import { locatePrefectUi } from './locate.ts';
import type { PrefectUi } from './routes.ts';

export interface PrefectUiSetup {
  ui?: PrefectUi;
  /** One line for the start-up output: what `auto` found, or why nothing is served. */
  note?: string;
}

/**
 * A given folder that is not a UI build, and an unknown workspace, stop start-up; `auto` that
 * finds nothing only says why (the server is useful without the UI).
 */
export async function setUpPrefectUi(config: ServeConfig, services: StoreServices): Promise<PrefectUiSetup> {
  const given = config['prefect-ui'];
  if (!given) {
    if (config['prefect-ui-workspace'] !== undefined)
      throw new ConfigError('--prefect-ui-workspace needs --prefect-ui (the folder of the UI it applies to, or auto)');
    return {};
  }
  const located = given === 'auto' ? locatePrefectUi() : { dir: given, note: undefined };
  if (located.dir === undefined) return { note: located.note };
  const bundle = loadPrefectUi(located.dir);
  const ref = config['prefect-ui-workspace'];
  if (ref === undefined) return { ui: { bundle }, note: located.note };
  const found = await workspacesNamed(services, ref);
  if (found.length !== 1)
    throw new ConfigError(
      found.length
        ? `--prefect-ui-workspace ${ref}: ${found.length} accounts have a workspace with this handle; give its id`
        : `--prefect-ui-workspace ${ref}: no workspace has this id or handle (sightline workspaces list)`,
    );
  return { ui: { bundle, workspace: found[0] }, note: located.note };
}
