// A tiny observable value and its hook: enough shared state for the dashboard (session,
// balance, location, selection) without a state library.
import { useEffect, useReducer } from "preact/hooks";

export interface Store<T> {
    get(): T;
    set(value: T): void;
    update(fn: (value: T) => T): void;
    subscribe(listener: () => void): () => void;
}

export function createStore<T>(initial: T): Store<T> {
    let value = initial;
    const listeners = new Set<() => void>();
    const store: Store<T> = {
        get: () => value,
        set(next) {
            if (Object.is(next, value)) return;
            value = next;
            for (const l of [...listeners]) l();
        },
        update(fn) {
            store.set(fn(value));
        },
        subscribe(listener) {
            listeners.add(listener);
            return () => listeners.delete(listener);
        },
    };
    return store;
}

export function useStore<T>(store: Store<T>): T {
    const [, rerender] = useReducer((n: number, _: void) => n + 1, 0);
    useEffect(() => store.subscribe(() => rerender()), [store]);
    return store.get();
}
