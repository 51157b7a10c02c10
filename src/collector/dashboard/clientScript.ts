/**
 * The dashboard's browser script (`dashboard/app.js`), compiled from the
 * TypeScript in client/. The build replaces this module with one that holds
 * the bundle as text (rollup.config.ts, embedDashboardClient), so the
 * package serves it with no file to copy and no esbuild. Running from source
 * (tests, tsx), it is bundled with esbuild on first use, by the same code.
 */
import { fileURLToPath } from 'node:url';

let bundled: Promise<string> | undefined;

export function dashboardClientScript(): Promise<string> {
  bundled ??= import('./clientBundle.js')
    .then(({ bundleDashboardClient, CLIENT_ENTRY }) => bundleDashboardClient(fileURLToPath(CLIENT_ENTRY)))
    .catch((error: unknown) => {
      bundled = undefined; // the next request tries again
      throw error;
    });
  return bundled;
}
