// Placeholder until this command lands.
export async function run(_args: string[], _env: NodeJS.ProcessEnv): Promise<number> {
  process.stderr.write('not implemented yet\n');
  return 1;
}
