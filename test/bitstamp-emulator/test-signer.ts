/** A Signer over a known key/secret, for tests (the real one comes from the credential vault). */
import { createHmac } from 'node:crypto';
import type { Signer } from '../../src/credentials/signer.ts';

export function testSigner(apiKey: string, secret: string): Signer {
  return { apiKey, sign: (message) => createHmac('sha256', secret).update(message).digest('hex') };
}
