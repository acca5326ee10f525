/**
 * `GET /admin/settings`: Prefect answers with its whole settings tree. Sightline answers the parts
 * its UI reads, nested as Prefect nests them, from Sightline's own configuration: the API URL,
 * the log level, the server's address — and promotional content and analytics off. Nothing secret
 * is in it (Prefect masks secrets; Sightline has none to mask here).
 */
import type { ServeConfig } from '../../config/schema.ts';
import { linkOrigin } from '../link-origin.ts';
import type { RequestInfo } from '../router.ts';

export function serverSettings(config: ServeConfig, req: RequestInfo): Record<string, unknown> {
  const apiUrl = `${linkOrigin(config, req)}/api`;
  return {
    api: { url: apiUrl, key: null, tls_insecure_skip_verify: false },
    logging: { level: config['log-level'].toUpperCase() },
    server: {
      analytics_enabled: false,
      api: { host: config.host, port: config.port },
      ui: { enabled: false, api_url: apiUrl, serve_base: '/prefect', show_promotional_content: false },
    },
  };
}
