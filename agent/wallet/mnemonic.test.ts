import { describe, expect, it } from 'vitest';
import { isWalletError } from './errors.ts';
import {
  normalizeMnemonic,
  parseMnemonic,
  pickConfirmationPositions,
  wrongConfirmationWords,
} from './mnemonic.ts';

const VECTOR =
  'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';

function failure(phrase: string): { code: string; message: string } {
  try {
    parseMnemonic(phrase);
  } catch (error) {
    if (isWalletError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected the phrase to be refused');
}

describe('recovery phrases', () => {
  it('normalises case, spaces and line breaks', () => {
    expect(normalizeMnemonic('  Abandon\tABANDON\n  about ')).toBe('abandon abandon about');
    expect(parseMnemonic(VECTOR.toUpperCase().replaceAll(' ', '  \n')).phrase).toBe(VECTOR);
  });

  it('accepts the BIP-39 test vector', () => {
    expect(parseMnemonic(VECTOR).entropy).toBe('0x00000000000000000000000000000000');
  });

  it('names the position of a word not in the list, without repeating the word', () => {
    const e = failure(VECTOR.replace(/^abandon/, 'abandonn'));
    expect(e.code).toBe('WALLET_INVALID_MNEMONIC');
    expect(e.message).toMatch(/^Word 1 is not in the BIP-39 English word list/);
    expect(e.message).not.toContain('abandonn');
  });

  it('names several unknown words together', () => {
    const words = VECTOR.split(' ');
    words[2] = 'zzz';
    words[6] = 'qqq';
    words[11] = 'bitcoinx';
    const e = failure(words.join(' '));
    expect(e.message).toMatch(/^Words 3, 7 and 12 are not in the BIP-39 English word list/);
    for (const w of ['zzz', 'qqq', 'bitcoinx']) expect(e.message).not.toContain(w);
  });

  it('says how many words there are when the count is wrong', () => {
    const e = failure(VECTOR.split(' ').slice(0, 11).join(' '));
    expect(e.message).toMatch(/12, 15, 18, 21 or 24 words; this one has 11/);
  });

  it('explains a failed checksum (a wrong or swapped word)', () => {
    const e = failure(VECTOR.replace(/about$/, 'abandon'));
    expect(e.code).toBe('WALLET_INVALID_MNEMONIC');
    expect(e.message).toMatch(/checksum/);
  });

  it('refuses an empty phrase', () => {
    expect(failure('   ').message).toMatch(/empty/);
  });

  it('picks distinct positions in range, sorted', () => {
    for (let i = 0; i < 200; i++) {
      const picked = pickConfirmationPositions(12);
      expect(picked).toHaveLength(3);
      expect(new Set(picked).size).toBe(3);
      expect([...picked].sort((a, b) => a - b)).toEqual(picked);
      for (const p of picked) expect(p >= 1 && p <= 12).toBe(true);
    }
    const seq = [5, 5, 0, 11];
    expect(pickConfirmationPositions(12, 3, () => seq.shift() ?? 0)).toEqual([1, 6, 12]);
  });

  it('finds which asked words are wrong or missing, ignoring case and spaces', () => {
    const phrase = 'legal winner thank year wave sausage worth useful legal winner thank yellow';
    expect(
      wrongConfirmationWords(
        phrase,
        [2, 5, 12],
        [
          { position: 12, word: ' Yellow ' },
          { position: 2, word: 'winner' },
          { position: 5, word: 'wave' },
        ],
      ),
    ).toEqual([]);
    expect(
      wrongConfirmationWords(
        phrase,
        [2, 5, 12],
        [
          { position: 2, word: 'winner' },
          { position: 5, word: 'sausage' },
        ],
      ),
    ).toEqual([5, 12]);
  });
});
