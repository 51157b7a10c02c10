/** The comparison as a text table: the truth, idstitch, and the two naive trackers side by side. */
import type { Comparison, Count } from './measure.js';

const cell = (value: number | null) => (value === null ? '-' : String(value));

export function formatComparison(c: Comparison, title: string): string {
  const columns: [string, Count][] = [['idstitch', c.idstitch], ['cookie only', c.cookieOnly], ['ids, unlinked', c.idsUnlinked]];
  const rows: [string, number, (count: Count) => number | null][] = [
    ['unique users (people)', c.truth.people, (x) => x.users],
    ['identified users', c.truth.identified, (x) => x.identifiedUsers],
    ['anonymous visitors', c.truth.anonymous, (x) => x.anonymousVisitors],
    ['false merges', 0, (x) => x.falseMerges],
    ['split people', 0, (x) => x.splitPeople],
    ['companies with the right users', c.truth.companies, (x) => x.rightCompanies],
  ];
  const table = [['', 'truth', ...columns.map(([name]) => name)], ...rows.map(([label, truth, of]) => [label, String(truth), ...columns.map(([, x]) => cell(of(x)))])];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  const line = (row: string[]) => `| ${row.map((text, i) => (i === 0 ? text.padEnd(widths[i]!) : text.padStart(widths[i]!))).join(' | ')} |`;
  const n = c.notes;
  return [
    title,
    line(table[0]!),
    `|${widths.map((w, i) => (i === 0 ? '-' : '').padEnd(w + 1, '-') + (i === 0 ? '-' : ':')).join('|')}|`,
    ...table.slice(1).map(line),
    `events stored ${n.events}; link conflicts ${n.conflicts}; anonymous ids the driver did not see ${n.untrackedAnonymousIds}; ` +
      `seen but never stored ${n.undeliveredAnonymousIds}; journey flaws ${n.truthViolations}`,
    `visitors the cross-domain link carried from docs.vendor.test to example.test: ${c.linkedAcrossDomains} (without it, each a split person)`,
  ].join('\n');
}
