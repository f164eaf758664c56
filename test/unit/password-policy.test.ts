import { describe, expect, it } from 'vitest';
import { passwordProblem } from '../../main/accounts/password.ts';
import { english } from '../../common/message.ts';

const problem = (password: string, user = 'vera') => {
  const said = passwordProblem(password, user);
  return said && english(said);
};

/** The password policy (issue 30.4): length, the common-password list, the user name, a few different characters. */
describe('password policy', () => {
  it('refuses what the issue found accepted, and common passwords with digits or signs stuck on', () => {
    expect(problem('1234567890')).toBe('a password needs at least 12 characters');
    expect(problem('password12')).toBe('a password needs at least 12 characters');
    for (const common of ['password1234', 'qwertyuiop123', 'Dragon2026!!!!', '123456789012', 'Sunshine.2026']) {
      expect(problem(common), common).toBe('this password is among the most common ones; choose another');
    }
  });

  it('refuses one built from the user name, or with too few different characters', () => {
    expect(problem('vera-2026-radiology')).toBe('a password may not contain the user name');
    expect(problem('xx-arev-2026-xx')).toBe('a password may not contain the user name');
    expect(problem('abababababab')).toBe('a password needs more than four different characters');
  });

  it('takes a long passphrase of ordinary words', () => {
    expect(problem('correct horse battery')).toBeUndefined();
    expect(problem('Ultrazvuk v Brně 2026')).toBeUndefined();
  });
});
