// What each socket close code of API.md means to the person at the editor,
// and what the connection should do about it.

export type CloseAction =
  /** Let y-websocket reconnect with its backoff. */
  | 'reconnect'
  /** Refresh the access token, then reconnect. */
  | 'refresh'
  /** Stop: reconnecting cannot help. */
  | 'stop';

export interface CloseMeaning {
  action: CloseAction;
  message: string;
}

export function closeMeaning(code: number): CloseMeaning {
  switch (code) {
    case 4400:
      return { action: 'stop', message: 'The server refused an edit from this page. Reload to continue.' };
    case 4401:
      return { action: 'refresh', message: 'Your session expired. Reconnecting…' };
    case 4403:
      return { action: 'stop', message: 'You no longer have access to this document.' };
    case 4404:
      return { action: 'stop', message: 'This document does not exist.' };
    case 4410:
      return { action: 'stop', message: 'This document was deleted.' };
    case 4413:
      return { action: 'stop', message: 'This document is too large to save more changes.' };
    case 4429:
      return { action: 'reconnect', message: 'Too many changes at once; slowing down.' };
    case 1001:
      return { action: 'reconnect', message: 'The server is restarting; reconnecting…' };
    default:
      return { action: 'reconnect', message: 'Connection lost; reconnecting…' };
  }
}
