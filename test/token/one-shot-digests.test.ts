import * as crypto from 'node:crypto';
import { createHmacSha256 } from '../../lib/tokens/hmac-sha256';
import { hasOneShotSha256, sha256Base64url, sha256Bytes } from '../../lib/internal/sha256';

// SHA-256 and HMAC-SHA-256 are computed with Node's one-shot crypto.hash() on the hot paths
// (docs/adr/0021-one-shot-digests.md). These tests hold them to node:crypto's createHash and
// createHmac, and to the RFC 4231 test vectors, on the one-shot path and on the fallback that
// Node 20 releases before 20.12 take.

const hexToBase64url = (hex: string) => Buffer.from(hex, 'hex').toString('base64url');
const referenceHmac = (key: Buffer, text: string) => crypto.createHmac('sha256', key).update(text).digest('base64url');

/** A deterministic byte string of `length` bytes, different for every `seed`. */
function bytes(seed: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i += 32) crypto.createHash('sha256').update(`${seed}:${i}`).digest().copy(out, i);
  return out;
}

/** Texts the signer and verifier may see: ASCII JWS input, non-Latin-1 and astral characters, lone surrogates. */
const TEXTS = [
  '',
  'a',
  'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyIn0',
  'x'.repeat(55),
  'x'.repeat(56),
  'x'.repeat(64),
  'é'.repeat(300),
  'š is U+0161, whose low byte is "a"',
  '\u{1F600} and a lone surrogate \uD800',
  'z'.repeat(5000),
];

describe('one-shot SHA-256 (lib/internal/sha256.ts)', () => {
  it('runs on this Node: crypto.hash() exists (20.12 and later)', () => {
    expect(hasOneShotSha256).toBe(typeof (crypto as { hash?: unknown }).hash === 'function');
  });

  it.each(TEXTS.map((text) => [text.slice(0, 20), text]))('hashes %j as UTF-8, exactly as createHash does', (_label, text) => {
    expect(sha256Base64url(text)).toBe(crypto.createHash('sha256').update(text, 'utf8').digest('base64url'));
    expect(sha256Bytes(text).equals(crypto.createHash('sha256').update(text, 'utf8').digest())).toBe(true);
    const buffer = Buffer.from(text);
    expect(sha256Base64url(buffer)).toBe(crypto.createHash('sha256').update(buffer).digest('base64url'));
  });

  it('FIPS 180-2 vector: SHA-256("abc")', () => {
    expect(sha256Base64url('abc')).toBe(hexToBase64url('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'));
  });
});

describe('HMAC-SHA-256 from two one-shot hashes (RFC 2104)', () => {
  // RFC 4231 §4: the test cases whose data are text (1, 2, 6, 7); 3 and 4 hash binary data,
  // which a JWS signing input never is, and 5 truncates the output.
  const vectors: Array<[string, Buffer, string, string]> = [
    ['1: 20-byte key', Buffer.alloc(20, 0x0b), 'Hi There', 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7'],
    ['2: short key', Buffer.from('Jefe'), 'what do ya want for nothing?', '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843'],
    [
      '6: key longer than the block',
      Buffer.alloc(131, 0xaa),
      'Test Using Larger Than Block-Size Key - Hash Key First',
      '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
    ],
    [
      '7: key and data longer than the block',
      Buffer.alloc(131, 0xaa),
      'This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.',
      '9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2',
    ],
  ];

  it.each(vectors)('RFC 4231 test case %s', (_name, key, data, hex) => {
    expect(createHmacSha256(crypto.createSecretKey(key))(data)).toBe(hexToBase64url(hex));
  });

  it('equals createHmac for keys of 0 to 150 bytes and every text above', () => {
    const mismatches: string[] = [];
    for (let length = 0; length <= 150; length++) {
      const key = bytes(length, length);
      const mac = createHmacSha256(crypto.createSecretKey(key));
      for (const text of TEXTS) if (mac(text) !== referenceHmac(key, text)) mismatches.push(`key ${length} bytes, text ${JSON.stringify(text.slice(0, 20))}`);
    }
    expect(mismatches).toEqual([]);
  });

  it('one function answers right for a long text and then for short ones again (its buffer grows and is reused)', () => {
    const key = bytes(7, 32);
    const mac = createHmacSha256(crypto.createSecretKey(key));
    const sequence = ['short', 'y'.repeat(3000), 'short', '', 'y'.repeat(100), 'y'.repeat(3001)];
    expect(sequence.map((text) => mac(text))).toEqual(sequence.map((text) => referenceHmac(key, text)));
  });

  it('a character above U+00FF is hashed as UTF-8, so it never collides with the character sharing its low byte', () => {
    const mac = createHmacSha256(crypto.createSecretKey(bytes(1, 32)));
    expect(mac('\u0161bc')).not.toBe(mac('abc'));
  });
});

describe('on Node before 20.12 (no crypto.hash()): the createHash and createHmac fallback', () => {
  type Modules = { digest: typeof import('../../lib/internal/sha256'); hmac: typeof import('../../lib/tokens/hmac-sha256') };
  function withoutOneShot(): Modules {
    let modules: Modules | undefined;
    jest.isolateModules(() => {
      jest.doMock('node:crypto', () => ({ ...jest.requireActual<typeof crypto>('node:crypto'), hash: undefined }));
      modules = { digest: require('../../lib/internal/sha256'), hmac: require('../../lib/tokens/hmac-sha256') };
    });
    jest.dontMock('node:crypto');
    return modules as Modules;
  }

  it('takes the fallback and gives the same digests and MACs', () => {
    const { digest, hmac } = withoutOneShot();
    expect(digest.hasOneShotSha256).toBe(false);
    const key = bytes(3, 40);
    const mac = hmac.createHmacSha256(crypto.createSecretKey(key));
    for (const text of TEXTS) {
      expect(digest.sha256Base64url(text)).toBe(sha256Base64url(text));
      expect(digest.sha256Bytes(text).equals(sha256Bytes(text))).toBe(true);
      expect(mac(text)).toBe(referenceHmac(key, text));
    }
  });
});
