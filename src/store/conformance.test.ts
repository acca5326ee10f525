import { forEachEngine } from '../../test/helpers/engines.ts';
import { storeConformance } from './conformance/index.ts';
import { openStore } from './open.ts';

forEachEngine('store conformance', (engine) => {
  storeConformance(async () => openStore({ url: await engine.newDatabaseUrl() }));
});
