// The batch body is written with JSON.stringify, which would write a Date through the page's
// Date.prototype.toJSON: sentAt must not be one.
import { afterEach, describe, expect, test } from 'vitest';
import { fakeTime, spyConsole, trackerWithCapture, useCleanPage } from './helpers';

useCleanPage();
const ownToJSON = Object.getOwnPropertyDescriptor(Date.prototype, 'toJSON')!;
afterEach(() => {
  Object.defineProperty(Date.prototype, 'toJSON', ownToJSON);
});

describe("sentAt does not depend on the page's Date.prototype.toJSON (CONTRACT 5: ISO 8601)", () => {
  test('a page that makes JSON write dates in local time (a common fix for "JSON.stringify shifts my dates") still sends sentAt as ISO 8601 UTC', async () => {
    fakeTime(Date.UTC(2030, 0, 1, 12, 0, 0));
    const { tracker: t, capture } = trackerWithCapture();
    // The page's own code, as pages do it: local wall-clock time, no zone.
    Date.prototype.toJSON = function (this: Date) {
      const pad = (n: number) => String(n).padStart(2, '0');
      return `${this.getFullYear()}-${pad(this.getMonth() + 1)}-${pad(this.getDate())} ${pad(this.getHours())}:${pad(this.getMinutes())}:${pad(this.getSeconds())}`;
    };
    t.track('x');
    await t.flush();
    expect(capture.sent[0]!.body.sentAt).toBe('2030-01-01T12:00:00.000Z');
  });

  test('Prototype.js 1.6, whose Date#toJSON returns the date already quoted, still gets a parseable sentAt', async () => {
    fakeTime(Date.UTC(2030, 0, 1, 12, 0, 0));
    const { tracker: t, capture } = trackerWithCapture();
    Date.prototype.toJSON = function (this: Date) {
      return `"${this.toISOString().slice(0, 19)}Z"`;
    };
    t.track('x');
    await t.flush();
    expect(capture.sent[0]!.body.sentAt).toBe('2030-01-01T12:00:00.000Z');
  });

  test('a Date#toJSON that throws keeps no message from being sent', async () => {
    spyConsole();
    const { tracker: t, capture } = trackerWithCapture();
    Date.prototype.toJSON = () => {
      throw new Error('page bug');
    };
    t.track('x');
    await expect(t.flush()).resolves.toBeUndefined();
    expect(capture.messages().map((m) => m.type)).toEqual(['track']);
  });
});
