export * from './anchor.js';
export * from './chain.js';
export * from './merkle.js';
