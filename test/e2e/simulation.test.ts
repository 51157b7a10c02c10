/**
 * Identity truth, small: generated journeys with known people (two devices,
 * shared devices with logout, a second login without logout, cleared
 * cookies, late identifies, companies of several users, docs on another
 * registrable domain joined by a link) played through real
 * Chromium, the example API server and the collector. idstitch must count
 * exactly the true people, with no false merge and no split person; the
 * cookie-only tracker computed from the same events must not (or the
 * journeys would not be testing anything). `npm run simulate` runs the large one.
 */
import { expect, it } from 'vitest';
import { formatComparison } from './simulation/table.js';
import { JOURNEY_KINDS } from './simulation/journeys.js';
import { runSimulation } from './simulation/run.js';

it('unique users equal the true people, with no false merge and no split person', async () => {
  const result = await runSimulation({ journeys: 24, concurrency: 4, seed: 7 });
  const c = result.comparison;
  console.log(formatComparison(c, `${result.journeys} journeys in ${result.seconds} s`));

  expect(result.failures).toEqual([]);
  expect(Object.keys(result.kinds).sort()).toEqual([...JOURNEY_KINDS].sort());
  expect(result.lateIdentifies).toBeGreaterThan(0);
  expect(c.details).toEqual([]);
  expect(c.notes).toMatchObject({ conflicts: 0, untrackedAnonymousIds: 0, undeliveredAnonymousIds: 0, truthViolations: 0 });
  expect(c.idstitch).toEqual({
    users: c.truth.people, identifiedUsers: c.truth.identified, anonymousVisitors: c.truth.anonymous,
    falseMerges: 0, splitPeople: 0, rightCompanies: c.truth.companies,
  });
  // The journeys are hard: without stitching and reset, the same events give a wrong count.
  expect(c.cookieOnly.falseMerges).toBeGreaterThan(0);
  expect(c.cookieOnly.splitPeople).toBeGreaterThan(0);
  // Journeys across two registrable domains: the link joined each docs visit to its product visit.
  expect(c.linkedAcrossDomains).toBe(result.kinds['across domains']);
}, 240_000);
