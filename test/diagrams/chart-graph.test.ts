// chartGraph walks xstate's machine definition: every state, every kind of transition, merged events.
import { describe, expect, it } from 'vitest';
import { chartGraph, edgeScope, eventLabel, implementationName } from '../../diagrams/index.js';
import { instanceBackup } from '../../machines/index.js';
import { sampleMachine } from './sample-machine.js';

const graph = chartGraph(sampleMachine);
const edge = (source: string, target: string) => graph.edges.filter((e) => e.source === source && e.target === target);

describe('chartGraph', () => {
  it('lists every state with its type, initial child, history kind, invokes and entry actions', () => {
    expect([...graph.states.keys()]).toEqual([
      '',
      'idle',
      'work',
      'work.a',
      'work.a.a1',
      'work.a.a2',
      'work.a.hist',
      'work.b',
      'work.b.b1',
      'work.b.b2',
      'done',
    ]);
    expect(graph.root).toMatchObject({ key: 'sample', type: 'compound', initial: 'idle' });
    expect(graph.states.get('work')?.type).toBe('parallel');
    expect(graph.states.get('work.a')?.initial).toBe('work.a.a1');
    expect(graph.states.get('work.a.a2')?.type).toBe('final');
    expect(graph.states.get('work.a.hist')).toMatchObject({ type: 'history', history: 'deep' });
    expect(graph.states.get('work.a.a1')?.invokes).toEqual(['fetcher#load']);
    expect(graph.states.get('work.b.b1')?.entry).toEqual(['log']);
  });

  it('labels after, always, invoke onDone/onError and compound onDone; names higher-order guards', () => {
    expect(edge('idle', 'done')[0]?.events).toEqual(['after 500 ms']);
    expect(edge('work.a.a1', 'work.a.a2')[0]?.events).toEqual(['done: load']);
    expect(edge('work.a.a1', 'work.a.a1')[0]).toMatchObject({ events: ['error: load'], guard: 'not(ready)' });
    expect(edge('work.b.b1', 'work.b.b2')[0]).toMatchObject({ events: ['always'], guard: 'and(ready, other)' });
    expect(edge('work', 'done')[0]?.events).toEqual(['done']);
  });

  it('merges events that share source, target, guard and actions; keeps targetless transitions inside the state', () => {
    expect(edge('idle', 'work')).toEqual([
      { source: 'idle', target: 'work', events: ['GO', 'GO2'], guard: 'ready', actions: ['log'], internal: false },
    ]);
    expect(graph.states.get('idle')?.internal).toEqual([
      { source: 'idle', target: 'idle', events: ['PING'], guard: null, actions: ['log'], internal: true },
    ]);
    expect(graph.edges.every((e) => !e.internal)).toBe(true);
  });

  it('walks the instance-backup chart: three regions, the session parallel, the call region merged', () => {
    const ib = chartGraph(instanceBackup);
    expect(ib.root.children.map((c) => c.key)).toEqual(['backup', 'call', 'latch']);
    expect(ib.states.get('backup.session')?.type).toBe('parallel');
    expect(ib.states.get('backup.session.stop.stopped')?.entry).toEqual(['countStop', 'stopBackup']);
    const toBusy = ib.edges.find((e) => e.source === 'call.idle' && e.target === 'call.busy');
    expect(toBusy?.events).toHaveLength(10);
    expect(
      ib.edges.find((e) => e.source === 'backup.session' && e.target === 'backup.noSession.killed' && e.events.includes('JET_ERROR'))
        ?.guard,
    ).toBe('answered(call=OPEN_FILE, errs=-521|-569)');
    expect(ib.edges.find((e) => e.source === 'backup.noSession' && e.target === 'backup.session.phase.logs.incremental')?.guard).toBe(
      'incrementalBegin',
    );
  });
});

describe('edgeScope: the block an edge is written in', () => {
  const scope = (source: string, target: string) => {
    const found = edgeScope(graph, { source, target, events: ['E'], guard: null, actions: [], internal: false });
    return found && { scope: found.scope.path, region: found.region?.path ?? null };
  };
  it('siblings: their parent; across levels: the deepest block holding both ends strictly', () => {
    expect(scope('idle', 'done')).toEqual({ scope: '', region: null });
    expect(scope('idle', 'work.b.b2')).toEqual({ scope: '', region: null });
    expect(scope('work.b.b2', 'work.a.a1')).toEqual({ scope: 'work', region: 'work.b' });
  });
  it('a state to its own descendant, or to itself: the block above the state', () => {
    expect(scope('work.a', 'work.a.a1')).toEqual({ scope: 'work', region: 'work.a' });
    expect(scope('work.a.a1', 'work.a.a1')).toEqual({ scope: 'work.a', region: null });
    expect(scope('', 'idle')).toBeNull();
  });
});

describe('eventLabel and implementationName', () => {
  it('name xstate internals the way the author wrote them', () => {
    expect(eventLabel('')).toBe('always');
    expect(eventLabel('xstate.after.1000.m.s')).toBe('after 1000 ms');
    expect(eventLabel('xstate.error.actor.x')).toBe('error: x');
    expect(implementationName({ type: 'isReady', params: { a: 1 } })).toBe('isReady(a=1)');
    expect(implementationName({ type: 'answered', params: { call: 'OPEN_FILE', errs: [-521, -569] } })).toBe(
      'answered(call=OPEN_FILE, errs=-521|-569)',
    );
    expect(implementationName({ type: 'fromData', params: () => ({ a: 1 }) })).toBe('fromData');
    expect(
      implementationName(function namedGuard() {
        return true;
      }),
    ).toBe('namedGuard');
    expect(implementationName(Object.assign(() => {}, { type: 'xstate.assign' }))).toBe('assign');
  });
});
