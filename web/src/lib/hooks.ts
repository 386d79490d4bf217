import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import type { Result } from "../api/client";
import type { Problem } from "../api/errors";

export interface Loaded<T> {
    data: T | undefined;
    problem: Problem | undefined;
    loading: boolean;
    reload: () => void;
    /** Replaces the data locally (after an update answered with the new object). */
    set: (data: T) => void;
}

/** Loads data for a screen; reloads when `deps` change; ignores stale answers. */
export function useLoad<T>(load: () => Promise<Result<T>>, deps: unknown[]): Loaded<T> {
    const [state, setState] = useState<{ data?: T; problem?: Problem; loading: boolean }>({ loading: true });
    const [tick, setTick] = useState(0);
    const seq = useRef(0);
    useEffect(() => {
        const mine = ++seq.current;
        setState((s) => ({ ...s, loading: true }));
        void load().then((r) => {
            if (mine !== seq.current) return;
            setState(r.ok ? { data: r.data, loading: false } : { problem: r.problem, loading: false });
        });
        // eslint-disable-next-line react-hooks/exhaustive-deps
    }, [...deps, tick]);
    const reload = useCallback(() => setTick((t) => t + 1), []);
    const set = useCallback((data: T) => setState({ data, loading: false }), []);
    return { data: state.data, problem: state.problem, loading: state.loading, reload, set };
}

export interface Action {
    busy: boolean;
    problem: Problem | undefined;
    setProblem: (p: Problem | undefined) => void;
    /** Runs a call; returns its data, or undefined after showing its problem. */
    run: <T>(call: () => Promise<Result<T>>) => Promise<T | undefined>;
}

/** A form action: busy flag and the last problem, to show next to the form and its fields. */
export function useAction(): Action {
    const [busy, setBusy] = useState(false);
    const [problem, setProblem] = useState<Problem | undefined>(undefined);
    const mounted = useRef(true);
    useEffect(() => () => void (mounted.current = false), []);
    const runAction = useCallback(async <T,>(call: () => Promise<Result<T>>): Promise<T | undefined> => {
        setBusy(true);
        setProblem(undefined);
        const r = await call();
        if (!mounted.current) return r.ok ? r.data : undefined;
        setBusy(false);
        if (r.ok) return r.data;
        setProblem(r.problem);
        return undefined;
    }, []);
    return { busy, problem, setProblem, run: runAction };
}

/** Calls `fn` every `ms` while `active`. */
export function useInterval(fn: () => void, ms: number, active: boolean): void {
    const saved = useRef(fn);
    saved.current = fn;
    useEffect(() => {
        if (!active) return undefined;
        const id = setInterval(() => saved.current(), ms);
        return () => clearInterval(id);
    }, [ms, active]);
}

export function useTitle(title: string): void {
    useEffect(() => {
        document.title = `${title} · Creator Studio`;
    }, [title]);
}
