/**
 * Property tests run with a fixed default seed so a CI run is reproducible; explore other seeds
 * with FC_SEED=<n> npm test (a failure prints its seed and path to replay it).
 */
import fc from 'fast-check';

fc.configureGlobal({ seed: Number(process.env['FC_SEED'] ?? 20261125) });
