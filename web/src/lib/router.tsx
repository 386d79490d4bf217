// A small history-API router: real URLs, back/forward, query-string state.
import type { AnchorHTMLAttributes, ComponentChildren } from "preact";
import { createStore, useStore } from "./store";

export interface Location {
    path: string;
    search: string;
}

const current = (): Location => ({ path: window.location.pathname, search: window.location.search });
export const locationStore = createStore<Location>(current());
window.addEventListener("popstate", () => locationStore.set(current()));

export function navigate(to: string, options: { replace?: boolean } = {}): void {
    const before = window.location.pathname;
    if (options.replace) window.history.replaceState(null, "", to);
    else window.history.pushState(null, "", to);
    locationStore.set(current());
    if (window.location.pathname !== before) window.scrollTo(0, 0);
}

export function useLocation(): Location {
    return useStore(locationStore);
}

export function useQuery(): URLSearchParams {
    return new URLSearchParams(useLocation().search);
}

/** Changes some query parameters (undefined or "" removes one) and keeps the others. */
export function setQuery(changes: Record<string, string | number | boolean | undefined>, replace = false): void {
    const params = new URLSearchParams(window.location.search);
    for (const [key, value] of Object.entries(changes)) {
        if (value === undefined || value === "" || value === false) params.delete(key);
        else params.set(key, String(value));
    }
    const qs = params.toString();
    navigate(`${window.location.pathname}${qs ? `?${qs}` : ""}`, { replace });
}

/** Matches "/a/:id/b" against a path; returns the parameters or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
    const p = pattern.split("/");
    const s = (path.length > 1 ? path.replace(/\/+$/, "") : path).split("/");
    if (p.length !== s.length) return null;
    const params: Record<string, string> = {};
    for (let i = 0; i < p.length; i++) {
        const part = p[i] ?? "";
        const seg = s[i] ?? "";
        if (part.startsWith(":")) {
            if (seg === "") return null;
            params[part.slice(1)] = decodeURIComponent(seg);
        } else if (part !== seg) return null;
    }
    return params;
}

type AnchorProps = AnchorHTMLAttributes<HTMLAnchorElement> & { href: string; children?: ComponentChildren };

/** An anchor that navigates without a reload (a modified click still opens a new tab). */
export function Link({ href, onClick, ...rest }: AnchorProps) {
    const { path } = useLocation();
    const active = path === href.split("?")[0];
    return (
        <a
            href={href}
            aria-current={active ? "page" : undefined}
            onClick={(e) => {
                if (onClick) (onClick as (ev: MouseEvent) => void)(e);
                if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
                e.preventDefault();
                navigate(href);
            }}
            {...rest}
        />
    );
}
