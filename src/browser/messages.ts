import { describeIdProblem } from '../protocol/ids.js';
import type { IdProblem } from '../protocol/ids.js';
import { MAX_TOKEN_LENGTH } from './identity.js';
import type { OptionRule } from './options.js';

/**
 * The words of every warning and error the SDK logs, by key (README "Warnings and errors"). The
 * development builds carry them; the production builds (`dist/index.mjs`, `idstitch.min.js`) are
 * built with this module empty and log the key and its details instead, as React and Vue do:
 * the words are about a tenth of the SDK's bytes.
 */
const TEXTS = {
  // Errors, by their `IdstitchError` code: each code has one message.
  'invalid-option': (problem: string) => `${problem}: tracker disabled`,
  'invalid-argument': (type: string, bytes: number, max: number) => `${type} dropped: ${bytes} bytes, over ${max}`,
  callback: (type: string) => `${type} dropped: beforeSend threw`,
  delivery: (status: number, count: number) => `collector answered ${status}: ${count} dropped`,
  'queue-full': (lost: number) => `queue full: ${lost} dropped`,
  internal: (method: string) => `${method}() failed`,
  // Warnings: the call goes on without what was refused.
  'unknown-option': (name: string) => `unknown option \`${name}\` ignored`,
  'not-an-object': (method: string) => `${method} ${/^(track|page)$/.test(method) ? 'properties' : 'traits'} must be an object`,
  'invalid-id': (method: string, problem: IdProblem) => `${method}: id ${describeIdProblem(problem)}`,
  'invalid-token': () => `identifyUser: token must be a string of 1 to ${MAX_TOKEN_LENGTH} chars`,
  'uid-property': () => 'setUserProperties: uid and userId ignored, call identifyUser',
  'invalid-event': () => 'track: event must be a string',
  'invalid-page-name': () => 'page: name must be a string',
  'invalid-consent': () => 'setConsent: state must be granted, pending or denied',
};

/** A message's key: what a production build logs, with the details. */
export type MessageKey = keyof typeof TEXTS;

// Details are what the logger was given: each text takes those of its call sites.
export const MESSAGES: Record<MessageKey, (...details: any[]) => string> | undefined = TEXTS;

/** The options that take a feature: a function imported on the npm path (the script tag takes `true` and a list). */
const FEATURES: Record<string, string> = { autoPage: "the autoPage export of 'idstitch'", linkDomains: "linker([...]) from 'idstitch'" };

/**
 * Why an option was refused, made from its rule in OPTIONS so that what it says expected is what
 * is checked. No name: the options are not an object.
 */
export const describeOption: ((name?: string, rule?: OptionRule, value?: unknown) => string) | undefined = (name, rule, value) => {
  if (!name) return 'options must be an object';
  const [fallback, check, max] = rule!;
  const expected =
    check instanceof RegExp ? `a string like ${check}` : typeof check === 'number' ? `a number from ${check} to ${max}` : check ? (FEATURES[name] ?? 'a function') : `a ${typeof fallback}`;
  return `option \`${name}\` ${value === undefined ? 'is required' : `must be ${expected}`}`;
};
