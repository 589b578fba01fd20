import { describe, expect, it } from 'vitest';
import { closeMeaning } from './close-codes';

describe('closeMeaning', () => {
  it('stops for forbidden, missing, deleted, bad and too large', () => {
    for (const code of [4400, 4403, 4404, 4410, 4413]) expect(closeMeaning(code).action, String(code)).toBe('stop');
    expect(closeMeaning(4410).message).toMatch(/deleted/);
  });

  it('refreshes the token on 4401 and reconnects otherwise', () => {
    expect(closeMeaning(4401).action).toBe('refresh');
    for (const code of [4429, 1001, 1006, 1011, 1013]) expect(closeMeaning(code).action).toBe('reconnect');
  });
});
