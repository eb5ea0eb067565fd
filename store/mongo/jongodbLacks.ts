/**
 * What jongodb (`@jongodb/memory-server-bin-linux-x64-gnu` 0.1.6, "8.0.0-jongodb"), the MongoDB wire server of the
 * test suite, does not implement, as measured with the real `mongodb` driver 6.22 against it. Each is a skip
 * reason for the tests that need the feature; those tests run against a real MongoDB when HOOKBASE_MONGO_URL is set.
 */
const REAL = 'runs against a real MongoDB (HOOKBASE_MONGO_URL, npm run test:production)';

export const JONGODB_LACKS = {
  changeStreams: `on jongodb: no change streams (measured: aggregate with $changeStream answers NotImplemented, code 238); ${REAL}`,
  dropIndexes: `on jongodb: no drop or dropIndexes command (measured: CommandNotFound, code 59), so a dropped collection keeps its indexes; ${REAL}`,
  writeConflicts: `on jongodb: no write conflicts between transactions (measured: two transactions updating one existing document both commit, the last one wins; only the insert of one new document by two is refused, at commit); ${REAL}`,
  insertConflicts: `on jongodb: the conflict between two transactions inserting one new document is not always detected at commit (observed: one of two clean-clone CI runs committed only one of the two); ${REAL}`,
  renameCollection: `on jongodb: no renameCollection (measured: CommandNotFound, code 59); ${REAL}`,
} as const;
