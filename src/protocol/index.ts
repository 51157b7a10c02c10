export { checkId, MAX_ID_LENGTH, type IdCheck } from './ids.js';
export * from './messages.js';
export { anonymousIdCookieName, storagePrefix } from './storageKeys.js';
