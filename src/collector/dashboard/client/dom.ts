/**
 * The dashboard's DOM helpers. Every child that is not a node becomes a text
 * node: values from events are never parsed as markup.
 */
const SVG_NS = 'http://www.w3.org/2000/svg';

/** What an element may hold: nodes, text (numbers too), nothing, or lists of these. */
export type Child = Node | string | number | null | undefined | false | readonly Child[];
/** Attributes; `null`, `undefined` and `false` leave one out. */
export type Props = Readonly<Record<string, string | number | boolean | null | undefined>> | null;

function append(node: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else node.appendChild(typeof child === 'object' ? (child as Node) : document.createTextNode(String(child)));
  }
}

function fill<T extends Element>(node: T, props: Props, children: readonly Child[]): T {
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value !== null && value !== undefined && value !== false) node.setAttribute(key, String(value));
  }
  append(node, children);
  return node;
}

/** An HTML element: el('a', { href: '#x', class: 'who' }, 'text', otherNode). */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props, ...children: Child[]): HTMLElementTagNameMap[K] {
  return fill(document.createElement(tag), props, children);
}

/** An SVG element, same call shape. */
export function svg<K extends keyof SVGElementTagNameMap>(tag: K, props: Props, ...children: Child[]): SVGElementTagNameMap[K] {
  return fill(document.createElementNS(SVG_NS, tag), props, children);
}

/** Empties a node, then appends the children. */
export function replace(node: Element, ...children: Child[]): void {
  node.replaceChildren();
  append(node, children);
}

const pad = (n: number) => String(n).padStart(2, '0');

/** Local date and time, to the second: 2024-05-01 14:03:09. */
export function dateTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time(iso)}`;
}

/** Local time of day: 14:03:09. */
export function time(iso: string): string {
  const d = new Date(iso);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** A value as one line of text: strings as they are, the rest as JSON. */
export function show(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The web / api badge. */
export function sourceBadge(source: string): HTMLSpanElement {
  const web = source === 'web';
  return el('span', { class: `badge ${web ? 'web' : 'api'}`, title: web ? 'from the browser' : 'from a server' }, web ? 'web' : 'api');
}

/** Links that open a profile (hash routes; the ids are encoded, never markup). */
export function userLink(userId: string): HTMLAnchorElement {
  return el('a', { class: 'who', href: `#user=${encodeURIComponent(userId)}` }, userId);
}
export function companyLink(companyId: string): HTMLAnchorElement {
  return el('a', { class: 'company', href: `#company=${encodeURIComponent(companyId)}` }, companyId);
}

/** The element with that id, which the page shell (page.ts) always has. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the dashboard page has no #${id}`);
  return node as T;
}

/** The message of whatever was thrown. */
export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
