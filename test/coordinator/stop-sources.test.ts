// The ready-made stop sources: each emits StopReasons, cleans up on unsubscribe, and stops through stopWhen.
import { EventEmitter } from 'node:events';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { deadline, fromAbortSignal, fromEmitter, fromSignals, platformSignals, toStopReason } from '../../src/coordinator/index.js';

const scheduler = () => new TestScheduler((a, b) => expect(a).toEqual(b));

describe('fromSignals', () => {
  it('emits a shutdown reason per signal; unsubscribing removes every listener', () => {
    const target = new EventEmitter();
    const seen: unknown[] = [];
    const sub = fromSignals(['SIGINT', 'SIGTERM'], { target, platform: 'linux' }).subscribe((r) => seen.push(r));
    expect(target.listenerCount('SIGINT')).toBe(1);
    target.emit('SIGTERM');
    target.emit('SIGINT');
    expect(seen).toEqual([
      { source: 'signal', detail: 'SIGTERM', shutdown: true },
      { source: 'signal', detail: 'SIGINT', shutdown: true },
    ]);
    sub.unsubscribe();
    expect(target.eventNames()).toEqual([]);
  });

  it('on Windows SIGTERM stands for SIGBREAK and SIGHUP (SIGTERM never fires there)', () => {
    expect(platformSignals(['SIGINT', 'SIGTERM'], 'win32')).toEqual(['SIGINT', 'SIGBREAK', 'SIGHUP']);
    expect(platformSignals(['SIGINT', 'SIGTERM'], 'linux')).toEqual(['SIGINT', 'SIGTERM']);
    const target = new EventEmitter();
    const sub = fromSignals(undefined, { target, platform: 'win32' }).subscribe();
    expect(target.eventNames().sort()).toEqual(['SIGBREAK', 'SIGHUP', 'SIGINT']);
    sub.unsubscribe();
  });

  it('misuse is a TypeError', () => {
    expect(() => fromSignals('SIGINT' as unknown as NodeJS.Signals[])).toThrow(TypeError);
  });
});

describe('fromAbortSignal', () => {
  it('emits once with the abort reason, then completes and removes its listener', () => {
    const controller = new AbortController();
    const seen: unknown[] = [];
    let completed = false;
    fromAbortSignal(controller.signal).subscribe({ next: (r) => seen.push(r), complete: () => (completed = true) });
    controller.abort(new Error('operator'));
    expect(seen).toEqual([{ source: 'abort', detail: 'operator', shutdown: false }]);
    expect(completed).toBe(true);
  });

  it('an already aborted signal emits at once', () => {
    const seen: unknown[] = [];
    fromAbortSignal(AbortSignal.abort('gone')).subscribe((r) => seen.push(r));
    expect(seen).toEqual([{ source: 'abort', detail: 'gone', shutdown: false }]);
  });
});

describe('deadline', () => {
  it('emits once after the delay, in virtual time', () => {
    scheduler().run(({ expectObservable }) => {
      expectObservable(deadline(30)).toBe('30ms (a|)', { a: { source: 'deadline', detail: '30 ms', shutdown: false } });
    });
  });

  it('emits at a Date', () => {
    scheduler().run(({ expectObservable }) => {
      const at = new Date(25);
      expectObservable(deadline(at)).toBe('25ms (a|)', { a: { source: 'deadline', detail: at.toISOString(), shutdown: false } });
    });
  });

  it('rejects a negative or invalid due', () => {
    expect(() => deadline(-1)).toThrow(RangeError);
    expect(() => deadline(new Date(Number.NaN))).toThrow(RangeError);
  });
});

describe('fromEmitter', () => {
  it('emits on each event of any EventEmitter; the shutdown flag is an option', () => {
    const emitter = new EventEmitter();
    const seen: unknown[] = [];
    const sub = fromEmitter(emitter, 'stop', { shutdown: true }).subscribe((r) => seen.push(r));
    emitter.emit('stop');
    emitter.emit('other');
    expect(seen).toEqual([{ source: 'event', detail: 'stop', shutdown: true }]);
    sub.unsubscribe();
    expect(emitter.listenerCount('stop')).toBe(0);
  });
});

describe('toStopReason', () => {
  it('keeps reasons, reads strings as manual stops and anything else as an event', () => {
    expect(toStopReason({ source: 'signal', detail: 'SIGINT', shutdown: true })).toEqual({
      source: 'signal',
      detail: 'SIGINT',
      shutdown: true,
    });
    expect(toStopReason('operator')).toEqual({ source: 'manual', detail: 'operator', shutdown: false });
    expect(toStopReason(42)).toEqual({ source: 'event', detail: '42', shutdown: false });
    expect(toStopReason(undefined, 'manual')).toEqual({ source: 'manual', shutdown: false });
  });
});
