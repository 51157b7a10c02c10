/**
 * The dashboard's static files, embedded so the rollup build needs no copy
 * step, each with its content type. They hold code only, no data, so they
 * are served without the dashboard token.
 */
import { apiJs } from './client/api.js';
import { appJs } from './client/app.js';
import { chartJs } from './client/chart.js';
import { conflictsJs } from './client/conflicts.js';
import { domJs } from './client/dom.js';
import { funnelJs } from './client/funnel.js';
import { liveJs } from './client/live.js';
import { profileJs } from './client/profile.js';
import { styleCss } from './style.js';

const JS = 'text/javascript; charset=utf-8';

/** File name under `/dashboard/` → content type and body. */
export const ASSETS: ReadonlyMap<string, { type: string; body: string }> = new Map([
  ['app.js', { type: JS, body: appJs }],
  ['api.js', { type: JS, body: apiJs }],
  ['dom.js', { type: JS, body: domJs }],
  ['live.js', { type: JS, body: liveJs }],
  ['profile.js', { type: JS, body: profileJs }],
  ['chart.js', { type: JS, body: chartJs }],
  ['funnel.js', { type: JS, body: funnelJs }],
  ['conflicts.js', { type: JS, body: conflictsJs }],
  ['style.css', { type: 'text/css; charset=utf-8', body: styleCss }],
]);
