/** What became of one POST: the HTTP status (0 for a network error) and the collector's per-message refusals. */
export interface SendResult {
  status: number;
  rejected?: { index: number; reason: string }[];
}

/**
 * POSTs a batch body. `text/plain` keeps it a CORS "simple request": no
 * preflight, half the round trips (Segment's analytics.js does the same).
 */
export async function postBatch(endpoint: string, body: string): Promise<SendResult> {
  let response: Response;
  try {
    response = await fetch(endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain' },
      body,
      credentials: 'omit',
    });
  } catch {
    return { status: 0 };
  }
  let rejected: SendResult['rejected'];
  try {
    const answer: unknown = await response.json();
    if (answer && typeof answer === 'object' && Array.isArray((answer as SendResult).rejected)) {
      rejected = (answer as SendResult).rejected;
    }
  } catch {
    // Segment-compatible endpoints may answer with an empty or non-JSON body.
  }
  return { status: response.status, rejected };
}

/** Statuses worth another try: the network, the server's trouble, a timeout, throttling. */
export const isRetryable = (status: number): boolean => status === 0 || status === 408 || status === 429 || status >= 500;
