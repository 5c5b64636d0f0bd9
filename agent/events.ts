import type { AgentEvent, EventName, EventPayload } from './api/contract.ts';

export type EventListener = (event: AgentEvent) => void;

/** The agent's one event stream; the SSE endpoint, the IPC bridge and tests subscribe to it. */
export class EventBus {
  readonly #listeners = new Set<EventListener>();

  emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    const message = { event, payload } as AgentEvent;
    for (const listener of [...this.#listeners]) {
      try {
        listener(message);
      } catch {
        // A broken subscriber (a closed socket, a test) must not stop the others.
      }
    }
  }

  subscribe(listener: EventListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  get listenerCount(): number {
    return this.#listeners.size;
  }
}
