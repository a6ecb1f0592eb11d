/**
 * `exec-mcp accounts ...`: the operator CLI for headless hosts. It goes through the same
 * AccountsService (and so the same validation and audit rows) as the dashboard. The API secret is
 * read from standard input, never from argv (other users can see a process's arguments).
 */
import type { Readable, Writable } from 'node:stream';
import { BOOLEAN_CONFIG_FLAGS, type Config, FLAG_TO_VAR, loadConfig } from '../config.ts';
import type { Account } from '../domain/account.ts';
import type { AccountDetail, AccountInput, AccountPatch, AccountsService, CredentialsInput } from '../services/ports.ts';
import { cliFailureExitCode, parseArgs, splitConfigFlags, UsageError } from './args.ts';
import { commandHelp } from './command-table.ts';

/** What this command needs from the composition root (src/main.ts createApp). */
export interface AccountsApp {
  services: { accounts: AccountsService };
  close(): Promise<void>;
}
export interface CliIo {
  stdin: Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  stdout: Writable;
  stderr: Writable;
  openApp: (config: Config, opts?: { allowMasterKeyMismatch?: boolean }) => Promise<AccountsApp>;
}

const ACTOR = 'cli';
const USAGE = commandHelp('accounts').trimEnd();

/** Per subcommand: positional arguments it takes and the flags it accepts. */
const SUBCOMMANDS: Record<string, { refs: number; flags: string[] }> = {
  list: { refs: 0, flags: ['json'] },
  show: { refs: 1, flags: ['json'] },
  add: { refs: 0, flags: ['name', 'exchange', 'exchange-account-id', 'parent', 'mode', 'balance', 'require-confirmation', 'participation', 'queue', 'queue-touch-fraction', 'rules-from'] },
  update: { refs: 1, flags: ['name', 'exchange-account-id', 'parent', 'mode', 'require-confirmation'] },
  enable: { refs: 1, flags: [] },
  disable: { refs: 1, flags: [] },
  remove: { refs: 1, flags: [] },
  'set-credentials': { refs: 1, flags: ['api-key', 'uid', 'with-password'] },
  'forget-credentials': { refs: -1, flags: ['all'] },
};


/** The real composition root, loaded lazily so `--help`-style failures never build the app. */
async function openRealApp(config: Config, opts: { allowMasterKeyMismatch?: boolean } = {}): Promise<AccountsApp> {
  const main = (await import(new URL('../main.ts', import.meta.url).href)) as {
    createApp(config: Config, opts: { start: boolean; allowMasterKeyMismatch?: boolean }): Promise<AccountsApp>;
  };
  return main.createApp(config, { start: false, ...opts });
}

export async function run(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return runAccounts(args, env, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, openApp: openRealApp });
}

export async function runAccounts(args: string[], env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  let app: AccountsApp | undefined;
  try {
    const parsed = parseArgs(args, new Set([...BOOLEAN_CONFIG_FLAGS, 'json', 'all', 'with-password']));
    const { config: configFlags, own } = splitConfigFlags(parsed.flags, Object.keys(FLAG_TO_VAR));
    const [sub, ...refs] = parsed.positional;
    const spec = sub === undefined ? undefined : SUBCOMMANDS[sub];
    if (!spec || sub === undefined) throw new UsageError(sub === undefined ? 'missing accounts command' : `unknown accounts command "${sub}"`);
    if (sub === 'forget-credentials') {
      // One reference, or --all: never both, never neither (deleting everything must be asked for).
      if ((own.all === true) === (refs.length === 1) || refs.length > 1) throw new UsageError('accounts forget-credentials takes one account reference or --all');
    } else if (refs.length !== spec.refs) throw new UsageError(spec.refs === 0 ? `unexpected argument ${refs[0]}` : `accounts ${sub} takes one account reference`);
    const unknown = Object.keys(own).find((f) => !spec.flags.includes(f));
    if (unknown !== undefined) throw new UsageError(`accounts ${sub} does not take --${unknown}`);
    const str = (flag: string): string | undefined => {
      const v = own[flag];
      if (v === true) throw new UsageError(`--${flag} needs a value`);
      return v === false ? undefined : v;
    };
    const confirmFlag = str('require-confirmation');
    const requireConfirmation = confirmFlag === undefined ? undefined : onOff('require-confirmation', confirmFlag);
    const config = loadConfig(env, configFlags);
    // Read the secret before building the app, so a missing secret fails fast and changes nothing.
    const secret = sub === 'set-credentials' ? await readSecret(io) : undefined;
    // Forgetting must work exactly when the key no longer matches: the credentials are deleted unread.
    app = await io.openApp(config, { allowMasterKeyMismatch: sub === 'forget-credentials' });
    const accounts = app.services.accounts;
    const ref = refs[0] ?? '';
    switch (sub) {
      case 'list': {
        const list = accounts.list();
        io.stdout.write(own.json === true ? JSON.stringify({ accounts: list }, null, 2) + '\n' : formatTable(list));
        break;
      }
      case 'show': {
        const d = accounts.get(ref);
        io.stdout.write(own.json === true ? JSON.stringify(d, null, 2) + '\n' : formatDetail(d));
        break;
      }
      case 'add': {
        const name = str('name');
        const exchange = str('exchange');
        const exchangeAccountId = str('exchange-account-id');
        if (name === undefined || exchange === undefined || exchangeAccountId === undefined)
          throw new UsageError('accounts add needs --name, --exchange and --exchange-account-id');
        const input: Record<string, unknown> = { name, exchange, exchange_account_id: exchangeAccountId };
        const parent = str('parent');
        const mode = str('mode');
        if (parent !== undefined && parent !== '') input.parent = parent;
        if (mode !== undefined) input.mode = mode;
        if (parsed.multi.balance) input.initial_balances = parseBalances(parsed.multi.balance);
        if (requireConfirmation !== undefined) input.require_confirmation = requireConfirmation;
        const rulesFrom = str('rules-from');
        if (rulesFrom !== undefined) input.rules_from = rulesFrom;
        const simulation = parseSimulation(str('participation'), str('queue'), str('queue-touch-fraction'));
        if (simulation) input.simulation = simulation;
        const a = accounts.create(input as unknown as AccountInput, ACTOR);
        io.stdout.write(`created account ${a.name} (${a.exchange}:${a.exchange_account_id}, mode ${a.mode})\n`);
        break;
      }
      case 'update': {
        const patch: Record<string, unknown> = {};
        const name = str('name');
        const exchangeAccountId = str('exchange-account-id');
        const parent = str('parent');
        const mode = str('mode');
        if (name !== undefined) patch.name = name;
        if (exchangeAccountId !== undefined) patch.exchange_account_id = exchangeAccountId;
        if (parent !== undefined) patch.parent = parent; // "" removes the parent
        if (mode !== undefined) patch.mode = mode;
        if (requireConfirmation !== undefined) patch.require_confirmation = requireConfirmation;
        if (Object.keys(patch).length === 0)
          throw new UsageError('accounts update needs at least one of --name, --exchange-account-id, --parent, --mode, --require-confirmation');
        const a = accounts.update(ref, patch as AccountPatch, ACTOR);
        io.stdout.write(`updated account ${a.name} (${a.exchange}:${a.exchange_account_id})\n`);
        break;
      }
      case 'enable':
      case 'disable': {
        const a = accounts.setEnabled(ref, sub === 'enable', ACTOR);
        io.stdout.write(`account ${a.name} (${a.exchange}:${a.exchange_account_id}) is ${a.enabled ? 'enabled' : 'disabled'}\n`);
        break;
      }
      case 'remove': {
        const before = accounts.get(ref);
        accounts.remove(ref, ACTOR);
        io.stdout.write(`removed account ${before.name} (${before.exchange}:${before.exchange_account_id})\n`);
        break;
      }
      case 'set-credentials': {
        const apiKey = str('api-key');
        if (apiKey === undefined) throw new UsageError('accounts set-credentials needs --api-key K (the secret comes on standard input)');
        // One signed read-only call proves whose key it is; a key of another user is refused unstored.
        // --with-password: the exchange's passphrase is the second line of standard input (never argv).
        const [apiSecret = '', password] = own['with-password'] === true ? (secret ?? '').split(/\r?\n/) : [secret ?? ''];
        if (own['with-password'] === true && (password === undefined || password === '')) throw new UsageError('--with-password: the password is the second line of standard input');
        const creds: CredentialsInput = { api_key: apiKey, api_secret: apiSecret };
        if (password !== undefined) creds.api_password = password;
        const uid = str('uid');
        if (uid !== undefined) creds.api_uid = uid;
        const check = await accounts.setCredentialsChecked(ref, creds, ACTOR);
        const d = accounts.get(ref);
        io.stdout.write(`credentials set for ${d.name} (${d.exchange}:${d.exchange_account_id}), api key ${d.api_key_hint ?? ''}; ${check.message}\n`);
        break;
      }
      case 'forget-credentials': {
        const forgotten = accounts.forgetCredentials(own.all === true ? undefined : ref, ACTOR);
        io.stdout.write(
          forgotten.length === 0
            ? 'no stored credentials to forget\n'
            : `forgot the stored credentials of ${forgotten.join(', ')}; set them again with "exec-mcp accounts set-credentials REF --api-key K"\n`,
        );
        break;
      }
    }
    return 0;
  } catch (e) {
    return cliFailureExitCode(e, USAGE, io.stderr);
  } finally {
    await app?.close();
  }
}

/** Paper fill-model flags; numbers are checked here for form, their bounds by the service. */
function parseSimulation(participation?: string, queue?: string, fraction?: string): Record<string, unknown> | undefined {
  const num = (flag: string, v: string): number => {
    if (!/^\d+(\.\d+)?$/.test(v)) throw new UsageError(`--${flag} ${v} must be a number, e.g. 0.25`);
    return Number(v);
  };
  const out: Record<string, unknown> = {};
  if (participation !== undefined) out.participation = num('participation', participation);
  if (queue !== undefined) out.queue = queue;
  if (fraction !== undefined) out.queue_touch_fraction = num('queue-touch-fraction', fraction);
  return Object.keys(out).length > 0 ? out : undefined;
}

/** CUR=AMOUNT pairs; amounts are validated by the service (decimal strings). */
function parseBalances(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const m = /^([A-Za-z0-9]+)=(.+)$/.exec(p);
    if (!m) throw new UsageError(`--balance ${p} must look like CUR=AMOUNT, e.g. USD=10000`);
    out[m[1]!.toUpperCase()] = m[2]!;
  }
  return out;
}

/** The whole of standard input (piped), or one line typed without echo (terminal); one trailing newline removed. */
async function readSecret(io: CliIo): Promise<string> {
  const raw = io.stdin.isTTY && io.stdin.setRawMode ? await readHiddenLine(io) : await readAll(io.stdin);
  const secret = raw.replace(/\r?\n$/, '');
  if (secret === '')
    throw new UsageError('no API secret on standard input; pipe it in, e.g. `exec-mcp accounts set-credentials REF --api-key K < secret.txt`');
  return secret;
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

function readHiddenLine(io: CliIo): Promise<string> {
  const stdin = io.stdin;
  io.stderr.write('API secret (not echoed): ');
  stdin.setRawMode?.(true);
  stdin.resume();
  return new Promise((resolve, reject) => {
    let line = '';
    const done = (err?: Error): void => {
      stdin.off('data', onData);
      stdin.setRawMode?.(false);
      stdin.pause();
      io.stderr.write('\n');
      if (err) reject(err);
      else resolve(line);
    };
    const onData = (chunk: Buffer | string): void => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new UsageError('cancelled'));
        if (ch === '\u007f' || ch === '\b') line = line.slice(0, -1);
        else line += ch;
      }
    };
    stdin.on('data', onData);
  });
}

function onOff(flag: string, v: string): boolean {
  if (v === 'on' || v === 'true' || v === 'yes') return true;
  if (v === 'off' || v === 'false' || v === 'no') return false;
  throw new UsageError(`--${flag} takes on or off, not ${v.slice(0, 40)}`);
}

function formatTable(accounts: Account[]): string {
  if (accounts.length === 0) return 'no accounts\n';
  const rows = [
    ['NAME', 'REFERENCE', 'MODE', 'ENABLED', 'PARENT'],
    ...accounts.map((a) => [a.name, `${a.exchange}:${a.exchange_account_id}`, a.mode, a.enabled ? 'yes' : 'no', a.parent ?? '-']),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}

function formatDetail(d: AccountDetail): string {
  const lines: Array<[string, string]> = [
    ['name', d.name],
    ['reference', `${d.exchange}:${d.exchange_account_id}`],
    ['mode', d.mode],
    ['enabled', d.enabled ? 'yes' : 'no'],
    ['parent', d.parent ?? '-'],
    ['credentials', d.has_credentials ? `set ${d.credentials_set_at ?? ''} (api key ${d.api_key_hint ?? ''})` : 'none'],
    ['limits', JSON.stringify(d.limits)],
    ['confirmation', d.require_confirmation ? 'required (place_order asks a human)' : 'not required'],
    ...(d.rules_from !== undefined ? [['market rules', `from ${d.rules_from}`] as [string, string]] : []),
    ['created_at', d.created_at],
    ['updated_at', d.updated_at],
  ];
  return lines.map(([k, v]) => `${k.padEnd(12)} ${v}`).join('\n') + '\n';
}
