#!/usr/bin/env node
// The `sightline` command (package.json "bin"). Plain JavaScript that an old Node can still parse,
// so that it can say which Node it needs instead of dying on `node:sqlite` with a stack. Then it
// runs the CLI: the TypeScript sources in a clone (Node runs them directly), the built JavaScript
// in the installed package (no sources are packed). ADR 30.
import { existsSync } from 'node:fs';

const NEEDED = [22, 18];
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < NEEDED[0] || (major === NEEDED[0] && minor < NEEDED[1])) {
  process.stderr.write(
    `sightline needs Node.js ${NEEDED.join('.')} or newer, and ${process.execPath} is ${process.version}: ` +
      'install a current one (Node 24: https://nodejs.org/en/download, or `nvm install 24`)\n',
  );
  process.exit(1);
}

// Node 22 warns that node:sqlite (and type stripping) are experimental each time they load: on
// every command. The user can do nothing about it; other warnings still print.
const emitWarning = process.emitWarning;
process.emitWarning = (warning, ...rest) => {
  const type = typeof rest[0] === 'string' ? rest[0] : rest[0]?.type;
  if (type === 'ExperimentalWarning' && /SQLite|Type Stripping/i.test(String(warning))) return;
  return emitWarning.call(process, warning, ...rest);
};

const source = new URL('../src/cli/main.ts', import.meta.url);
import(existsSync(source) ? source.href : new URL('../dist/cli/main.js', import.meta.url).href);
