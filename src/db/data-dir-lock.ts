import fs from 'node:fs';
import path from 'node:path';
import { DomainError } from '../domain/errors.ts';

const LOCK_FILE = 'exec-mcp.lock';

export interface LockInfo {
  pid: number;
  command: string;
  url?: string;
  started_at: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Who holds the data dir's runtime lock, if a live process does. */
export function readLock(dataDir: string): LockInfo | undefined {
  try {
    const info = JSON.parse(fs.readFileSync(path.join(dataDir, LOCK_FILE), 'utf8')) as LockInfo;
    return typeof info.pid === 'number' && alive(info.pid) ? info : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One order runtime per data dir: two processes executing the same outbox could send a command
 * twice. The lock is a file holding the owner's pid; a lock whose process is gone (SIGKILL) is
 * taken over. Returns a release function.
 */
export function acquireDataDirLock(dataDir: string, info: Omit<LockInfo, 'pid'>): { release: () => void; update: (patch: Partial<LockInfo>) => void } {
  const file = path.join(dataDir, LOCK_FILE);
  const mine: LockInfo = { pid: process.pid, ...info };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      fs.writeFileSync(file, JSON.stringify(mine), { flag: 'wx', mode: 0o600 });
      let current = mine;
      return {
        release: () => {
          const holder = readLock(dataDir);
          if (holder?.pid === process.pid) fs.rmSync(file, { force: true });
        },
        update: (patch) => {
          current = { ...current, ...patch };
          fs.writeFileSync(file, JSON.stringify(current), { mode: 0o600 });
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = readLock(dataDir);
      if (holder && holder.pid !== process.pid) {
        throw new DomainError(
          'INTERNAL',
          `data dir ${dataDir} is in use by exec-mcp ${holder.command} (pid ${holder.pid}${holder.url ? `, ${holder.url}` : ''}); ` +
            'use that process (its MCP endpoint is /mcp) or another --data-dir',
        );
      }
      fs.rmSync(file, { force: true }); // stale: its process is gone
    }
  }
  throw new DomainError('INTERNAL', `could not lock data dir ${dataDir}`);
}
