import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, renderHook } from '@testing-library/react';
import { useHoldStrayDrops } from './useHoldStrayDrops.ts';

afterEach(cleanup);

function drop(type: 'drop' | 'dragover', types: string[]): Event {
  const event = new Event(type, { cancelable: true });
  Object.defineProperty(event, 'dataTransfer', { value: { types } });
  window.dispatchEvent(event);
  return event;
}

describe('useHoldStrayDrops', () => {
  it('holds files let go outside a drop zone, lets text through, and stops when unmounted', () => {
    const { unmount } = renderHook(() => useHoldStrayDrops());
    expect(drop('drop', ['Files']).defaultPrevented).toBe(true);
    expect(drop('dragover', ['Files']).defaultPrevented).toBe(true);
    expect(drop('drop', ['text/plain']).defaultPrevented).toBe(false);
    unmount();
    expect(drop('drop', ['Files']).defaultPrevented).toBe(false);
  });
});
