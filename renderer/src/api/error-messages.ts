import type { ApiError, ErrorCode } from '../../../agent/api/contract.ts';

/** What each error code means to the user, and what to do; the agent's message adds the details. */
const headlines: Record<ErrorCode, string> = {
  INVALID_PARAMS: 'That value is not accepted.',
  UNKNOWN_METHOD: 'This version of the agent does not know that action. Update Roost.',
  UNAUTHORIZED: 'The access token is missing or wrong.',
  FORBIDDEN: 'The agent refused the request.',
  NOT_FOUND: 'Not found.',
  SETTINGS_INVALID: 'These settings do not fit together.',
  SETTINGS_UNWRITABLE: 'Your settings could not be saved.',
  UNAVAILABLE: 'The agent is not answering.',
  INTERNAL: 'Something went wrong inside the agent.',
};

export function headlineFor(code: ErrorCode): string {
  return headlines[code];
}

export function describeError(error: ApiError): string {
  return `${headlines[error.code]} ${error.message}`;
}
