import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { TokenPrompt } from './TokenPrompt.tsx';
import { addAppStyles } from '../testing/styles.ts';

beforeEach(addAppStyles);
afterEach(cleanup);

describe('TokenPrompt', () => {
  it('says a token is not one under the field, in a row of the form, not beside its button', () => {
    render(<TokenPrompt onToken={() => undefined} />);
    fireEvent.change(screen.getByLabelText('Access token'), { target: { value: 'short' } });
    fireEvent.click(screen.getByRole('button', { name: 'Connect' }));
    const problem = screen.getByRole('alert');
    expect(problem.textContent).toContain('does not look like a Roost token');
    // A named grid area in the form's one-column grid made a second column: the error stood
    // beside the button, and the button grew as tall as the error.
    expect(getComputedStyle(problem).gridArea).not.toBe('error');
    expect(screen.getByLabelText('Access token').getAttribute('aria-describedby')).toBe(problem.id);
  });
});
