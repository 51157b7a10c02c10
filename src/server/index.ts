export { createServerClient, type Id, type ServerClient, type TrackCall } from './client.js';
export { idstitchMiddleware, type IdstitchMiddleware } from './middleware.js';
export { idstitchFastify, type IdstitchFastifyOptions } from './fastify.js';
export { hmacUid, type HmacUidOptions } from './hmacUid.js';
export { MASK, type ApiCallProperties } from './apiCall.js';
export type { DeliveryStats } from './delivery.js';
export { ServerError, ServerOptionError, type ServerErrorCode } from './errors.js';
export { CALL_DEFAULTS, CLIENT_DEFAULTS, type ApiCallOptions, type HookResult, type ServerClientOptions, type SkipRule } from './options.js';
export { VERSION } from '../protocol/version.js';
