export * from './anchor.js';
export * from './chain.js';
export * from './merkle.js';
// Receipts and bundles (docs/audit.md, "Receipts and bundles"): verified offline, folded by the domain's evolve functions.
export * from './anchoring.js';
export * from './bundle.js';
export * from './receipt.js';
export * from './report.js';
export * from './streams.js';
