#!/usr/bin/env node
/* global process */
// @ts-check
// The package's `hookbase` command, and what `npm start` runs: the server's build (build/bundle.mjs), plain
// JavaScript run by `node` on every thread, bundled again first when a source changed since the last build.
import { runBundled } from '../build/run.mjs';

await runBundled('hookbase', 'hookbase', process.argv.slice(2));
