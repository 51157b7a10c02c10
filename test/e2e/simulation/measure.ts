/**
 * Compares what the collector made of the journeys with the truth, and what
 * two naive trackers would have made of the same raw events:
 * - cookie only: one visitor per browser cookie (a device's site until its
 *   cookies are cleared), no identify, no reset on logout, no cross-domain link;
 * - ids, unlinked: every anonymous id and every user id counted on its own.
 *
 * An identity is what a tracker counts as one user. A false merge is an
 * identity holding more than one true person; a split person is one spread
 * over more than one identity.
 */
import type { Collector } from '../../../src/collector/index.js';
import { getJson } from '../poll.js';
import type { Truth } from './truth.js';

export interface Count {
  users: number;
  identifiedUsers: number | null;
  anonymousVisitors: number | null;
  falseMerges: number;
  splitPeople: number;
  /** Companies whose users are exactly the true members; null where the tracker has no companies. */
  rightCompanies: number | null;
}

export interface Comparison {
  truth: { people: number; identified: number; anonymous: number; companies: number };
  idstitch: Count;
  cookieOnly: Count;
  idsUnlinked: Count;
  /** Diagnostics: all should be 0. */
  notes: { events: number; conflicts: number; untrackedAnonymousIds: number; undeliveredAnonymousIds: number; truthViolations: number };
  /** Anonymous ids stored from both registrable domains: visits a link joined, each a split person without it. */
  linkedAcrossDomains: number;
  /** What went wrong, person by person, for a reader to follow up. */
  details: string[];
}

/** Counts false merges and split people over identities, given each raw id's identity and owner. */
function score(memberships: Iterable<[identity: string, person: string | undefined]>): { identities: number; falseMerges: number; splitPeople: number } {
  const peopleOf = new Map<string, Set<string>>();
  const identitiesOf = new Map<string, Set<string>>();
  for (const [identity, person] of memberships) {
    if (!peopleOf.has(identity)) peopleOf.set(identity, new Set());
    if (person === undefined) continue;
    peopleOf.get(identity)!.add(person);
    if (!identitiesOf.has(person)) identitiesOf.set(person, new Set());
    identitiesOf.get(person)!.add(identity);
  }
  return {
    identities: peopleOf.size,
    falseMerges: [...peopleOf.values()].filter((people) => people.size > 1).length,
    splitPeople: [...identitiesOf.values()].filter((identities) => identities.size > 1).length,
  };
}

export async function measure(truth: Truth, collectorUrl: string, reader: Collector['store']['reader']): Promise<Comparison> {
  const raw = await reader.all<{ anonymous_id: string | null; user_id: string | null }>('SELECT DISTINCT anonymous_id, user_id FROM events');
  const anonymousIds = new Set(raw.flatMap((r) => (r.anonymous_id ? [r.anonymous_id] : [])));
  const userIds = new Set(raw.flatMap((r) => (r.user_id ? [r.user_id] : [])));
  const people = [...truth.people.values()];
  const trueCompanies = truth.companies();

  // idstitch: each user profile owns its anonymous ids; an anonymous id no profile owns is a visitor of its own.
  const { body: stats } = await getJson(collectorUrl, '/v1/stats');
  const ownerProfile = new Map<string, string>();
  for (const userId of userIds) {
    const { body } = await getJson(collectorUrl, `/v1/users/${encodeURIComponent(userId)}`);
    for (const anonymousId of body.anonymousIds as string[]) ownerProfile.set(anonymousId, userId);
  }
  const ours = score([
    ...[...userIds].map((u): [string, string | undefined] => [`user ${u}`, truth.userOwner.get(u)]),
    ...[...anonymousIds].map((a): [string, string | undefined] => [ownerProfile.has(a) ? `user ${ownerProfile.get(a)}` : `anonymous ${a}`, truth.anonymousOwner.get(a)]),
  ]);
  let rightCompanies = 0;
  for (const [companyId, members] of trueCompanies) {
    const { status, body } = await getJson(collectorUrl, `/v1/companies/${encodeURIComponent(companyId)}`);
    if (status === 200 && JSON.stringify([...(body.userIds as string[])].sort()) === JSON.stringify(members)) rightCompanies++;
  }

  // Cookie only: each cookie jar (device, cookie epoch, site) an anonymous id lived in is a visitor.
  const cookieOnly = score(
    [...anonymousIds].flatMap((a) => [...(truth.anonymousDevices.get(a) ?? [`unknown ${a}`])].map((jar): [string, string | undefined] => [jar, truth.anonymousOwner.get(a)])),
  );
  // Ids, unlinked: every id is a user of its own.
  const unlinked = score([
    ...[...userIds].map((u): [string, string | undefined] => [`user ${u}`, truth.userOwner.get(u)]),
    ...[...anonymousIds].map((a): [string, string | undefined] => [`anonymous ${a}`, truth.anonymousOwner.get(a)]),
  ]);
  const conflicts = await reader.all<{ anonymous_id: string; user_id: string; attempted_user_id: string }>('SELECT anonymous_id, user_id, attempted_user_id FROM conflicts');
  const who = (userId: string) => truth.userOwner.get(userId) ?? `unknown user ${userId.slice(0, 8)}`;
  const where = (a: string) => `${truth.anonymousOwner.get(a) ?? 'nobody seen'} on ${[...(truth.anonymousDevices.get(a) ?? ['?'])].join(', ')}`;
  const details = [
    ...conflicts.map((c) => `conflict: ${c.anonymous_id} (${where(c.anonymous_id)}) is ${who(c.user_id)}'s, ${who(c.attempted_user_id)} tried to link it`),
    ...[...anonymousIds].filter((a) => !truth.anonymousOwner.has(a)).map((a) => `untracked anonymous id ${a}, linked to ${ownerProfile.has(a) ? who(ownerProfile.get(a)!) : 'nobody'}`),
    ...truth.violations.map((v) => `journey flaw: ${v}`),
  ];

  const identified = people.filter((p) => p.userId !== null).length;
  return {
    truth: { people: people.length, identified, anonymous: people.length - identified, companies: trueCompanies.size },
    idstitch: {
      users: stats.users, identifiedUsers: stats.identifiedUsers, anonymousVisitors: stats.anonymousVisitors,
      falseMerges: ours.falseMerges, splitPeople: ours.splitPeople, rightCompanies,
    },
    cookieOnly: { users: cookieOnly.identities, identifiedUsers: null, anonymousVisitors: null, falseMerges: cookieOnly.falseMerges, splitPeople: cookieOnly.splitPeople, rightCompanies: null },
    idsUnlinked: {
      users: unlinked.identities, identifiedUsers: userIds.size, anonymousVisitors: anonymousIds.size,
      falseMerges: unlinked.falseMerges, splitPeople: unlinked.splitPeople, rightCompanies: null,
    },
    notes: {
      events: stats.events,
      conflicts: conflicts.length,
      untrackedAnonymousIds: [...anonymousIds].filter((a) => !truth.anonymousOwner.has(a)).length,
      undeliveredAnonymousIds: [...truth.anonymousOwner.keys()].filter((a) => !anonymousIds.has(a)).length,
      truthViolations: truth.violations.length,
    },
    details,
    linkedAcrossDomains: [...anonymousIds].filter((a) => new Set([...(truth.anonymousDevices.get(a) ?? [])].map((jar) => jar.split('@')[1])).size > 1).length,
  };
}
