/** Rewrites the bundled sample dataset (see generate-sample.ts): node bin/run-ts.js sim/sample-data/write-sample.ts */
import fs from 'node:fs';
import { generateSampleCsv, SAMPLE_FILE } from './generate-sample.ts';

fs.writeFileSync(SAMPLE_FILE, generateSampleCsv());
process.stdout.write(`wrote ${SAMPLE_FILE}\n`);
