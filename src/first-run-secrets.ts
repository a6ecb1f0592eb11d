/**
 * Secrets a first start creates in the data dir (each 0600, created with O_EXCL): the MCP bearer
 * token, the dashboard admin password's scrypt hash (the password itself is shown once), and the
 * session cookie keys. Values given in the config always win.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from './config.ts';
import { hashPassword } from './web/password.ts';

const TOKEN_FILE = 'mcp-token';
const ADMIN_HASH_FILE = 'admin-password.scrypt';
const SESSION_KEYS_FILE = 'session-keys';

function writePrivateFile(file: string, content: string): void {
  fs.writeFileSync(file, content, { mode: 0o600, flag: 'wx' });
}

/** The MCP bearer token: EXEC_MCP_TOKEN, else generated once into the data dir (0600). */
export function ensureMcpToken(config: Config): { token: string; file?: string; created: boolean } {
  if (config.token) return { token: config.token, created: false };
  const file = path.join(config.dataDir, TOKEN_FILE);
  if (!fs.existsSync(file)) {
    writePrivateFile(file, crypto.randomBytes(32).toString('base64url') + '\n');
    return { token: fs.readFileSync(file, 'utf8').trim(), file, created: true };
  }
  return { token: fs.readFileSync(file, 'utf8').trim(), file, created: false };
}

/** The generated token of a data dir, if any (for `exec-mcp mcp` relaying to a running server). */
export function readMcpTokenFile(dataDir: string): string | undefined {
  try {
    return fs.readFileSync(path.join(dataDir, TOKEN_FILE), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The dashboard password hash: from EXEC_MCP_ADMIN_PASSWORD, else a generated password printed once. */
export function ensureAdminPassword(config: Config): { hash: string; generatedPassword?: string } {
  if (config.adminPassword) return { hash: hashPassword(config.adminPassword) };
  const file = path.join(config.dataDir, ADMIN_HASH_FILE);
  if (fs.existsSync(file)) return { hash: fs.readFileSync(file, 'utf8').trim() };
  const password = crypto.randomBytes(12).toString('base64url');
  const hash = hashPassword(password);
  writePrivateFile(file, hash + '\n');
  return { hash, generatedPassword: password };
}

/** Keys that sign dashboard session cookies: generated once, so sessions survive a restart. */
export function ensureSessionKeys(dataDir: string): string[] {
  const file = path.join(dataDir, SESSION_KEYS_FILE);
  if (!fs.existsSync(file)) writePrivateFile(file, crypto.randomBytes(32).toString('base64url') + '\n');
  return [fs.readFileSync(file, 'utf8').trim()];
}
