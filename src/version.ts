/** Replaced at build time by scripts/build.mjs from package.json. */
declare const __GUARD_VERSION__: string | undefined;
export const VERSION: string = typeof __GUARD_VERSION__ === 'string' ? __GUARD_VERSION__ : '0.0.0-dev';
