/** Seconds to back off when a 429 says nothing usable about how long. */
export const DEFAULT_RETRY_AFTER_S = 60;

const ALL = '__all__';

/**
 * Sentry rate limits per data category, fed by response headers:
 * `X-Sentry-Rate-Limits: <seconds>:<cat;cat>:<scope>[:<reason>], ...` (no categories = all)
 * and, on a 429 without that header, `Retry-After` (seconds or HTTP date).
 */
export class RateLimits {
  private readonly until = new Map<string, number>();

  /** Applies the headers of a response; returns the categories newly limited (`'all'` for everything). */
  update(status: number, rateLimitsHeader: string | undefined, retryAfterHeader: string | undefined, now = Date.now()): string[] {
    const touched: string[] = [];
    if (rateLimitsHeader !== undefined && rateLimitsHeader.trim() !== '') {
      for (const limit of rateLimitsHeader.split(',')) {
        const [secondsText = '', categoriesText = ''] = limit.trim().split(':');
        const seconds = Number.parseFloat(secondsText);
        const deadline = now + 1000 * (Number.isFinite(seconds) && seconds >= 0 ? seconds : DEFAULT_RETRY_AFTER_S);
        const categories = categoriesText.split(';').filter((c) => c !== '');
        for (const category of categories.length === 0 ? [ALL] : categories) {
          this.extend(category, deadline);
          touched.push(category === ALL ? 'all' : category);
        }
      }
    } else if (status === 429) {
      this.extend(ALL, now + 1000 * parseRetryAfter(retryAfterHeader, now));
      touched.push('all');
    }
    return touched;
  }

  /** Whether `category` may not be sent now. */
  isLimited(category: string, now = Date.now()): boolean {
    return Math.max(this.until.get(category) ?? 0, this.until.get(ALL) ?? 0) > now;
  }

  private extend(category: string, deadline: number): void {
    if (deadline > (this.until.get(category) ?? 0)) this.until.set(category, deadline);
  }
}

/** `Retry-After` as seconds: a number, or an HTTP date relative to `now`; default 60. */
export function parseRetryAfter(header: string | undefined, now = Date.now()): number {
  if (header === undefined || header.trim() === '') return DEFAULT_RETRY_AFTER_S;
  const text = header.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number.parseFloat(text);
  const date = Date.parse(text);
  if (!Number.isNaN(date)) return Math.max(0, (date - now) / 1000);
  return DEFAULT_RETRY_AFTER_S;
}
