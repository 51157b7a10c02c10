/**
 * What really happened, as the driver saw it: which person produced events
 * under each anonymous id, on which device (and cookie epoch), and the user
 * and company id each person got at login.
 */
import type { Person } from './journeys.js';

export interface TruePerson extends Person {
  /** Set at their first login. */
  userId: string | null;
}

export class Truth {
  readonly people = new Map<string, TruePerson>();
  /** anonymous id → the person who produced events under it. */
  readonly anonymousOwner = new Map<string, string>();
  /**
   * anonymous id → the cookie jars it lived in (device, cookie epoch, registrable domain): each is what a
   * cookie-only tracker would call one visitor. A link across domains puts one id in two jars.
   */
  readonly anonymousDevices = new Map<string, Set<string>>();
  /** userId → person. */
  readonly userOwner = new Map<string, string>();
  /** Anonymous ids the driver saw used by two people: a flaw in a journey, not in the tracker. */
  readonly violations: string[] = [];

  addPerson(person: Person): void {
    this.people.set(person.key, { ...person, userId: null });
  }

  /** `person` just produced events under `anonymousId` in the cookie jar `device`. */
  see(anonymousId: string, person: string, device: string): void {
    const owner = this.anonymousOwner.get(anonymousId);
    if (owner !== undefined && owner !== person) this.violations.push(`${anonymousId} used by ${owner} and ${person}`);
    this.anonymousOwner.set(anonymousId, owner ?? person);
    this.anonymousDevices.set(anonymousId, (this.anonymousDevices.get(anonymousId) ?? new Set<string>()).add(device));
  }

  login(person: string, userId: string): void {
    this.people.get(person)!.userId = userId;
    this.userOwner.set(userId, person);
  }

  /** company id → the user ids of the people who logged in as its members. */
  companies(): Map<string, string[]> {
    const companies = new Map<string, string[]>();
    for (const person of this.people.values()) {
      if (person.userId === null) continue;
      companies.set(person.companyId, [...(companies.get(person.companyId) ?? []), person.userId].sort());
    }
    return companies;
  }
}
