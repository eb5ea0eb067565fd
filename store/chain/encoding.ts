// The chain's encoding lives in the SDK's sources (pure, browser-safe) so that the server and an auditor's browser
// hash the same bytes with the same code: docs/audit.md, "Where the code is".
export * from '../../sdk/src/audit/chain.js';
