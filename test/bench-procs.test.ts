// The bench's /proc reader (tools/bench/procs.ts): the process tree under a root, with resident
// memory and CPU time, as the memory item and the Chromium items read them.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listProcesses, pssOf, readProc, rssOf, treeOf } from '../tools/bench/procs.ts';

describe('procs', () => {
  let child: ChildProcess;
  let grandchild: number;
  beforeAll(async () => {
    // A child shell that starts a grandchild (sleep) and prints its pid.
    child = spawn('sh', ['-c', 'sleep 30 & echo $!; wait'], { stdio: ['ignore', 'pipe', 'ignore'] });
    grandchild = await new Promise<number>((resolve) => child.stdout!.once('data', (b: Buffer) => resolve(Number(String(b).trim()))));
  });
  afterAll(() => {
    try {
      process.kill(grandchild);
    } catch {
      // already gone
    }
    child.kill();
  });

  it('lists this process with its parent, name, memory and CPU time', async () => {
    // Spend user and system time (reads from /proc) so both counters have moved.
    // Reads until 50 ms of system time are spent (a fixed count fell just short once on a busy machine).
    const before = process.cpuUsage();
    for (let i = 0; i < 500_000 && process.cpuUsage(before).system <= 50_000; i++) for (let j = 0; j < 100; j++) readFileSync('/proc/self/statm');
    const spent = process.cpuUsage(before);
    expect(spent.system).toBeGreaterThan(50_000); // µs: what a reader dropping system time would miss
    const me = await readProc(process.pid);
    expect(me).not.toBeNull();
    expect(me!.ppid).toBe(process.ppid);
    const again = await rssOf(process.pid);
    expect(again).not.toBeNull();
    expect(Math.abs(again! - me!.rss)).toBeLessThan(me!.rss / 2);
    // Resident memory within 2x of what Node reports for itself (it moves between the two reads).
    const rss = process.memoryUsage().rss;
    expect(me!.rss).toBeGreaterThan(rss / 2);
    expect(me!.rss).toBeLessThan(rss * 2);
    // CPU time, user + system, close to Node's own count (ticks of 10 ms).
    const u = process.cpuUsage();
    expect(Math.abs(me!.cpuS - (u.user + u.system) / 1e6)).toBeLessThan(0.1);
    expect(me!.kind).toBe('');
  });

  it('finds the descendants of a root at any depth, and only them', async () => {
    const all = await listProcesses();
    const tree = treeOf(child.pid!, all);
    expect(tree[0]!.pid).toBe(child.pid);
    expect(tree.map((p) => p.pid)).toContain(grandchild);
    expect(tree.find((p) => p.pid === grandchild)!.name).toBe('sleep');
    expect(tree.map((p) => p.pid)).not.toContain(process.pid);
    // From this process, the child and the grandchild are both below it.
    const mine = treeOf(process.pid, all).map((p) => p.pid);
    expect(mine).toEqual(expect.arrayContaining([process.pid, child.pid, grandchild]));
  });

  it('reads an ended process as null', async () => {
    const gone = spawn('true');
    await new Promise((r) => gone.once('exit', r));
    // Reaped by Node on exit: /proc/<pid> no longer exists.
    expect(await readProc(gone.pid!)).toBeNull();
    expect(await rssOf(gone.pid!)).toBeNull();
    expect(await pssOf(gone.pid!)).toBeNull();
  });

  it('splits shared pages between the processes that map them (PSS), where RSS counts them in each', async () => {
    // The child shell and the sleep it started map the same libc (and the shell its own binary's
    // pages shared with other shells): each one's PSS is below its RSS; a private-heavy process
    // (this Node) has a PSS close to its RSS.
    for (const pid of [child.pid!, grandchild]) {
      const [rss, pss] = [await rssOf(pid), await pssOf(pid)];
      expect(pss).toBeGreaterThan(0);
      expect(pss!).toBeLessThan(rss!);
    }
    const [rss, pss] = [await rssOf(process.pid), await pssOf(process.pid)];
    expect(pss!).toBeGreaterThan(rss! / 2);
    expect(pss!).toBeLessThanOrEqual(rss! * 1.05);
  });
});
