export * from './jet/index.js';
export * from './engine/index.js';
export * from './esent/index.js';
