export { createTracker } from './tracker.js';
export { autoPage } from './autoPage.js';
export type { AutoPage } from './autoPage.js';
export { linker } from './linker.js';
export type { Linker } from './linker.js';
export type { Id, IdentifyOptions, Tracker } from './tracker.js';
export type { Consent, Persistence, TrackerOptions } from './options.js';
export { IdstitchError } from './errors.js';
export type { IdstitchErrorCode } from './errors.js';
export type {
  Campaign, GroupMessage, IdentifyMessage, Message, MessageContext, PageContext, PageMessage, Properties, TrackMessage,
} from '../protocol/messages.js';
