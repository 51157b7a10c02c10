/**
 * The dashboard's DOM helpers (served as `dashboard/dom.js`). Every child
 * that is not a node becomes a text node: values from events are never
 * parsed as markup.
 */
export const domJs = String.raw`
const SVG_NS = 'http://www.w3.org/2000/svg';

function fill(node, props, children) {
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') node.setAttribute('class', value);
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** An HTML element: el('a', { href: '#x', class: 'who' }, 'text', otherNode). */
export function el(tag, props, ...children) {
  return fill(document.createElement(tag), props, children);
}

/** An SVG element, same call shape. */
export function svg(tag, props, ...children) {
  return fill(document.createElementNS(SVG_NS, tag), props, children);
}

/** Empties a node, then appends the children. */
export function replace(node, ...children) {
  node.replaceChildren();
  return fill(node, null, children);
}

const pad = (n) => String(n).padStart(2, '0');

/** Local date and time, to the second: 2024-05-01 14:03:09. */
export function dateTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' + time(iso);
}

/** Local time of day: 14:03:09. */
export function time(iso) {
  const d = new Date(iso);
  return pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
}

/** A value as one line of text: strings as they are, the rest as JSON. */
export function show(value) {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The web / api badge. */
export function sourceBadge(source) {
  return el('span', { class: 'badge ' + (source === 'web' ? 'web' : 'api'), title: source === 'web' ? 'from the browser' : 'from a server' }, source === 'web' ? 'web' : 'api');
}

/** Links that open a profile (hash routes; the ids are encoded, never markup). */
export function userLink(userId) {
  return el('a', { class: 'who', href: '#user=' + encodeURIComponent(userId) }, userId);
}
export function companyLink(companyId) {
  return el('a', { class: 'company', href: '#company=' + encodeURIComponent(companyId) }, companyId);
}

/**
 * Calls fn soon (after a short pause that gathers a burst), then at most once
 * per wait ms however often it is asked: steady traffic still refreshes.
 */
export function throttle(fn, wait) {
  let last = 0;
  let timer = null;
  return () => {
    if (timer !== null) return;
    timer = setTimeout(() => {
      timer = null;
      last = Date.now();
      fn();
    }, Math.max(300, last + wait - Date.now()));
  };
}
`;
