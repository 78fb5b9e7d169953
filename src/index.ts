// The public API: each layer's index re-exports its public part.
export * from './jet/index.js';
export * from './engine/index.js';
export * from './esent/index.js';
export * from './coordinator/index.js';
export * from './backup/index.js';
export * from './inspect/index.js';
export * from '../machines/index.js';
