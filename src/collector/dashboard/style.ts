/** The dashboard's stylesheet (served as `dashboard/style.css`). */
export const styleCss = String.raw`
:root {
  --bg: #f5f6f8; --card: #fff; --ink: #1d232b; --muted: #6b7480; --line: #e2e5ea;
  --web: #2f6fde; --api: #e07a1f; --anon: #8a63d2; --bad: #c62f3a; --good: #1f8a4c;
  font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif;
  color: var(--ink); background: var(--bg);
}
body { margin: 0; }
header { display: flex; align-items: center; gap: 24px; padding: 10px 20px; background: #1d232b; color: #fff; }
h1 { font-size: 18px; margin: 0; letter-spacing: .5px; }
h2 { font-size: 15px; margin: 0 0 8px; }
h3 { font-size: 16px; margin: 4px 0 8px; overflow-wrap: anywhere; }
h4 { font-size: 13px; margin: 14px 0 6px; color: var(--muted); text-transform: uppercase; letter-spacing: .4px; }
.stats { display: flex; gap: 18px; margin: 0; }
.stats div { display: flex; flex-direction: column-reverse; }
.stats dt { font-size: 11px; color: #aeb6c2; }
.stats dd { margin: 0; font-size: 17px; font-weight: 600; }
.status { margin-left: auto; font-size: 12px; padding: 2px 8px; border-radius: 10px; background: #444c58; }
.status.live { background: var(--good); }
.status.down { background: var(--bad); }
main { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 14px; padding: 14px 20px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; min-width: 0; }
.card.wide { grid-column: 1 / -1; }
.heading { display: flex; justify-content: space-between; align-items: baseline; }
.filters { display: flex; flex-wrap: wrap; gap: 6px; margin-bottom: 8px; }
input, select, button { font: inherit; padding: 3px 6px; border: 1px solid var(--line); border-radius: 4px; background: #fff; }
button { cursor: pointer; background: #eef1f5; }
.filters .steps { flex: 1; min-width: 200px; }
.filters .within { width: 60px; }
.filters .query { flex: 1; min-width: 220px; }
.filters label { display: flex; align-items: center; gap: 3px; }
.pager { display: flex; align-items: center; gap: 6px; margin: 8px 0 0; }
p.export { margin: 0 0 8px; font-size: 13px; }
.muted { color: var(--muted); }
.error { color: var(--bad); }
.log, .timeline { list-style: none; margin: 0; padding: 0; max-height: 520px; overflow: auto; font-size: 13px; }
.event { display: flex; flex-wrap: wrap; align-items: baseline; gap: 6px; padding: 4px 6px; border-bottom: 1px solid var(--line); }
.event time { color: var(--muted); font-variant-numeric: tabular-nums; }
.event .type { color: var(--muted); min-width: 52px; }
.event .name { font-weight: 600; overflow-wrap: anywhere; }
.event .who, .event .company { overflow-wrap: anywhere; }
.event .who.anon { color: var(--anon); }
.event .detail { flex-basis: 100%; color: var(--muted); font-size: 12px; white-space: pre-wrap; overflow-wrap: anywhere; }
.event.type-identify { background: #f0fbf4; }
.timeline .event.anonymous { border-left: 3px dashed var(--anon); background: #f8f5fd; }
.empty { padding: 8px; color: var(--muted); }
.badge { display: inline-block; font-size: 11px; line-height: 16px; padding: 0 6px; border-radius: 8px; color: #fff; font-weight: 600; }
.badge.web { background: var(--web); }
.badge.api { background: var(--api); }
.badge.anon { background: var(--anon); }
.flag { margin-left: 8px; font-size: 12px; padding: 1px 8px; border-radius: 8px; background: var(--bad); color: #fff; }
.kind { color: var(--muted); font-weight: 400; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; overflow-wrap: anywhere; }
.ids { margin: 0; padding-left: 16px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 3px 6px; border-bottom: 1px solid var(--line); overflow-wrap: anywhere; vertical-align: top; }
.traits th { width: 30%; color: var(--muted); font-weight: 400; }
.legend { font-weight: 400; text-transform: none; letter-spacing: 0; color: var(--muted); font-size: 12px; }
.more { margin-top: 6px; }
.actions { margin-top: 14px; border-top: 1px solid var(--line); padding-top: 8px; }
button.erase { color: var(--bad); border-color: var(--bad); background: #fff; }
.erased { color: var(--good); }
svg.chart, svg.funnel { width: 100%; height: auto; display: block; }
.chart .web { fill: var(--web); }
.chart .api { fill: var(--api); }
.chart .hit { fill: transparent; }
.chart .bucket:hover .hit { fill: rgba(0, 0, 0, .05); }
.chart .axis { stroke: var(--line); }
.tick { font-size: 10px; fill: var(--muted); }
.funnel .bar { fill: var(--web); }
.funnel .label { font-size: 13px; fill: var(--ink); }
.funnel .count { font-size: 12px; fill: var(--ink); font-weight: 600; }
.funnel .share { font-size: 11px; fill: var(--muted); }
@media (max-width: 900px) { main { grid-template-columns: 1fr; } }
`;
