/**
 * `idstitchFastify`: the `API Call` recorder as a Fastify 5 plugin, in the
 * fastify-cookie house style. The markers fastify-plugin would add are set
 * by hand (that is all it does): the hooks then apply to the whole app, not
 * only to routes registered inside the plugin.
 */
import type { FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import { pathOf } from './apiCall.js';
import type { ApiCallOptions } from './options.js';
import { createRecorder } from './recorder.js';

/** Options of {@link idstitchFastify}; the hooks get Fastify's request and reply. */
export type IdstitchFastifyOptions = ApiCallOptions<FastifyRequest, FastifyReply>;

const plugin: FastifyPluginCallback<IdstitchFastifyOptions> = (fastify, pluginOptions, done) => {
  // `register` hands its own options to the plugin too; they are not ours to check.
  const { prefix: _prefix, logLevel: _logLevel, logSerializers: _logSerializers, ...options } = pluginOptions as IdstitchFastifyOptions & Record<string, unknown>;
  let recorder: ReturnType<typeof createRecorder<FastifyRequest, FastifyReply>>;
  try {
    recorder = createRecorder<FastifyRequest, FastifyReply>('idstitchFastify', options);
  } catch (error) {
    // A bad option fails `register` (and `ready()`), with the error naming it.
    return done(error as Error);
  }
  fastify.addHook('onRequest', (request, reply, next) => {
    const start = recorder.begin(request.raw, reply.raw, (cookie) => void reply.header('set-cookie', cookie));
    if (start) {
      // A 'close' listener rather than an onResponse hook: Fastify runs hooks through its hook
      // runner, which cost more than the rest of the recording on a fast route.
      reply.raw.on('close', () => {
        const end = { method: request.method, route: request.routeOptions.url ?? null, path: pathOf(request.url), status: reply.statusCode, aborted: !reply.raw.writableFinished };
        recorder.end(request, reply, start, end);
      });
    }
    next();
  });
  done();
};

Object.assign(plugin, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: 'idstitch',
  [Symbol.for('plugin-meta')]: { fastify: '5.x', name: 'idstitch' },
});

/**
 * Records every request as an `API Call` (contract section 7). Bad options
 * make `register` fail with an `ServerOptionError` naming the option.
 *
 * @example
 * await fastify.register(idstitchFastify, {
 *   client,
 *   identifyUser: (request) => request.user?.id,
 *   identifyCompany: (request) => request.user?.companyId,
 *   skip: ['/healthz'],
 * });
 */
export const idstitchFastify: FastifyPluginCallback<IdstitchFastifyOptions> = plugin;
