import Keygrip from 'keygrip';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CookieSigner } from '../../src/web/cookie-signer.ts';

describe('CookieSigner', () => {
  const keys = ['newest-session-key-0123456789', 'older-session-key-0123456789'];
  const signer = new CookieSigner(keys);
  const keygrip = new Keygrip(keys);

  it('signs exactly as Keygrip did, so session cookies issued before stay valid', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (data) => {
        expect(signer.sign(data)).toBe(keygrip.sign(data));
        expect(signer.index(data, keygrip.sign(data))).toBe(0);
        expect(keygrip.index(data, signer.sign(data))).toBe(0);
      }),
    );
  });

  it('accepts a signature by an older key (rotation) and says which key made it', () => {
    const old = new Keygrip([keys[1]!]).sign('exec_mcp_session=abc');
    expect(signer.index('exec_mcp_session=abc', old)).toBe(1);
    expect(signer.verify('exec_mcp_session=abc', old)).toBe(true);
  });

  it('refuses a changed value, a changed signature and signatures of any other length', () => {
    const sig = signer.sign('exec_mcp_session=abc');
    expect(signer.index('exec_mcp_session=abd', sig)).toBe(-1);
    expect(signer.index('exec_mcp_session=abc', `${sig.slice(0, -1)}${sig.endsWith('A') ? 'B' : 'A'}`)).toBe(-1);
    for (const other of ['', sig.slice(1), `${sig}=`, `${sig}${sig}`]) expect(signer.verify('exec_mcp_session=abc', other)).toBe(false);
    expect(new CookieSigner(['some-other-key-0123456789']).verify('exec_mcp_session=abc', sig)).toBe(false);
  });
});
