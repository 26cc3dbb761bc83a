import { isCommonPassword, newPassword } from './password-policy';

describe('password policy (NIST SP 800-63B)', () => {
  it('refuses passwords from the bundled list, in any case', () => {
    for (const p of ['password', 'PASSWORD', '12345678', 'qwertyuiop', 'iloveyou', 'Football']) expect(isCommonPassword(p)).toBe(true);
  });

  it('accepts passphrases and unlisted passwords without composition rules', () => {
    for (const p of ['correct horse battery staple', 'zzyzx-sunrise', 'ñandú-€8']) {
      expect(isCommonPassword(p)).toBe(false);
      expect(newPassword().safeParse(p).success).toBe(true);
    }
  });

  it('bounds the length to 8-128', () => {
    expect(newPassword().safeParse('a7Zk!p2').success).toBe(false);
    expect(newPassword().safeParse('q'.repeat(128) + 'x').success).toBe(false);
    expect(newPassword().safeParse('qzv'.repeat(42)).success).toBe(true);
  });
});
