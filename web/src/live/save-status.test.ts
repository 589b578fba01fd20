import { describe, expect, it } from 'vitest';
import { AckCounter, expectsAck, leadingVarUints, saveStatus, type SaveInputs } from './save-status';

const base: SaveInputs = { connected: true, synced: true, pending: 0, readOnly: false, failed: null };

describe('frames', () => {
  it('reads multi-byte varuints', () => {
    expect(leadingVarUints(new Uint8Array([0x80, 0x01, 5]), 2)).toEqual([128, 5]);
    expect(leadingVarUints(new Uint8Array([0]), 2)).toEqual([0]);
    expect(leadingVarUints(new Uint8Array([0x80]), 1)).toEqual([]);
  });

  it('expects acks for updates and sync step 2 only', () => {
    expect(expectsAck(new Uint8Array([0, 2, 1, 0]))).toBe(true);
    expect(expectsAck(new Uint8Array([0, 1, 2, 0, 0]))).toBe(true);
    expect(expectsAck(new Uint8Array([0, 0, 1, 0]))).toBe(false); // step 1
    expect(expectsAck(new Uint8Array([1, 3, 1, 1, 1]))).toBe(false); // awareness
    expect(expectsAck(new Uint8Array([3]))).toBe(false); // query awareness
    expect(expectsAck(new Uint8Array([]))).toBe(false);
  });
});

describe('AckCounter', () => {
  it('counts sent frames down with acks, never below zero, and resets', () => {
    const c = new AckCounter();
    c.sent(new Uint8Array([0, 1, 2, 0, 0]));
    c.sent(new Uint8Array([0, 2, 1, 0]));
    c.sent(new Uint8Array([1, 1, 0]));
    expect(c.pending).toBe(2);
    c.acked();
    expect(c.pending).toBe(1);
    c.reset();
    c.acked();
    expect(c.pending).toBe(0);
  });
});

describe('saveStatus', () => {
  it('says Saved only when connected, synced and nothing is pending', () => {
    expect(saveStatus(base)).toEqual({ kind: 'saved', label: 'Saved' });
    expect(saveStatus({ ...base, pending: 1 }).label).toBe('Saving…');
    expect(saveStatus({ ...base, synced: false }).label).toBe('Saving…');
  });

  it('keeps changes while offline, whatever is pending', () => {
    expect(saveStatus({ ...base, connected: false, pending: 3 }).label).toBe('Offline — changes kept');
    expect(saveStatus({ ...base, connected: false, synced: false }).kind).toBe('offline');
  });

  it('viewers are read-only, never saving', () => {
    expect(saveStatus({ ...base, readOnly: true, pending: 1 }).label).toBe('Read-only');
    expect(saveStatus({ ...base, readOnly: true, connected: false }).label).toBe('Offline');
  });

  it('a terminal failure wins', () => {
    expect(saveStatus({ ...base, failed: 'This document was deleted.' })).toEqual({
      kind: 'failed',
      label: 'This document was deleted.',
    });
  });
});
