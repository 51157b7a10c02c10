import autocannon from 'autocannon';
import { randomUUID } from 'node:crypto';
const url = process.argv[2]; const duration = Number(process.argv[3] ?? 8);
function batchBody(): string {
  const anonymousId = randomUUID(); const now = new Date().toISOString();
  const batch = Array.from({ length: 20 }, (_, i) => ({ type: i === 0 ? 'page' : 'track', messageId: randomUUID(), anonymousId, event: i === 0 ? undefined : 'Clicked',
    properties: { i, path: '/pricing', plan: 'pro' }, timestamp: now,
    context: { library: { name: 'idstitch', version: '0.1.0' }, page: { url: 'https://example.com/pricing', path: '/pricing', title: 'Pricing', referrer: '', search: '' }, userAgent: 'bench', locale: 'en-US', sessionId: anonymousId } }));
  return JSON.stringify({ batch, sentAt: now });
}
const r = await autocannon({ url: `${url}/v1/batch`, connections: 32, duration, requests: [{ method: 'POST', headers: { 'content-type': 'text/plain' }, setupRequest: (q: any) => ({ ...q, body: batchBody() }) }] });
console.log('events/s', Math.round(r['2xx'] / r.duration * 20), 'non2xx', r.non2xx);
