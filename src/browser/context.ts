import type { Campaign, PageContext } from '../protocol/messages.js';

/** The page as it is now; read per message because an SPA changes it without a load. */
export function pageContext(): PageContext {
  return {
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
  try {
    new URLSearchParams(search).forEach((value, key) => {
      if (!key.startsWith('utm_') || key.length < 5) return;
      const name = key.slice(4) === 'campaign' ? 'name' : key.slice(4);
      (campaign ??= {})[name] = value;
    });
  } catch {
    return undefined;
  }
  return campaign;
}

/** What stays the same for the whole page life. */
export function staticContext(): { userAgent: string; locale: string; timezone: string | undefined } {
  let timezone: string | undefined;
  try {
    timezone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch {
    timezone = undefined;
  }
  return { userAgent: navigator.userAgent, locale: navigator.language, timezone };
}
