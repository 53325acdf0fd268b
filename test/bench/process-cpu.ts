import { readFileSync } from 'node:fs';

/** A process's user + system CPU seconds (Linux /proc; 0 elsewhere, or once it has exited). */
export function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}
