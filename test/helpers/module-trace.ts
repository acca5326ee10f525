/**
 * Loaded with `node --import` into a CLI child: on exit, writes the URL of every module the
 * process imported to stderr, one per line after a `modules:` line, so that a test can see what a
 * command loads.
 */
import { registerHooks } from 'node:module';

const loaded = new Set<string>();
registerHooks({
  resolve(specifier, context, next) {
    const resolved = next(specifier, context);
    loaded.add(resolved.url);
    return resolved;
  },
});
process.on('exit', () => process.stderr.write(`modules:\n${[...loaded].join('\n')}\n`));
