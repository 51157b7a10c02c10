import type { Campaign, PageContext } from '../protocol/messages.js';
import { replayedPage } from './clock.js';

/** The page as it is now (or as it was when a replayed call was made); read per message because an SPA changes it without a load. */
export function pageContext(): PageContext {
  return replayedPage() ?? {
    url: location.href,
    path: location.pathname,
    title: document.title,
    referrer: document.referrer,
    search: location.search,
  };
}

/** `utm_*` parameters of a URL's query, named as Segment names them (`utm_campaign` → `name`). */
export function campaignFrom(search: string): Campaign | undefined {
  let campaign: Campaign | undefined;
  new URLSearchParams(search).forEach((value, key) => {
    const name = /^utm_(.+)/.exec(key)?.[1];
    if (name) (campaign ??= {})[name === 'campaign' ? 'name' : name] = value;
  });
  return campaign;
}

/** What stays the same for the whole page life. */
export function staticContext(): { userAgent: string; locale: string; timezone: string } {
  return { userAgent: navigator.userAgent, locale: navigator.language, timezone: Intl.DateTimeFormat().resolvedOptions().timeZone };
}
