#!/usr/bin/env node
// The package's `hookbase` command: cli/main.ts run through tsx, as `npm start` runs it.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
