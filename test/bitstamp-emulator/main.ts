/**
 * `npm run emulator [-- --port N]`: a local Bitstamp for manual runs. Point the service at it with
 * BITSTAMP_API_URL / BITSTAMP_WS_URL and use the printed demo key/secret as account credentials.
 */
import { BitstampEmulator } from './index.ts';

const portArg = process.argv.indexOf('--port');
const port = portArg >= 0 ? Number(process.argv[portArg + 1]) : Number(process.env.EMULATOR_PORT ?? 0);
const apiKey = process.env.EMULATOR_API_KEY ?? 'demokey';
const secret = process.env.EMULATOR_API_SECRET ?? 'demosecret';

const emulator = await BitstampEmulator.start({
  port,
  accounts: [{ apiKey, secret, userId: '100001', balances: { USD: '100000', EUR: '100000', BTC: '10', ETH: '100' } }],
  prices: { btcusd: '60000', btceur: '55000', ethusd: '3000', ethbtc: '0.05' },
});

process.stdout.write(
  [
    'Bitstamp emulator running',
    `  BITSTAMP_API_URL=${emulator.apiUrl}`,
    `  BITSTAMP_WS_URL=${emulator.wsUrl}`,
    `  demo account: api key "${apiKey}", secret "${secret}", user id 100001`,
    `  control: curl -X POST ${emulator.apiUrl}/__emulator/trade -d '{"market":"btcusd","price":"59000","amount":"1"}'`,
    `           curl ${emulator.apiUrl}/__emulator/state`,
    '',
  ].join('\n'),
);

const stop = (): void => {
  void emulator.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
