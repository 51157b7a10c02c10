/**
 * Journeys with known truth: who sits at which browser at every step. Each
 * kind stresses one identity problem; the generator only produces journeys
 * whose truth is knowable by a tracker that works as designed:
 * - a person who never logs in uses one device and keeps its cookies
 *   (nothing can tell two anonymous devices of one person apart);
 * - after a logout, the device is used by the next person or not at all:
 *   `reset()` deliberately makes whoever browses next a new visitor;
 * - on a shared device without logout, the next person logs in first thing
 *   (whatever they did before logging in would be the previous user's);
 * - across domains, the docs on `docs.vendor.test` (another registrable
 *   domain: no shared cookie) reach the product only through a link the
 *   visitor follows, which carries the anonymous id (`linkDomains`).
 */
import type { Random } from './random.js';

/** `a` and `b`: sibling subdomains of example.test; `x`: the docs on another registrable domain, docs.vendor.test. */
export type Host = 'a' | 'b' | 'x';
export const DOCS_PAGES = ['', 'guide.html', 'api.html'] as const;
export const APP_ROUTES = ['', 'projects', 'settings'] as const;

export type JourneyKind =
  | 'one device'
  | 'two devices'
  | 'shared device, logout'
  | 'second login, no logout'
  | 'cookies cleared'
  | 'anonymous only'
  | 'late identify'
  | 'across domains';

export const JOURNEY_KINDS: readonly JourneyKind[] = [
  'one device', 'two devices', 'shared device, logout', 'second login, no logout', 'cookies cleared', 'anonymous only', 'late identify',
  'across domains',
];
/** How often each kind is drawn after the first round (which has one of each). */
const WEIGHTS: Record<JourneyKind, number> = {
  'one device': 3, 'two devices': 2, 'shared device, logout': 2, 'second login, no logout': 1, 'cookies cleared': 1, 'anonymous only': 1, 'late identify': 1,
  'across domains': 2,
};

/** A person of the truth: `key` is theirs alone; `companyId` is their email domain, which the example API makes the company. */
export interface Person {
  key: string;
  email: string;
  companyId: string;
}

/** One action at one device (a browser context). `person` is who is at the keyboard. */
export type Step =
  | { kind: 'docs'; device: number; person: string; host: Host; page: (typeof DOCS_PAGES)[number] }
  | { kind: 'app'; device: number; person: string; host: Host; route: (typeof APP_ROUTES)[number] }
  | { kind: 'api'; device: number; person: string }
  | { kind: 'login'; device: number; person: string; lateIdentify: boolean }
  | { kind: 'logout'; device: number; person: string }
  | { kind: 'clearCookies'; device: number }
  /** Follows a link from the page the device is on to the docs on `host`. */
  | { kind: 'follow'; device: number; person: string; host: Host };

export interface Journey {
  id: number;
  kind: JourneyKind;
  people: Person[];
  devices: number;
  steps: Step[];
}

/** Builds one journey's steps, keeping track of where each device is (login and logout need a docs page). */
class Script {
  readonly steps: Step[] = [];
  private readonly at = new Map<number, 'docs' | 'app' | null>();
  constructor(private readonly random: Random) {}

  docs(device: number, person: string): this {
    this.steps.push({ kind: 'docs', device, person, host: this.random.pick(['a', 'b'] as const), page: this.random.pick(DOCS_PAGES) });
    this.at.set(device, 'docs');
    return this;
  }
  /** 1..max page views, docs or app, on either subdomain. */
  browse(device: number, person: string, min = 1, max = 3): this {
    for (let i = this.random.int(min, max); i > 0; i--) {
      if (this.random.chance(0.5)) this.docs(device, person);
      else {
        this.steps.push({ kind: 'app', device, person, host: this.random.pick(['a', 'b'] as const), route: this.random.pick(APP_ROUTES) });
        this.at.set(device, 'app');
      }
    }
    return this;
  }
  api(device: number, person: string, p = 0.7): this {
    if (this.random.chance(p)) this.steps.push({ kind: 'api', device, person });
    return this;
  }
  login(device: number, person: string, lateIdentify = false): this {
    if (this.at.get(device) !== 'docs') this.docs(device, person);
    this.steps.push({ kind: 'login', device, person, lateIdentify });
    return this;
  }
  logout(device: number, person: string, p = 1): this {
    if (!this.random.chance(p)) return this;
    if (this.at.get(device) !== 'docs') this.docs(device, person);
    this.steps.push({ kind: 'logout', device, person });
    return this;
  }
  /** Docs pages on the other domain, then a link followed to this domain's docs. */
  fromOtherDomain(device: number, person: string): this {
    for (let i = this.random.int(1, 3); i > 0; i--) this.steps.push({ kind: 'docs', device, person, host: 'x', page: this.random.pick(DOCS_PAGES) });
    this.steps.push({ kind: 'follow', device, person, host: this.random.pick(['a', 'b'] as const) });
    this.at.set(device, 'docs');
    return this;
  }
  clearCookies(device: number): this {
    this.steps.push({ kind: 'clearCookies', device });
    this.at.set(device, null);
    return this;
  }
}

function script(kind: JourneyKind, s: Script, [a, b]: string[]): number {
  switch (kind) {
    case 'one device':
      s.browse(0, a!).api(0, a!).login(0, a!).api(0, a!).browse(0, a!, 0, 2).logout(0, a!, 0.3);
      return 1;
    case 'two devices':
      s.browse(0, a!).login(0, a!).api(0, a!).browse(1, a!).api(1, a!).login(1, a!).browse(1, a!, 0, 2).browse(0, a!, 0, 1);
      return 2;
    case 'shared device, logout':
      s.browse(0, a!).login(0, a!).api(0, a!).logout(0, a!).browse(0, b!).api(0, b!).login(0, b!).api(0, b!).logout(0, b!, 0.3);
      return 1;
    case 'second login, no logout':
      s.browse(0, a!).login(0, a!).api(0, a!).docs(0, a!).login(0, b!).browse(0, b!).api(0, b!);
      return 1;
    case 'cookies cleared':
      s.browse(0, a!).login(0, a!).browse(0, a!, 0, 1).clearCookies(0).browse(0, a!).api(0, a!).login(0, a!).browse(0, a!, 0, 1);
      return 1;
    case 'anonymous only':
      s.browse(0, a!, 1, 4).api(0, a!);
      return 1;
    case 'late identify':
      s.browse(0, a!).api(0, a!).login(0, a!, true).browse(0, a!, 1, 2).api(0, a!, 1);
      return 1;
    case 'across domains':
      s.fromOtherDomain(0, a!).browse(0, a!, 0, 2).api(0, a!).login(0, a!).browse(0, a!, 0, 2);
      return 1;
  }
}

const PEOPLE: Record<JourneyKind, number> = {
  'one device': 1, 'two devices': 1, 'shared device, logout': 2, 'second login, no logout': 2, 'cookies cleared': 1, 'anonymous only': 1, 'late identify': 1,
  'across domains': 1,
};

/** `count` journeys; people work for a pool of companies, several people each. */
export function generateJourneys(count: number, random: Random): Journey[] {
  const companies = Math.max(3, Math.ceil(count / 3));
  const weighted = JOURNEY_KINDS.flatMap((kind) => Array<JourneyKind>(WEIGHTS[kind]).fill(kind));
  let people = 0;
  const journeys: Journey[] = [];
  for (let id = 0; id < count; id++) {
    const kind = id < JOURNEY_KINDS.length ? JOURNEY_KINDS[id]! : random.pick(weighted);
    const persons: Person[] = [];
    for (let i = 0; i < PEOPLE[kind]; i++) {
      const key = `p${++people}`;
      const companyId = `company${random.int(1, companies)}.example`;
      persons.push({ key, email: `${key}@${companyId}`, companyId });
    }
    const s = new Script(random);
    const devices = script(kind, s, persons.map((p) => p.key));
    journeys.push({ id, kind, people: persons, devices, steps: s.steps });
  }
  return journeys;
}
