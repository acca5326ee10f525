/**
 * How client commands (`sightline events`, `sightline logs`, …) find the server: `--api`, then
 * `SIGHTLINE_API_URL`, then `PREFECT_API_URL` (users point it at Sightline already), then the
 * local default. The URL is the API root (`…/api` or a Cloud-style workspace URL).
 */
export const DEFAULT_API_URL = 'http://127.0.0.1:4200/api';

export function resolveApiUrl(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  const url = flag || env.SIGHTLINE_API_URL || env.PREFECT_API_URL || DEFAULT_API_URL;
  return url.replace(/\/+$/, '');
}

/** The websocket URL of a route under the API root. */
export function wsUrl(apiUrl: string, path: string): string {
  return apiUrl.replace(/^http/, 'ws') + path;
}
