import { setFlagsFromString } from 'node:v8';

/**
 * The process's V8 flags, set once by the composition root before anything compiles a filter or transform regex:
 * `--enable-experimental-regexp-engine` makes the `l` (linear-time) RegExp flag available, which filters and
 * JSONata transforms require (domain/route/linearRegex.ts). It adds a flag and changes no other regex. Setting it
 * after start-up works on Node 20 and 22; flags are process-wide, so worker threads see it too.
 */
export const setProcessV8Flags = (): void => {
  setFlagsFromString('--enable-experimental-regexp-engine');
};
