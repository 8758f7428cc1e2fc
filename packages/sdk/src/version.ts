/** Instrumentation scope of every span the SDK creates. */
export const SCOPE_NAME = '@pilotlight/sdk';
export const SCOPE_VERSION = '0.1.0';
