/**
 * `GET /admin/settings`: Prefect answers with its whole settings tree. Sightline answers the parts
 * its UI reads, nested as Prefect nests them, from Sightline's own configuration: the API URL,
 * the log level, the server's address — and promotional content and analytics off. Nothing secret
 * is in it (Prefect masks secrets; Sightline has none to mask here).
 */
import type { ServeConfig } from '../../config/schema.ts';
import { bool, int, named, nullValue, object, str } from '../../lib/schema.ts';
import { linkOrigin } from '../link-origin.ts';
import type { RequestInfo } from '../router.ts';

export const serverSettingsSchema = named(
  'Settings',
  object({
    api: object({ url: str(), key: nullValue(), tls_insecure_skip_verify: bool() }),
    logging: object({ level: str() }),
    server: object({
      analytics_enabled: bool(),
      api: object({ host: str(), port: int({ min: 0, max: 65535 }) }),
      ui: object({ enabled: bool(), api_url: str(), serve_base: str(), show_promotional_content: bool() }),
    }),
  }),
);

export function serverSettings(config: ServeConfig, req: RequestInfo): Record<string, unknown> {
  const apiUrl = `${linkOrigin(config, req)}/api`;
  return {
    api: { url: apiUrl, key: null, tls_insecure_skip_verify: false },
    logging: { level: config['log-level'].toUpperCase() },
    server: {
      analytics_enabled: false,
      api: { host: config.host, port: config.port },
      ui: {
        enabled: Boolean(config['prefect-ui']),
        api_url: apiUrl,
        serve_base: '/prefect',
        show_promotional_content: false,
      },
    },
  };
}
