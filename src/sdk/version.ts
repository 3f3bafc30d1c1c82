/** Name and version ferroprof reports to Sentry (`sdk`, `client_sdk`, `X-Sentry-Auth`). */
export const SDK_NAME = 'ferroprof.node';
export const SDK_VERSION = '0.1.0';
