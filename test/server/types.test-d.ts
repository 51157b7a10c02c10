/** The public API's types: type-checked by vitest (project `types` in vitest.config.ts) and by `tsc --noEmit`, never run. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type Request, type Response } from 'express';
import Fastify from 'fastify';
import { describe, expectTypeOf, it } from 'vitest';
import {
  createServerClient, hmacUid, idstitchFastify, idstitchMiddleware,
  type ApiCallOptions, type DeliveryStats, type ServerClient, type ServerError, type TrackCall,
} from '../../src/server/index.js';

type AuthedRequest = Request & { user?: { id: string; companyId?: number } };

describe('types of idstitch/server', () => {
  it('client methods', () => {
    expectTypeOf(createServerClient).parameter(0).toHaveProperty('endpoint').toEqualTypeOf<string>();
    expectTypeOf<ServerClient['track']>().parameter(0).toEqualTypeOf<TrackCall>();
    expectTypeOf<ServerClient['identifyUser']>().returns.toEqualTypeOf<boolean>();
    expectTypeOf<ServerClient['close']>().returns.toEqualTypeOf<Promise<void>>();
    expectTypeOf<ServerClient['stats']>().returns.toEqualTypeOf<DeliveryStats>();
    expectTypeOf(hmacUid).returns.toEqualTypeOf<string>();
  });

  it('Express: hooks see the typed request; the middleware fits app.use', () => {
    const client = createServerClient({ endpoint: 'http://127.0.0.1:1/v1/batch', onError: (e) => expectTypeOf(e).toEqualTypeOf<ServerError>() });
    const middleware = idstitchMiddleware<AuthedRequest, Response>({
      client,
      identifyUser: (req) => req.user?.id,
      identifyCompany: async (req) => req.user?.companyId,
    });
    express().use(middleware);
    // @ts-expect-error a hook must return an id, not an object
    idstitchMiddleware<AuthedRequest, Response>({ client, identifyUser: (req) => req.user });
    // node:http by default
    expectTypeOf(idstitchMiddleware({ client })).parameter(0).toEqualTypeOf<IncomingMessage>();
    expectTypeOf(idstitchMiddleware({ client })).parameter(1).toEqualTypeOf<ServerResponse>();
    void client.close();
  });

  it('Fastify: register checks the options', async () => {
    const client = createServerClient({ endpoint: 'http://127.0.0.1:1/v1/batch' });
    const fastify = Fastify();
    await fastify.register(idstitchFastify, { client, identifyUser: (request) => request.headers['x-user'] as string | undefined, skip: ['/healthz'] });
    // @ts-expect-error client is required
    void fastify.register(idstitchFastify, { identifyUser: () => 'u_1' });
    expectTypeOf<ApiCallOptions<IncomingMessage, ServerResponse>['anonymousCalls']>().toEqualTypeOf<'send' | 'drop' | undefined>();
    await fastify.close().catch(() => {});
    await client.close();
  });
});
