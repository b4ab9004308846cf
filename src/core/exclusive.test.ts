import { describe, expect, it } from 'vitest';
import { FakeLocks } from '../../test/fake-locks.ts';
import { heldElsewhere, whileHeld } from './exclusive.ts';

describe('whileHeld', () => {
  it('runs while holding the lock, and refuses without running while another holder has it', async () => {
    const locks = new FakeLocks();
    const release = locks.hold('x');
    let ran = 0;
    expect(await whileHeld(locks, 'x', async () => ++ran)).toEqual({ held: false });
    expect(await whileHeld(locks, 'y', async () => ++ran)).toEqual({ held: true, value: 1 });
    expect(await heldElsewhere(locks, 'x')).toBe(true);
    release();
    expect(await heldElsewhere(locks, 'x')).toBe(false);
    expect(await whileHeld(locks, 'x', async () => ++ran)).toEqual({ held: true, value: 2 });
  });

  it('holds until the work settles, also when it throws', async () => {
    const locks = new FakeLocks();
    let finish!: () => void;
    const running = whileHeld(locks, 'x', () => new Promise<void>((r) => (finish = r)));
    await Promise.resolve();
    expect(await heldElsewhere(locks, 'x')).toBe(true);
    finish();
    await running;
    await expect(whileHeld(locks, 'x', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await heldElsewhere(locks, 'x')).toBe(false);
  });

  it('without Web Locks just runs', async () => {
    expect(await whileHeld(undefined, 'x', async () => 7)).toEqual({ held: true, value: 7 });
  });
});
