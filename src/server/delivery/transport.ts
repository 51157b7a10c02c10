/**
 * One POST of a batch body to the collector, gzip-compressed above a size,
 * with a timeout. node:http(s) with a keep-alive agent rather than the
 * global `fetch`: a quarter of the CPU per POST, which the host's requests
 * would otherwise pay for under load.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { promisify } from 'node:util';
import { constants as zlib, gzip as gzipCallback } from 'node:zlib';
import { SERVER_LIBRARY } from '../../protocol/messages.js';
import { parseRetryAfter } from '../../protocol/retry.js';
import { VERSION } from '../../protocol/version.js';

const gzip = promisify(gzipCallback);

/** What became of one POST: the HTTP status (0 for a network error or timeout), the collector's per-message refusals, and `Retry-After` in ms. */
export interface SendResult {
  status: number;
  rejected?: { index: number; reason: string }[];
  retryAfterMs?: number;
}

export interface PostSettings {
  endpoint: string;
  writeKey?: string;
  gzipAbove: number;
  timeout: number;
}

/** Answers are `{ ok, rejected? }`: more than this is not worth reading. */
const MAX_ANSWER_BYTES = 1024 * 1024;


function readAnswer(response: IncomingMessage): Promise<SendResult> {
  return new Promise((resolve) => {
    const result: SendResult = { status: response.statusCode ?? 0, retryAfterMs: parseRetryAfter(response.headers['retry-after']) };
    const chunks: Buffer[] = [];
    let bytes = 0;
    response.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes <= MAX_ANSWER_BYTES) chunks.push(chunk);
    });
    response.on('error', () => resolve(result));
    response.on('end', () => {
      try {
        const rejected = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as SendResult | null)?.rejected;
        if (Array.isArray(rejected)) result.rejected = rejected;
      } catch {
        // Segment-compatible endpoints may answer with an empty or non-JSON body.
      }
      resolve(result);
    });
  });
}

/** A poster bound to one endpoint, reusing its connections; `close()` lets them go. */
export function createTransport(settings: PostSettings) {
  const url = new URL(settings.endpoint);
  const https = url.protocol === 'https:';
  // Idle keep-alive sockets are unref'd by the agent: they never hold the process open.
  const agent = https ? new HttpsAgent({ keepAlive: true, maxSockets: 4 }) : new HttpAgent({ keepAlive: true, maxSockets: 4 });
  const request = https ? httpsRequest : httpRequest;
  const baseHeaders: Record<string, string> = { 'content-type': 'application/json', 'user-agent': `${SERVER_LIBRARY}/${VERSION}` };
  if (settings.writeKey) baseHeaders.authorization = `Basic ${Buffer.from(`${settings.writeKey}:`).toString('base64')}`;

  return {
    /** POSTs `body`; never rejects. */
    async post(body: string): Promise<SendResult> {
      const headers = { ...baseHeaders };
      let payload: Buffer = Buffer.from(body, 'utf8');
      if (payload.length > settings.gzipAbove) {
        // Async: compressing a large batch must not stall the host's event loop.
        // Fastest level: batches of similar JSON still shrink several times, for a fraction of the default level's CPU.
        payload = await gzip(payload, { level: zlib.Z_BEST_SPEED });
        headers['content-encoding'] = 'gzip';
      }
      headers['content-length'] = String(payload.length);
      return new Promise((resolve) => {
        let settled = false;
        const settle = (result: SendResult) => {
          if (!settled) resolve(result);
          settled = true;
        };
        const req = request(url, { method: 'POST', agent, headers, timeout: settings.timeout }, (response) => void readAnswer(response).then(settle));
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', () => settle({ status: 0 }));
        req.end(payload);
      });
    },
    close: () => agent.destroy(),
  };
}
