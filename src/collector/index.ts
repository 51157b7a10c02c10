export { createCollector, type Collector } from './server.js';
export { CollectorOptionError } from './errors.js';
export { DEFAULTS, resolveOptions, type CollectorOptions, type LogLevel, type ResolvedOptions } from './options.js';
export { parseCollectorArgs, usage } from './args.js';
export type { CompanyProfile, Conflict, EventOut, Stats, Timeline, UserProfile } from './query.js';
export type { IngestResult, Store, StoredEvent } from './store/types.js';
export { SqliteStore } from './store/sqlite.js';
export { PostgresStore } from './store/postgres.js';
