import { and, fromPromise, not, setup } from 'xstate';

/**
 * A small chart with every construct the converters handle: compound, parallel, final and history
 * states, `after`, `always`, invoke with `onDone` / `onError`, higher-order guards, entry actions,
 * targetless transitions, merged events, and edges across levels in both directions.
 */
export const sampleMachine = setup({
  actors: { fetcher: fromPromise(async () => 1) },
  guards: { ready: () => true, other: () => false },
  actions: { log: () => {} },
}).createMachine({
  id: 'sample',
  initial: 'idle',
  states: {
    idle: {
      on: {
        GO: { target: 'work', guard: 'ready', actions: 'log' },
        GO2: { target: 'work', guard: 'ready', actions: 'log' },
        DEEP: 'work.b.b2',
        PING: { actions: 'log' },
      },
      after: { 500: 'done' },
    },
    work: {
      type: 'parallel',
      on: { ABORT: '#sample.idle' },
      onDone: 'done',
      states: {
        a: {
          initial: 'a1',
          on: { RESTART: '.a1' },
          states: {
            a1: { invoke: { src: 'fetcher', id: 'load', onDone: 'a2', onError: { target: 'a1', guard: not('ready'), reenter: true } } },
            a2: { type: 'final' },
            hist: { type: 'history', history: 'deep' },
          },
        },
        b: {
          initial: 'b1',
          states: {
            b1: { entry: 'log', always: { guard: and(['ready', 'other']), target: 'b2' } },
            b2: { on: { BACK: '#sample.work.a.a1' } },
          },
        },
      },
    },
    done: { type: 'final' },
  },
});
