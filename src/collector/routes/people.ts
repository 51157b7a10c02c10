/**
 * The People directory (README "People"): `GET /v1/users`,
 * `GET /v1/companies`, `GET /v1/anonymous` and
 * `GET /v1/users/:userId/export`. Registered beside the query API, so the
 * same guards apply: with a dashboard token set it is required on every
 * request, loopback included (the export too); without one, only a `Host`
 * naming this machine is answered (auth.ts).
 */
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { parseListCursor, type Directory, type ListCursor } from '../directory.js';
import { badRequest } from '../errors.js';
import { exportUser } from '../export.js';
import type { Queries } from '../query.js';
import type { SqlReader } from '../store/types.js';
import { notFound, readLimit as readPageLimit, requireToken } from './query.js';

export interface PeopleRoutesOptions {
  directory: Directory;
  queries: Queries;
  reader: SqlReader;
  dashboardToken: string | null;
}

type Query = Record<string, string | undefined>;

/** List pages: `?limit=` from 1 to 100, 50 by default. */
export const DEFAULT_LIST_LIMIT = 50;
export const MAX_LIST_LIMIT = 100;
const readLimit = (query: Query) => readPageLimit(query, DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT);
/** The longest `?query=`: ids are at most 255 characters. */
export const MAX_QUERY_LENGTH = 255;

function readAfter(query: Query, timed: boolean): ListCursor | undefined {
  if (query.after === undefined) return undefined;
  // A repeated parameter arrives as a list.
  if (typeof query.after !== 'string') throw badRequest('after must be given once');
  const cursor = parseListCursor(query.after, timed);
  if (!cursor) throw badRequest('after must be the "after" of a previous page of this list');
  return cursor;
}

/** `?query=`: empty or absent lists everything. */
function readSearch(query: Query): string | undefined {
  const text = query.query;
  if (text === undefined || text === '') return undefined;
  if (typeof text !== 'string') throw badRequest('query must be given once');
  if (text.length > MAX_QUERY_LENGTH) throw badRequest(`query is ${text.length} characters long; at most ${MAX_QUERY_LENGTH}`);
  return text;
}

/** A file name for the export's download: the id's safe characters. */
const exportFileName = (userId: string) => `idstitch-user-${userId.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80)}.ndjson`;

export async function peopleRoutes(app: FastifyInstance, options: PeopleRoutesOptions): Promise<void> {
  const { directory, queries, reader } = options;
  requireToken(app, options.dashboardToken);

  /** Identified users, newest `lastSeen` first: `?query=` (start of the id, display name or email), `?limit=`, `?after=`. */
  app.get<{ Querystring: Query }>('/v1/users', async (request) =>
    directory.users({ limit: readLimit(request.query), after: readAfter(request.query, true), query: readSearch(request.query) }));

  /** Companies by id: `?query=` (start of the id or name), `?limit=`, `?after=`. */
  app.get<{ Querystring: Query }>('/v1/companies', async (request) =>
    directory.companies({ limit: readLimit(request.query), after: readAfter(request.query, false), query: readSearch(request.query) }));

  /** Visitors not identified, newest first: `?limit=`, `?after=`. */
  app.get<{ Querystring: Query }>('/v1/anonymous', async (request) => {
    if (request.query.query !== undefined) throw badRequest('the anonymous list has no query; open one visitor with /v1/anonymous/:anonymousId');
    return directory.anonymous({ limit: readLimit(request.query), after: readAfter(request.query, true) });
  });

  /** Everything held on a user, as NDJSON (export.ts), streamed as the client reads it. */
  app.get<{ Params: { userId: string } }>('/v1/users/:userId/export', async (request, reply) => {
    const { userId } = request.params;
    const lines = await exportUser(reader, queries, userId);
    if (!lines) throw notFound('user', userId);
    const stream = Readable.from(lines);
    // Once the first line is out a failure cannot become a status: the response is cut short instead, so a client never takes a partial export for a whole one.
    stream.on('error', (error) => request.log.error(error));
    return reply
      .type('application/x-ndjson; charset=utf-8')
      .header('content-disposition', `attachment; filename="${exportFileName(userId)}"`)
      .header('cache-control', 'no-store')
      .send(stream);
  });
}
