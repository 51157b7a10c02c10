/**
 * The funnel: editable steps (track event names, `page` for any page view)
 * and window, drawn as SVG bars with the share of the first step and of the
 * step before.
 */
import { getJson } from './api.js';
import { el, messageOf, replace, svg } from './dom.js';

/** `GET /v1/funnel`'s answer (routes/query.ts). */
export interface FunnelAnswer {
  steps: { step: string; users: number }[];
  within: string | null;
}

const WIDTH = 600;
const ROW = 46;
const LABEL = 150;

const percent = (part: number, whole: number) => `${whole ? Math.round((part / whole) * 1000) / 10 : 0}%`;

export function drawFunnel(container: Element, answer: FunnelAnswer): void {
  const steps = answer.steps;
  const first = steps[0]?.users ?? 0;
  const max = Math.max(1, first, ...steps.map((s) => s.users));
  const barSpace = WIDTH - LABEL - 90;
  const rows = steps.map((s, i) => {
    const y = i * ROW;
    const width = Math.max(s.users ? 2 : 0, (s.users / max) * barSpace);
    const share = i === 0 ? 'first step' : `${percent(s.users, first)} of the first step · ${percent(s.users, steps[i - 1]!.users)} of the one before`;
    return svg('g', { class: 'step' },
      svg('title', null, `${s.step}: ${s.users} users`),
      svg('text', { class: 'label', x: LABEL - 8, y: y + 19, 'text-anchor': 'end' }, s.step === 'page' ? 'page (visit)' : s.step),
      svg('rect', { class: 'bar', x: LABEL, y: y + 4, width, height: 20, rx: 3 }),
      svg('text', { class: 'count', x: LABEL + width + 6, y: y + 19 }, `${s.users}${s.users === 1 ? ' user' : ' users'}`),
      svg('text', { class: 'share', x: LABEL, y: y + 38 }, share));
  });
  replace(container,
    svg('svg', { class: 'funnel', viewBox: `0 0 ${WIDTH} ${Math.max(ROW, steps.length * ROW)}`, role: 'img', 'aria-label': 'funnel' }, rows));
}

/** Counts the steps and window the form holds into the container. */
export function funnelLoader(form: HTMLFormElement, container: Element): () => Promise<void> {
  return async () => {
    const data = new FormData(form);
    const params: Record<string, string> = { steps: String(data.get('steps') ?? '') };
    const within = String(data.get('within') ?? '').trim();
    if (within) params.within = within;
    try {
      drawFunnel(container, await getJson<FunnelAnswer>('v1/funnel', params));
    } catch (error) {
      replace(container, el('p', { class: 'error' }, messageOf(error)));
    }
  };
}
