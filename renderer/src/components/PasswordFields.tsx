/**
 * The fields for choosing a new wallet password, as the create and import forms both ask for one:
 * a labelled password field and, where the form asks for it, the same password again to catch a
 * typo. The form keeps the values and shows any error in its own Problem, so a mismatch is
 * announced with the form's other errors.
 */

/** What a form says when the two passwords differ; undefined when they match. */
export function checkNewPassword(password: string, again: string): string | undefined {
  return password === again ? undefined : 'The two passwords differ.';
}

export function PasswordFields({
  id,
  label,
  password,
  onPassword,
  again,
  onAgain,
}: {
  /** The password field's id; the second field's is `${id}-again`. */
  id: string;
  label: string;
  password: string;
  onPassword: (password: string) => void;
  /** The password typed again; leave both out for a single field. */
  again?: string;
  onAgain?: (again: string) => void;
}) {
  return (
    <>
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="password"
        autoComplete="new-password"
        value={password}
        onChange={(e) => onPassword(e.target.value)}
      />
      {again !== undefined && onAgain && (
        <>
          <label htmlFor={`${id}-again`}>Password again</label>
          <input
            id={`${id}-again`}
            type="password"
            autoComplete="new-password"
            value={again}
            onChange={(e) => onAgain(e.target.value)}
          />
        </>
      )}
    </>
  );
}
