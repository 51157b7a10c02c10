/**
 * Erasure (README "Erasure"): `DELETE /v1/users/:userId` and
 * `DELETE /v1/anonymous/:anonymousId` answer
 * `{ erased: { events, anonymousIds } }` once the erasure is committed, or
 * 404 for an id never seen (or erased already).
 *
 * Registered beside the query API, so the same guards apply: with a
 * dashboard token set, it is required on every request, loopback included;
 * without one, only a `Host` naming this machine is answered (auth.ts). A
 * page on another site cannot send a DELETE either way: it is not a method
 * a form can use, and fetch's preflight finds no CORS answer here.
 */
import type { FastifyInstance } from 'fastify';
import { HttpError } from '../errors.js';
import type { Erased, ErasureTarget } from '../store/erase.js';
import type { Store } from '../store/types.js';
import { requireToken } from './query.js';

export interface EraseRoutesOptions {
  store: Store;
  dashboardToken: string | null;
}

/** The answer of both routes. */
export interface ErasureAnswer {
  erased: Erased;
}

export async function eraseRoutes(app: FastifyInstance, options: EraseRoutesOptions): Promise<void> {
  const { store } = options;
  requireToken(app, options.dashboardToken);

  const erase = async (target: ErasureTarget, unknown: string): Promise<ErasureAnswer> => {
    const erasure = await store.erase(target);
    if (!erasure) throw new HttpError(404, `${unknown}: nothing to erase (never seen, or erased already)`);
    return { erased: erasure.erased };
  };

  app.delete<{ Params: { userId: string } }>('/v1/users/:userId', async (request) =>
    erase({ userId: request.params.userId }, `unknown user ${JSON.stringify(request.params.userId)}`));

  app.delete<{ Params: { anonymousId: string } }>('/v1/anonymous/:anonymousId', async (request) =>
    erase({ anonymousId: request.params.anonymousId }, `unknown anonymous id ${JSON.stringify(request.params.anonymousId)}`));
}
