/**
 * The dashboard's static files, each with its content type: the client
 * script compiled from client/*.ts (see clientScript.ts) and the stylesheet.
 * They hold code only, no data, so they are served without the dashboard token.
 */
import { dashboardClientScript } from './clientScript.js';
import { styleCss } from './style.js';

export interface Asset {
  type: string;
  body(): string | Promise<string>;
}

/** File name under `/dashboard/` → content type and body. */
export const ASSETS: ReadonlyMap<string, Asset> = new Map([
  ['app.js', { type: 'text/javascript; charset=utf-8', body: dashboardClientScript }],
  ['style.css', { type: 'text/css; charset=utf-8', body: () => styleCss }],
]);
