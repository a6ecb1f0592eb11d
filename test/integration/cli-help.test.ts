/** The help the CLI prints is the command table (src/commands/command-table.ts), complete. */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { COMMAND_NAMES, COMMANDS, commandHelp, topLevelHelp } from '../../src/commands/command-table.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/exec-mcp.js');

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: os.tmpdir() }, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('exec-mcp --help', () => {
  it('prints every command of the table with every form, exit 0', () => {
    const r = cli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(topLevelHelp());
    expect(COMMANDS.map((c) => c.name)).toEqual([...COMMAND_NAMES]);
    for (const c of COMMANDS) {
      expect(r.stdout).toContain(`  ${c.name.padEnd(10)} ${c.summary}\n`);
      for (const f of c.forms) expect(r.stdout).toContain(`exec-mcp ${c.name} ${f}\n`);
    }
    // The forms an operator reported missing.
    for (const form of ['accounts show REF', 'accounts forget-credentials REF|--all', 'audit head', 'backup --to FILE', 'restore --from FILE'])
      expect(r.stdout).toContain(`exec-mcp ${form}`);
  });

  it('lists every subcommand the accounts command accepts', () => {
    const accounts = COMMANDS.find((c) => c.name === 'accounts')!;
    const subs = accounts.forms.map((f) => f.split(' ')[0]);
    expect(subs).toEqual(['list', 'show', 'add', 'update', 'enable', 'disable', 'remove', 'set-credentials', 'forget-credentials']);
  });

  it.each(COMMAND_NAMES.map((n) => [n]))('exec-mcp %s --help prints that command from the table, exit 0', (name) => {
    const r = cli([name, '--help']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(commandHelp(name));
    expect(r.code).toBe(0);
  });

  it('accounts -h and a subcommand with --help print the accounts help without running anything', () => {
    const r = cli(['accounts', 'set-credentials', 'x', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(commandHelp('accounts'));
    expect(cli(['accounts', '-h']).stdout).toBe(commandHelp('accounts'));
  });

  it('an unknown command exits 2 with the help on stderr; a missing accounts command still exits 2 with its usage', () => {
    const r = cli(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`unknown command "frobnicate"\n${topLevelHelp()}`);
    const a = cli(['accounts']);
    expect(a.code).toBe(2);
    expect(a.stderr).toBe(`missing accounts command\n${commandHelp('accounts')}`);
  });
});
