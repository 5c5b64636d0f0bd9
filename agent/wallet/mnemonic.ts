/**
 * Recovery phrases (BIP-39, English word list): checking one a user typed, in words that say what
 * is wrong without repeating any of it, and choosing which words to ask back at creation.
 */
import { randomInt } from 'node:crypto';
import { LangEn, Mnemonic } from 'ethers';
import { WalletError } from './errors.ts';

export const MNEMONIC_WORD_COUNTS = [12, 15, 18, 21, 24] as const;

/** How many words the user gives back to prove they wrote the phrase down. */
export const CONFIRMATION_WORDS = 3;

/** Lower case, NFKD, single spaces: the form BIP-39 hashes and the word list holds. */
export function normalizeMnemonic(phrase: string): string {
  return phrase.normalize('NFKD').toLowerCase().trim().split(/\s+/u).filter(Boolean).join(' ');
}

function listPositions(positions: number[]): string {
  if (positions.length === 1) return `Word ${positions[0]} is`;
  const head = positions.slice(0, -1).join(', ');
  return `Words ${head} and ${positions[positions.length - 1]} are`;
}

/**
 * The phrase as ethers' Mnemonic, or a `WALLET_INVALID_MNEMONIC` saying which words are not in
 * the list (by position: the words themselves are part of the secret), a wrong word count, or a
 * checksum that doesn't match.
 */
export function parseMnemonic(phrase: string): Mnemonic {
  const normal = normalizeMnemonic(phrase);
  const words = normal === '' ? [] : normal.split(' ');
  if (words.length === 0) {
    throw new WalletError(
      'WALLET_INVALID_MNEMONIC',
      'The recovery phrase is empty: type its 12 or 24 words, separated by spaces.',
    );
  }
  const wordlist = LangEn.wordlist();
  const unknown = words.flatMap((word, i) => (wordlist.getWordIndex(word) < 0 ? [i + 1] : []));
  if (unknown.length > 0) {
    throw new WalletError(
      'WALLET_INVALID_MNEMONIC',
      `${listPositions(unknown)} not in the BIP-39 English word list: check the spelling against your written copy.`,
    );
  }
  if (!(MNEMONIC_WORD_COUNTS as readonly number[]).includes(words.length)) {
    throw new WalletError(
      'WALLET_INVALID_MNEMONIC',
      `A recovery phrase has 12, 15, 18, 21 or 24 words; this one has ${words.length}. Check for a missing or extra word.`,
    );
  }
  if (!Mnemonic.isValidMnemonic(normal, wordlist)) {
    throw new WalletError(
      'WALLET_INVALID_MNEMONIC',
      'Every word is in the word list, but together they fail the phrase checksum: a word is wrong or two are swapped. Compare each word and its position with your written copy.',
    );
  }
  return Mnemonic.fromPhrase(normal, null, wordlist);
}

/** `count` distinct 1-based positions out of `wordCount`, in increasing order. */
export function pickConfirmationPositions(
  wordCount: number,
  count = CONFIRMATION_WORDS,
  random: (maxExclusive: number) => number = randomInt,
): number[] {
  const chosen = new Set<number>();
  while (chosen.size < Math.min(count, wordCount)) chosen.add(random(wordCount) + 1);
  return [...chosen].sort((a, b) => a - b);
}

/**
 * Which of the asked positions got a wrong (or no) word; empty when all match. Words compare
 * after normalisation, so case and stray spaces don't matter.
 */
export function wrongConfirmationWords(
  phrase: string,
  positions: readonly number[],
  answers: readonly { position: number; word: string }[],
): number[] {
  const words = normalizeMnemonic(phrase).split(' ');
  const given = new Map<number, string>();
  for (const answer of answers) given.set(answer.position, normalizeMnemonic(answer.word));
  return positions.filter((p) => given.get(p) !== words[p - 1]);
}
