// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Layers point one way: jet <- {engine, esent, machines} <- coordinator <- backup <- {cli, inspect, fleet}.
const layer = (files, forbidden) => ({
  files,
  rules: {
    'no-restricted-imports': [
      'error',
      { patterns: forbidden.map((group) => ({ group: [group], message: 'imports must point up the layers (see README, Architecture)' })) },
    ],
  },
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'test/native/build/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  // src/ffi: the one place koffi is required and configured (for the binding and the engine's lock).
  layer(
    ['src/ffi/**'],
    [
      '**/jet/**',
      '**/engine/**',
      '**/esent/**',
      '**/machines/**',
      '**/coordinator/**',
      '**/backup/**',
      '**/cli/**',
      '**/inspect/**',
      '**/fleet/**',
    ],
  ),
  layer(
    ['src/jet/**'],
    ['**/engine/**', '**/esent/**', '**/machines/**', '**/coordinator/**', '**/backup/**', '**/cli/**', '**/inspect/**', '**/fleet/**'],
  ),
  layer(
    ['src/engine/**'],
    ['**/esent/**', '**/machines/**', '**/coordinator/**', '**/backup/**', '**/cli/**', '**/inspect/**', '**/fleet/**'],
  ),
  layer(
    ['src/esent/**'],
    ['**/engine/**', '**/machines/**', '**/coordinator/**', '**/backup/**', '**/cli/**', '**/inspect/**', '**/fleet/**'],
  ),
  layer(
    ['machines/**'],
    [
      '**/engine/**',
      '**/esent/**',
      '**/coordinator/**',
      '**/backup/**',
      '**/cli/**',
      '**/inspect/**',
      '**/fleet/**',
      'node:*',
      'fs',
      'koffi',
    ],
  ),
  layer(['src/coordinator/**'], ['**/engine/**', '**/esent/**', '**/backup/**', '**/cli/**', '**/inspect/**', '**/fleet/**']),
  layer(['src/backup/**'], ['**/cli/**', '**/inspect/**', '**/fleet/**']),
  // The fleet sits beside the faces (cli, inspect): only the CLI may import it.
  layer(['src/inspect/**'], ['**/cli/**', '**/fleet/**']),
  layer(['src/fleet/**'], ['**/cli/**', '**/inspect/**']),
  // diagrams/ draws machines/ (for the inspector and `npm run diagrams`): charts and xstate only.
  layer(['diagrams/**'], ['**/engine/**', '**/esent/**', '**/coordinator/**', '**/backup/**', '**/cli/**', '**/inspect/**', '**/fleet/**']),
);
