/** Replaced at build time with package.json's `version` (tsup `define`). */
declare const __FERROPROF_VERSION__: string;

/** Name and version ferroprof reports to Sentry (`sdk`, `client_sdk`, `X-Sentry-Auth`). */
export const SDK_NAME = 'ferroprof.node';
/** package.json's `version`, the one source of the version (Cargo's workspace version must agree). */
export const SDK_VERSION: string = __FERROPROF_VERSION__;
