/**
 * The wire format: Segment's HTTP API shapes, as README "Wire format" fixes them.
 * Platform-neutral: no `window`, no Node built-ins.
 */

/** Every message type idstitch produces. The collector also accepts `screen` and `alias` from other Segment clients. */
export type MessageType = 'identify' | 'track' | 'page' | 'group';

/** JSON-serialisable bag of properties or traits. */
export type Properties = Record<string, unknown>;

/** `context.page` of a browser message. */
export interface PageContext {
  url: string;
  path: string;
  title: string;
  referrer: string;
  search: string;
}

/** UTM parameters of the landing URL, without their `utm_` prefix (Segment's naming). */
export interface Campaign {
  source?: string;
  medium?: string;
  name?: string;
  term?: string;
  content?: string;
  [key: string]: string | undefined;
}

/** `context` of every message. */
export interface MessageContext {
  library: { name: string; version: string };
  page?: PageContext;
  userAgent?: string;
  locale?: string;
  timezone?: string;
  sessionId?: string;
  campaign?: Campaign;
  groupId?: string;
  /** The user id's identity token (README "Verified identity"), on each message that carries that user id; never stored. */
  identityToken?: string;
  [key: string]: unknown;
}

interface BaseMessage {
  type: MessageType;
  /** UUID, unchanged across retries: the collector deduplicates on it. */
  messageId: string;
  anonymousId: string | null;
  userId: string | null;
  /** ISO 8601, when the call was made. */
  timestamp: string;
  context: MessageContext;
}

export interface IdentifyMessage extends BaseMessage { type: 'identify'; traits: Properties }
export interface TrackMessage extends BaseMessage { type: 'track'; event: string; properties: Properties }
export interface PageMessage extends BaseMessage { type: 'page'; name: string | null; properties: Properties }
export interface GroupMessage extends BaseMessage { type: 'group'; groupId: string; traits: Properties }

/** One message of a batch. */
export type Message = IdentifyMessage | TrackMessage | PageMessage | GroupMessage;

/** The body of `POST /v1/batch`. */
export interface Batch {
  batch: Message[];
  sentAt: string;
  writeKey?: string;
}

/** `context.library.name` of the browser SDK. */
export const BROWSER_LIBRARY = 'idstitch';
/** `context.library.name` of `idstitch/server`. */
export const SERVER_LIBRARY = 'idstitch-node';
/** The event name of a message made by the server middleware. */
export const API_CALL_EVENT = 'API Call';

/** Collector limits (README "The collector"); the SDKs keep their batches under them. */
export const LIMITS = {
  batchBytes: 500 * 1024,
  messageBytes: 32 * 1024,
  batchMessages: 2500,
  messageIdLength: 100,
} as const;
