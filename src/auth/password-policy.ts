import { invalid } from '../platform/errors.js';

export const PASSWORD_MIN_LENGTH = 12;

// Words that top every leaked-password list; a password that is one of them with digits or
// symbols around it ("Password123456!") is guessed in the first thousand tries.
const COMMON_WORDS = new Set([
  'password',
  'passwort',
  'passw0rd',
  'p@ssw0rd',
  'qwerty',
  'qwertyuiop',
  'qwertz',
  'azerty',
  'asdfgh',
  'asdfghjkl',
  'zxcvbnm',
  'qwertyuiopasdfghjkl',
  'qazwsx',
  'qazwsxedc',
  'iloveyou',
  'letmein',
  'welcome',
  'admin',
  'administrator',
  'root',
  'login',
  'changeme',
  'secret',
  'monkey',
  'dragon',
  'master',
  'sunshine',
  'princess',
  'football',
  'baseball',
  'superman',
  'batman',
  'trustno',
  'shadow',
  'michael',
  'jennifer',
  'whatever',
  'starwars',
  'abc',
  'abcdef',
  'abcdefgh',
  'abcdefghijkl',
  'test',
  'guest',
  'user',
  'default',
  'nexsphere',
  'china',
  'woaini',
  'iloveu',
  'hello',
  'freedom',
  'computer',
  'internet',
]);

// Whole passwords of twelve characters or more that still sit high on leaked lists.
const COMMON_PASSWORDS = new Set([
  '123456789012',
  '1234567890123',
  '12345678901234',
  '123123123123',
  '123412341234',
  '1q2w3e4r5t6y',
  '1qaz2wsx3edc',
  'zaq12wsxcde3',
  'q1w2e3r4t5y6',
  '1q2w3e4r5t6y7u',
  'qwerty123456',
  '123456qwerty',
  'password1234',
  'correcthorsebatterystaple',
  '098765432109',
  '987654321098',
  'aa123456789012',
  'abc123abc123',
  'qweasdzxc123',
  '1234qwerasdf',
  'qwer1234asdf',
]);

/** Why a password is refused, or null when it is acceptable. */
export function passwordWeakness(password: string, email?: string): string | null {
  if (password.length < PASSWORD_MIN_LENGTH) return `At least ${PASSWORD_MIN_LENGTH} characters`;
  const lower = password.toLowerCase();
  if (new Set(lower).size < 4) return 'Too few different characters';
  if (COMMON_PASSWORDS.has(lower)) return 'Too common';
  // The letters between leading and trailing digits and symbols: "!!Password2024" -> "password".
  const core = lower.replace(/^[^a-z]+|[^a-z]+$/g, '');
  if (COMMON_WORDS.has(core)) return 'Too common';
  if (email) {
    const address = email.toLowerCase();
    const local = address.split('@')[0] ?? '';
    if (lower === address || core === local || core === address.replace(/[^a-z]/g, '')) return 'Must not be the e-mail address';
  }
  return null;
}

/** Throws a 400 naming `password` when it is too weak. */
export function assertStrongPassword(password: string, email?: string): void {
  const weakness = passwordWeakness(password, email);
  if (weakness) throw invalid(`Password refused: ${weakness.toLowerCase()}`, [{ path: 'password', message: weakness }]);
}
