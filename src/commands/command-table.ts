/**
 * The one table of CLI commands: `exec-mcp --help`, `exec-mcp <command> --help` and the usage
 * text of subcommand errors are all printed from it, and a test compares the help with it. The
 * modules that run them are in src/cli.ts (keyed by CommandName, so none can be left out).
 */
export const COMMAND_NAMES = ['serve', 'mcp', 'backtest', 'audit', 'accounts', 'migrate', 'backup', 'restore', 'orders', 'kill-switch', 'risk-limits'] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

export interface CommandEntry {
  name: CommandName;
  summary: string;
  /** One line per form, each after "exec-mcp <name> ". */
  forms: string[];
  /** Lines printed after the forms in `exec-mcp <name> --help`. */
  notes?: string[];
}

const DATA_DIR = '[--data-dir D]';

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'serve',
    summary: 'HTTP dashboard + MCP Streamable HTTP (default)',
    forms: ['[--port N] [--host H] [--data-dir D]'],
    notes: ['every EXEC_MCP_* variable is also a flag'],
  },
  { name: 'mcp', summary: 'MCP over stdio', forms: ['[--read-only] [--data-dir D]'] },
  {
    name: 'backtest',
    summary: 'headless backtest on a market-data file',
    forms: ['--data FILE [--orders ORDERS.jsonl] [--balance CUR=AMOUNT ...] [--seed N] [--fees maker,taker] [--latency-ms N] [--market M] [--slippage-bps N] [--sim-only]'],
  },
  {
    name: 'audit',
    summary: 'check the audit hash chain (exit 1 on tampering, 2 when unreadable), print its head anchor',
    forms: [`verify [--expect-head SEQ:HASH] ${DATA_DIR}`, `head ${DATA_DIR}`],
  },
  {
    name: 'accounts',
    summary: 'list, show, add, update, enable, disable, remove accounts; set or forget credentials',
    forms: [
      'list [--json]',
      'show REF [--json]',
      'add --name N --exchange bitstamp|paper|<EXEC_MCP_EXCHANGES id> --exchange-account-id ID [--parent REF] [--mode live|paper|backtest] [--balance CUR=AMOUNT ...] [--require-confirmation on|off] [--participation P] [--queue none|at_touch] [--queue-touch-fraction F] [--rules-from EXCHANGE]',
      'update REF [--name N] [--exchange-account-id ID] [--parent REF|""] [--mode M] [--require-confirmation on|off]',
      'enable REF',
      'disable REF',
      'remove REF   (refuses accounts with order history: disable those)',
      'set-credentials REF --api-key K [--uid U] [--with-password]   (API secret on standard input; with --with-password, the passphrase on its second line)',
      'forget-credentials REF|--all   (deletes stored credentials unread: the way out of a lost master key)',
    ],
    notes: [
      'REF is an account name or "<exchange>:<exchange_account_id>"; common options: --data-dir D',
      '--require-confirmation on: place_order asks a human to confirm each order (MCP elicitation)',
      '--rules-from EXCHANGE (paper only): market rules (precision, minimums) of that enabled exchange instead of bitstamp',
    ],
  },
  { name: 'migrate', summary: 'apply database migrations and exit', forms: [DATA_DIR] },
  {
    name: 'backup',
    summary: 'online copy of the database (works while serve runs), integrity-checked, mode 0600',
    forms: [`--to FILE [--force] ${DATA_DIR}`],
    notes: ['the master key is not in the backup: keep it apart from the backup files'],
  },
  {
    name: 'restore',
    summary: 'put a backup in place as the database of a data dir that no process is using',
    forms: [`--from FILE [--force] ${DATA_DIR}`],
    notes: ['--force replaces an existing database'],
  },
  {
    name: 'orders',
    summary: 'list orders; cancel one or all open orders of an account (relayed to a running serve)',
    forms: [
      'list [--account REF] [--status open|closed|all] [--market M] [--limit N] [--json]',
      'cancel ORDER_ID [--account REF] [--json]',
      'cancel --account REF --client-order-id C [--json]',
      'cancel-all --account REF [--json]',
    ],
    notes: [
      'cancels go through the running serve of the data dir (control endpoint, MCP token), else this process runs the orders itself',
      'audited with actor "cli"; common options: --data-dir D',
    ],
  },
  {
    name: 'kill-switch',
    summary: 'turn the global or one account\'s kill switch on or off, optionally cancelling all open orders',
    forms: ['on [--account REF] [--cancel-open] [--json]', 'off [--account REF] [--json]', 'show [--json]'],
    notes: ['on refuses every new order (global, or of --account); --cancel-open then cancels the open orders it covers', 'common options: --data-dir D'],
  },
  {
    name: 'risk-limits',
    summary: 'show or set an account\'s risk limits',
    forms: [
      'show REF [--json]',
      'set REF [--max-order-value X] [--max-open-orders N] [--daily-notional X] [--allowed-markets M,M] [--kill-switch on|off] [--json]',
    ],
    notes: ['an empty value ("") removes that cap; amounts are in the quote currency of the market; common options: --data-dir D'],
  },
];

export function findCommand(name: string): CommandEntry | undefined {
  return COMMANDS.find((c) => c.name === name);
}

export function isCommandName(name: string): name is CommandName {
  return (COMMAND_NAMES as readonly string[]).includes(name);
}

/** `exec-mcp --help`: every command and every form of it. */
export function topLevelHelp(): string {
  const lines = ['usage: exec-mcp <command> [options]   (exec-mcp <command> --help for one command)', '', 'commands:'];
  for (const c of COMMANDS) {
    lines.push(`  ${c.name.padEnd(10)} ${c.summary}`);
    for (const f of c.forms) lines.push(`      exec-mcp ${c.name} ${f}`);
  }
  return lines.join('\n') + '\n';
}

/** `exec-mcp <name> --help`, and the usage part of that command's errors. */
export function commandHelp(name: string): string {
  const c = findCommand(name);
  if (!c) throw new Error(`no command ${name} in the command table`);
  const lines = c.forms.map((f, i) => `${i === 0 ? 'usage: ' : '       '}exec-mcp ${c.name} ${f}`);
  return [...lines, ...(c.notes ?? [])].join('\n') + '\n';
}
