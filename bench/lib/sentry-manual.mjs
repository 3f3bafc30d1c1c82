// @sentry/node with @sentry/profiling-node in its manual profiling lifecycle, a DSN that
// is never contacted and a transport that drops what it gets: the incumbent's
// continuous profiler as a user sets it up, without the network.
export async function initSentryManual() {
  const Sentry = await import('@sentry/node');
  const { nodeProfilingIntegration } = await import('@sentry/profiling-node');
  Sentry.init({
    dsn: 'http://public@127.0.0.1:9/1',
    profileSessionSampleRate: 1,
    profileLifecycle: 'manual',
    // The HTTP auto-instrumentations would trace the benchmark's own requests.
    integrations: (defaults) => [
      ...defaults.filter((i) => i.name !== 'Http' && i.name !== 'NodeFetch'),
      nodeProfilingIntegration(),
    ],
    transport: (options) => Sentry.createTransport(options, async () => ({ statusCode: 200 })),
  });
  return Sentry;
}
