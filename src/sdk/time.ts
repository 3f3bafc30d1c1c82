/** Now as Unix seconds with sub-millisecond precision (Sentry's timestamp form). */
export function nowSeconds(): number {
  return (performance.timeOrigin + performance.now()) / 1000;
}
