// Every test process gets the V8 flags the composition root sets at start (cli/v8Flags.ts): unit tests of filters
// and transforms run without a server.
import { setProcessV8Flags } from '../cli/v8Flags';

setProcessV8Flags();
