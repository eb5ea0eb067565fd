// Module resolve hooks (node:module register): one line per resolved module, `<thread> <url>` (see preload.mjs).
import { appendFileSync } from 'node:fs';

let out = '';
let thread = '';

export const initialize = (data) => {
  out = data.out;
  thread = data.thread;
};

export const resolve = async (specifier, context, next) => {
  const resolved = await next(specifier, context);
  appendFileSync(out, `${thread} ${resolved.url}\n`);
  return resolved;
};
