import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../config.ts';

export const MASTER_KEY_BYTES = 32;
export const MASTER_KEY_FILE = 'master.key';

/**
 * The credential encryption key: EXEC_MCP_MASTER_KEY when given, else `<dataDir>/master.key`
 * (base64 of 32 random bytes, mode 0600), created on first run. A key file that is the wrong
 * size or readable by group/others is refused rather than used: a leaked key decrypts every secret.
 */
export function loadMasterKey(opts: { masterKey?: Buffer; dataDir: string }): Buffer {
  if (opts.masterKey !== undefined) {
    if (opts.masterKey.length !== MASTER_KEY_BYTES)
      throw new ConfigError('EXEC_MCP_MASTER_KEY', `must be base64 of exactly ${MASTER_KEY_BYTES} bytes`);
    return Buffer.from(opts.masterKey);
  }
  const file = path.join(opts.dataDir, MASTER_KEY_FILE);
  if (!fs.existsSync(file)) {
    const created = createKeyFile(file);
    if (created) return created;
  }
  return readKeyFile(file);
}

/** Writes a fresh key with O_EXCL; returns undefined if another process created it first. */
function createKeyFile(file: string): Buffer | undefined {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const key = crypto.randomBytes(MASTER_KEY_BYTES);
  try {
    fs.writeFileSync(file, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw new ConfigError('EXEC_MCP_MASTER_KEY', `is not set and the key file ${file} cannot be created: ${(e as Error).message}`);
  }
  return key;
}

function readKeyFile(file: string): Buffer {
  const notSet = `is not set and the key file ${file}`;
  const stat = fs.statSync(file);
  // POSIX permissions only: Windows reports synthetic modes.
  if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
    const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
    throw new ConfigError('EXEC_MCP_MASTER_KEY', `${notSet} has mode ${mode}; it must be readable by its owner only (chmod 600 ${file})`);
  }
  const text = fs.readFileSync(file, 'utf8').trim();
  const key = /^[A-Za-z0-9+/]+={0,2}$/.test(text) ? Buffer.from(text, 'base64') : Buffer.alloc(0);
  if (key.length !== MASTER_KEY_BYTES)
    throw new ConfigError('EXEC_MCP_MASTER_KEY', `${notSet} does not hold base64 of exactly ${MASTER_KEY_BYTES} bytes`);
  return key;
}
