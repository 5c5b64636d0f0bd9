import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { useState } from 'react';
import { checkNewPassword, PasswordFields } from './PasswordFields.tsx';

afterEach(cleanup);

/** A form that keeps the values, as CreateWallet and ImportWallet do; `seen` records them. */
function Harness({ confirm, seen }: { confirm: boolean; seen: string[][] }) {
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const record = (p: string, a: string) => seen.push([p, a]);
  return (
    <form>
      <PasswordFields
        id="pw"
        label="Password (8 characters or more)"
        password={password}
        onPassword={(p) => {
          setPassword(p);
          record(p, again);
        }}
        {...(confirm
          ? {
              again,
              onAgain: (a: string) => {
                setAgain(a);
                record(password, a);
              },
            }
          : {})}
      />
    </form>
  );
}

const input = (label: string) => screen.getByLabelText(label) as HTMLInputElement;

describe('PasswordFields', () => {
  it('labels both fields, hides what is typed, and hands each value to the form', () => {
    const seen: string[][] = [];
    render(<Harness confirm seen={seen} />);
    for (const label of ['Password (8 characters or more)', 'Password again']) {
      expect(input(label).type).toBe('password');
      // Password managers offer to make one up, and do not fill in an old one.
      expect(input(label).autocomplete).toBe('new-password');
    }
    expect(input('Password again').id).toBe('pw-again');

    fireEvent.change(input('Password (8 characters or more)'), { target: { value: 'first one' } });
    fireEvent.change(input('Password again'), { target: { value: 'first 1' } });
    expect(seen).toEqual([
      ['first one', ''],
      ['first one', 'first 1'],
    ]);
    expect(input('Password (8 characters or more)').value).toBe('first one');
    expect(input('Password again').value).toBe('first 1');
  });

  it('shows one field when the form asks for the password once', () => {
    const seen: string[][] = [];
    render(<Harness confirm={false} seen={seen} />);
    expect(input('Password (8 characters or more)').id).toBe('pw');
    expect(screen.queryByLabelText('Password again')).toBeNull();
    expect(document.querySelectorAll('input')).toHaveLength(1);
  });

  it('says when the two passwords differ, and nothing when they match', () => {
    expect(checkNewPassword('a good long password', 'a good long pasword')).toBe(
      'The two passwords differ.',
    );
    expect(checkNewPassword('a good long password', 'a good long password')).toBeUndefined();
  });
});
