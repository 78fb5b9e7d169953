export * from './jet/index.js';
export * from './engine/index.js';
