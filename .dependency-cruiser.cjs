/** Dependency rules of DESIGN.md: mcp, web -> services -> runtime -> machines, exchanges -> domain. */
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true, dependencyTypesNot: ['type-only'] } },
    {
      name: 'machines-are-pure',
      comment: 'machines/ imports only domain types and xstate',
      severity: 'error',
      from: { path: '^machines/' },
      to: { path: '^src/(?!domain/)' },
    },
    {
      name: 'sim-is-independent',
      comment: 'sim/ imports nothing from src/ but domain types and the adapter interface',
      severity: 'error',
      from: { path: '^sim/' },
      to: { path: '^src/(?!domain/|exchanges/adapter\\.ts)' },
    },
    {
      name: 'sim-only-through-paper',
      comment: 'sim/ is used only through exchanges/paper* and services/backtests*',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(exchanges/paper|services/backtest|main\\.ts)' },
      to: { path: '^sim/' },
    },
    {
      name: 'edges-use-services',
      comment: 'mcp/ and web/ call services, never runtime, db, exchanges or credentials',
      severity: 'error',
      from: { path: '^src/(mcp|web)/' },
      to: { path: '^src/(runtime|db|exchanges|credentials|accounts|jobs)/' },
    },
    {
      name: 'domain-is-the-bottom',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { path: '^(src/(?!domain/)|machines/|sim/)' },
    },
    {
      name: 'exchanges-below-runtime',
      severity: 'error',
      from: { path: '^src/exchanges/' },
      to: { path: '^src/(runtime|services|mcp|web|jobs)/' },
    },
    {
      name: 'runtime-below-services',
      severity: 'error',
      from: { path: '^src/runtime/' },
      to: { path: '^src/(services|mcp|web)/' },
    },
    {
      name: 'secrets-stay-in-credentials',
      comment: 'only credentials/ and exchanges/ (through the Signer), services and the composition root see the vault',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(credentials|exchanges|services|main\\.ts|accounts/cli)' },
      to: { path: '^src/credentials/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '(^test/|\\.test\\.ts$)' },
  },
};
