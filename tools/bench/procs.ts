// The processes of this machine as the bench reads them from /proc (Linux): the memory item sums
// the resident memory of a Chromium's process tree by kind, the Chromium items its RSS and CPU time.
// One reader for both (they each had their own).
import { readdir, readFile } from 'node:fs/promises';

/** /proc/<pid>/statm counts pages of 4 KiB on this machine. */
export const PAGE_BYTES = 4096;
/** /proc/<pid>/stat counts CPU time in clock ticks of 1/100 s (USER_HZ). */
const TICKS_PER_SECOND = 100;

export interface Proc {
  readonly pid: number;
  readonly ppid: number;
  /** The command name (/proc/<pid>/stat's comm, e.g. "chromium", "node"). */
  readonly name: string;
  /** Chromium's process type ("browser", "renderer", "gpu-process", a utility's sub-type); "" for other programs. */
  readonly kind: string;
  /** Resident memory in bytes. */
  readonly rss: number;
  /** User + system CPU time so far, in seconds. */
  readonly cpuS: number;
}

/** One process, or null when it has ended (or is not readable). */
export async function readProc(pid: number): Promise<Proc | null> {
  try {
    const [st, statm] = await Promise.all([readFile(`/proc/${pid}/stat`, 'utf8'), readFile(`/proc/${pid}/statm`, 'utf8')]);
    // Fields after the command's closing parenthesis: state is field 3, ppid 4, utime 14, stime 15.
    const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
    const name = st.slice(st.indexOf('(') + 1, st.lastIndexOf(')'));
    let kind = '';
    if (/chrom/i.test(name)) {
      const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
      kind = /--type=([\w-]+)/.exec(cmd)?.[1] ?? 'browser';
      if (kind === 'utility') kind = /--utility-sub-type=([\w.]+)/.exec(cmd)?.[1] ?? 'utility';
    }
    return {
      pid,
      ppid: Number(f[1]),
      name,
      kind,
      rss: Number(statm.split(' ')[1]) * PAGE_BYTES,
      cpuS: (Number(f[11] ?? 0) + Number(f[12] ?? 0)) / TICKS_PER_SECOND,
    };
  } catch {
    return null; // the process ended while listed
  }
}

/** Every process of the machine. */
export async function listProcesses(): Promise<Proc[]> {
  const pids = (await readdir('/proc')).filter((d) => /^\d+$/.test(d)).map(Number);
  const out: Proc[] = [];
  for (const pid of pids) {
    const p = await readProc(pid);
    if (p) out.push(p);
  }
  return out;
}

/** `root` and all its descendants among `all` (root first). */
export function treeOf(root: number, all: readonly Proc[]): Proc[] {
  const children = new Map<number, Proc[]>();
  for (const p of all) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const tree: Proc[] = [];
  const stack = all.filter((p) => p.pid === root);
  while (stack.length) {
    const p = stack.pop()!;
    tree.push(p);
    stack.push(...(children.get(p.pid) ?? []));
  }
  return tree;
}

/**
 * Proportional set size of `pid` in bytes (/proc/<pid>/smaps_rollup's Pss): its private resident pages
 * plus each shared page divided by the number of processes mapping it. Summed over Chromium's
 * processes it counts every page once, where summed RSS counts a page once per process that maps it
 * (the chromium binary, fonts, shared memory between the processes): an idle headless Chromium here
 * is ~720 MB by summed RSS and ~310 MB by summed PSS. Null when the process has ended.
 */
export async function pssOf(pid: number): Promise<number | null> {
  return (await memoryOf(pid))?.pss ?? null;
}

/**
 * RSS and PSS of `pid` in bytes from one read of smaps_rollup (where it cannot be read: RSS from
 * statm, PSS null); null when the process has ended.
 */
export async function memoryOf(pid: number): Promise<{ readonly rss: number; readonly pss: number | null } | null> {
  const text = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8').catch(() => null);
  const [rss, pss] = [/^Rss:\s+(\d+) kB/m.exec(text ?? '')?.[1], /^Pss:\s+(\d+) kB/m.exec(text ?? '')?.[1]];
  if (rss && pss) return { rss: Number(rss) * 1024, pss: Number(pss) * 1024 };
  const statm = await rssOf(pid);
  return statm === null ? null : { rss: statm, pss: null };
}

/** Resident bytes of `pid` now (statm only: the cheap read between listings), or null when it has ended. */
export async function rssOf(pid: number): Promise<number | null> {
  const statm = await readFile(`/proc/${pid}/statm`, 'utf8').catch(() => null);
  return statm ? Number(statm.split(' ')[1]) * PAGE_BYTES : null;
}
