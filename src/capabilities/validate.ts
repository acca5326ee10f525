/**
 * Turns one parsed capability file into the engine's model, reporting each problem on its line.
 * Lenient where the seed generator deviates from the Naftiko schema in known ways (a warning,
 * once per file and kind); strict about whatever the engine could not execute (an error).
 */
import { Checker, isObj } from './checker.ts';
import type { Capability, ConsumedApi, McpAdapter, RestAdapter } from './model.ts';
import { buildBinds, buildConsumes } from './validate-consumes.ts';
import { buildMcp, buildRest } from './validate-exposes.ts';
import type { Source } from './yaml-source.ts';

const SUPPORTED_VERSION = '1.0.0-alpha2';

export function buildCapability(src: Source, env: Record<string, string | undefined>): Capability | undefined {
  const c = new Checker(src);
  const root = c.obj(src.data, [], 'A capability file');
  if (!root) return undefined;
  const version = root.naftiko ?? root.ikanos;
  if (version === undefined) return c.error([], "Not a capability file: the 'naftiko' version key is missing.");
  if (root.naftiko === undefined)
    src.warn(['ikanos'], `The 'ikanos' root key is read as 'naftiko' ${SUPPORTED_VERSION}.`);
  else if (String(version) !== SUPPORTED_VERSION)
    src.warn(
      ['naftiko'],
      `Version '${String(version)}' is read as ${SUPPORTED_VERSION}, the dialect Sightline implements.`,
    );

  const info = isObj(root.info) ? root.info : {};
  const binds = buildBinds(c, root.binds, env);
  const cap = c.obj(root.capability, ['capability'], "'capability'");
  if (!cap) return undefined;
  c.unsupported(cap, ['aggregates', 'binds'], ['capability'], "'capability'");

  const consumes: ConsumedApi[] = [];
  for (const [i, raw] of (c.list(cap.consumes, ['capability', 'consumes'], "'consumes'") ?? []).entries()) {
    const api = buildConsumes(c, raw, ['capability', 'consumes', i]);
    if (!api) continue;
    if (consumes.some((x) => x.namespace === api.namespace))
      c.error(['capability', 'consumes', i, 'namespace'], `Namespace '${api.namespace}' is declared twice.`);
    else consumes.push(api);
  }
  if (!consumes.length && !src.problems.some((p) => p.severity === 'error'))
    c.error(['capability'], "The capability consumes nothing: 'consumes' needs at least one http API.");

  const rest: RestAdapter[] = [];
  const mcp: McpAdapter[] = [];
  for (const [o, path] of c.mappings(cap, 'exposes', ['capability'], 'An exposes entry')) {
    if (o.type === 'rest') {
      const a = buildRest(c, o, path, consumes);
      if (a) rest.push(a);
    } else if (o.type === 'mcp') {
      const a = buildMcp(c, o, path, consumes);
      if (a) mcp.push(a);
    } else
      c.error(
        [...path, 'type'],
        `Exposes type '${String(o.type)}' is not supported (Sightline serves 'rest' and 'mcp').`,
      );
  }
  const label = typeof info.label === 'string' ? info.label : src.file;
  return {
    file: src.file,
    label,
    description: typeof info.description === 'string' ? info.description : '',
    binds,
    consumes,
    rest,
    mcp,
  };
}
