/**
 * Web or API: which side of the product a message came from, told by
 * `context.library.name`.
 *
 * - `idstitch` (the browser SDK) → `web`; `idstitch-node` (`idstitch/server`) → `api`.
 * - Other Segment libraries: `api` when the name names a server runtime
 *   (`analytics-node`, `analytics-python`, `-ruby`, `-go`, `-java`, `-php`,
 *   `.NET`, ...), otherwise `web` (analytics.js, analytics-next and the mobile
 *   libraries all run on the user's device).
 * - No library name at all → `api`: raw HTTP API calls come from servers and scripts.
 */
import { BROWSER_LIBRARY, SERVER_LIBRARY } from '../protocol/index.js';

export type Source = 'web' | 'api';

const SERVER_RUNTIME = /(^|[^a-z])(node|nodejs|python|ruby|go|golang|java|php|net|dotnet|csharp|rust|elixir|clojure|perl|scala|server|backend|http-api)([^a-z]|$)/i;

/** The source of a message given its `context.library.name` (anything, as sent). */
export function sourceOf(libraryName: unknown): Source {
  if (libraryName === BROWSER_LIBRARY) return 'web';
  if (libraryName === SERVER_LIBRARY) return 'api';
  if (typeof libraryName !== 'string' || !libraryName) return 'api';
  return SERVER_RUNTIME.test(libraryName) ? 'api' : 'web';
}
