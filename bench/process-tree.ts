/**
 * A process and its descendants, read from /proc (Linux): CPU time in µs (throughput on a shared
 * two-core VM swings ±20 % between runs; CPU spent per request is steadier, so the proxy table
 * reports both) and resident memory.
 */
import { readFileSync, readdirSync } from 'node:fs';

const TICK_US = 1e6 / 100; // USER_HZ is 100 on Linux

function ownCpu(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_US;
  } catch {
    return 0; // the process ended
  }
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const list = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (list) for (const c of list.split(' ')) out.push(Number(c));
    }
  } catch {
    // ended
  }
  return out;
}

/** CPU µs used so far by `pid` and every live descendant. */
export function treeCpu(pid: number): number {
  let total = ownCpu(pid);
  for (const c of childrenOf(pid)) total += treeCpu(c);
  return total;
}

/** Resident memory (kB) of `pid` and of each live descendant, with their command lines. */
export function treeRss(pid: number): { pid: number; rssKb: number; command: string }[] {
  let rssKb = 0;
  let command = '';
  try {
    rssKb = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return []; // ended
  }
  return [{ pid, rssKb, command }, ...childrenOf(pid).flatMap((c) => treeRss(c))];
}

/**
 * Wait until the trees of `pids` are idle (under 2 % of a core for 500 ms, at most `maxMs`):
 * a control plane still ingesting the analytics of a run finishes that work inside the run's
 * figures rather than in the next one's.
 */
export async function settle(pids: number[], maxMs = 30_000): Promise<void> {
  const total = () => pids.reduce((sum, pid) => sum + treeCpu(pid), 0);
  const deadline = Date.now() + maxMs;
  let last = total();
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    const now = total();
    if (now - last < 10_000) return;
    last = now;
  }
}
