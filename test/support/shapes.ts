import { expect } from 'vitest';
import type { Message } from '../../src/protocol/messages.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** Asserts every field README "Wire format" requires of a browser message. */
export function expectBrowserMessage(message: Message, version: string): void {
  expect(['identify', 'track', 'page', 'group']).toContain(message.type);
  expect(message.messageId).toMatch(UUID_V4);
  expect(message.anonymousId).toMatch(UUID_V4);
  expect(message.userId === null || typeof message.userId === 'string').toBe(true);
  expect(message.timestamp).toMatch(ISO);
  const { context } = message;
  expect(context.library).toEqual({ name: 'idstitch', version });
  expect(Object.keys(context.page ?? {}).sort()).toEqual(['path', 'referrer', 'search', 'title', 'url']);
  expect(typeof context.userAgent).toBe('string');
  expect(typeof context.locale).toBe('string');
  expect(typeof context.timezone).toBe('string');
  expect(context.sessionId).toMatch(UUID_V4);
  if (message.type === 'track') {
    expect(typeof message.event).toBe('string');
    expect(typeof message.properties).toBe('object');
  }
  if (message.type === 'identify') expect(typeof message.traits).toBe('object');
  if (message.type === 'group') {
    expect(typeof message.groupId).toBe('string');
    expect(typeof message.traits).toBe('object');
  }
  if (message.type === 'page') expect(typeof message.properties).toBe('object');
}
