/**
 * Events over time: stacked SVG bars per minute, hour or day, web and API
 * apart, from `GET /v1/timeseries`.
 */
import type { TimeSeries } from '../../timeseries.js';
import { getJson } from './api.js';
import { dateTime, el, messageOf, replace, svg, time } from './dom.js';

const WIDTH = 900;
const HEIGHT = 180;
const LEFT = 40;
const BOTTOM = 20;

function label(iso: string, bucket: TimeSeries['bucket']): string {
  return bucket === 'day' ? dateTime(iso).slice(0, 10) : bucket === 'hour' ? dateTime(iso).slice(5, 16) : time(iso).slice(0, 5);
}

export function drawChart(container: Element, series: TimeSeries): void {
  const buckets = series.buckets;
  const max = Math.max(1, ...buckets.map((b) => b.web + b.api));
  const plotWidth = WIDTH - LEFT;
  const plotHeight = HEIGHT - BOTTOM;
  const step = plotWidth / buckets.length;
  const barWidth = Math.max(1, step - (step > 4 ? 1 : 0));
  const y = (n: number) => plotHeight - (n / max) * (plotHeight - 8);
  const bars = buckets.map((b, i) => {
    const x = LEFT + i * step;
    const tip = `${label(b.at, series.bucket)}: web ${b.web}, api ${b.api}`;
    return svg('g', { class: 'bucket' },
      svg('title', null, tip),
      b.web ? svg('rect', { class: 'web', x, y: y(b.web), width: barWidth, height: plotHeight - y(b.web) }) : null,
      b.api ? svg('rect', { class: 'api', x, y: y(b.web + b.api), width: barWidth, height: y(b.web) - y(b.web + b.api) }) : null,
      // An invisible full-height target, so small bars still show their tooltip.
      svg('rect', { class: 'hit', x, y: 0, width: step, height: plotHeight }));
  });
  const ticks: SVGTextElement[] = [];
  const every = Math.max(1, Math.ceil(buckets.length / 8));
  for (let i = 0; i < buckets.length; i += every) {
    ticks.push(svg('text', { class: 'tick', x: LEFT + i * step, y: HEIGHT - 4 }, label(buckets[i]!.at, series.bucket)));
  }
  const total = buckets.reduce((sum, b) => sum + b.web + b.api, 0);
  replace(container,
    svg('svg', { class: 'chart', viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'aria-label': `${total} events` },
      svg('line', { class: 'axis', x1: LEFT, y1: plotHeight, x2: WIDTH, y2: plotHeight }),
      svg('text', { class: 'tick', x: LEFT - 6, y: 12, 'text-anchor': 'end' }, String(max)),
      svg('text', { class: 'tick', x: LEFT - 6, y: plotHeight, 'text-anchor': 'end' }, '0'),
      bars, ticks),
    el('p', { class: 'legend' }, el('span', { class: 'badge web' }, 'web'), ' ', el('span', { class: 'badge api' }, 'api'), ' ', `${total} events in this range, per ${series.bucket}`));
}

/** Loads the range the select names (`minute:1h`, …) into the container. */
export function chartLoader(select: HTMLSelectElement, container: Element): () => Promise<void> {
  return async () => {
    const [bucket = 'minute', since = '1h'] = select.value.split(':');
    try {
      drawChart(container, await getJson<TimeSeries>('v1/timeseries', { bucket, since }));
    } catch (error) {
      replace(container, el('p', { class: 'error' }, messageOf(error)));
    }
  };
}
