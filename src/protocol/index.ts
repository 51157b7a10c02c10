export { checkId, describeIdProblem, MAX_ID_LENGTH, type IdCheck, type IdProblem } from './ids.js';
export * from './messages.js';
export { anonymousIdCookieName, storagePrefix } from './storageKeys.js';
