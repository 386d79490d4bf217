// The API client: openapi-fetch over the generated `paths`, on the dashboard's own origin.
// Middleware adds the bearer token, sends an ended session (401) back to sign-in, refreshes
// the credit balance after every change, and retries reads while the service answers 503.
import createClient, { type Middleware } from "openapi-fetch";
import { createStore } from "../lib/store";
import { describeError, networkProblem, type Problem } from "./errors";
import type { ErrorResponse, Paths } from "./types";

/** Set by the session module (kept apart so that this module has no UI imports). */
export const hooks = {
    token: (): string | null => null,
    sessionEnded: (): void => {},
    refreshBalance: (): void => {},
};

/** "retrying" while reads are being retried after 503 or a network error. */
export const serviceStore = createStore<"ok" | "retrying">("ok");

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function resilientFetch(request: Request): Promise<Response> {
    const idempotent = request.method === "GET" || request.method === "HEAD";
    const delays = idempotent ? [500, 1000, 2000, 4000] : [];
    for (let attempt = 0; ; attempt++) {
        let response: Response | undefined;
        try {
            response = await fetch(request.clone());
        } catch (err) {
            if (attempt >= delays.length) throw err;
        }
        // 503 from the API, or 502/504 from a proxy in front of it while it restarts.
        if (response && ![502, 503, 504].includes(response.status)) {
            if (attempt > 0) serviceStore.set("ok");
            return response;
        }
        if (attempt >= delays.length) {
            serviceStore.set("ok");
            if (response) return response;
            throw new TypeError("network error");
        }
        serviceStore.set("retrying");
        await sleep(delays[attempt] ?? 4000);
    }
}

// A 401 from these does not mean "your session has ended, sign in again".
const PUBLIC_AUTH = ["/api/auth/login", "/api/auth/register", "/api/auth/logout", "/api/auth/logout-all"];

const session: Middleware = {
    onRequest({ request }) {
        const token = hooks.token();
        if (token && !request.headers.has("Authorization")) request.headers.set("Authorization", `Bearer ${token}`);
        return request;
    },
    onResponse({ request, response }) {
        const path = new URL(request.url).pathname;
        if (response.status === 401 && !PUBLIC_AUTH.includes(path) && request.headers.has("Authorization")) {
            hooks.sessionEnded();
        } else if (request.method !== "GET" && response.ok) {
            hooks.refreshBalance();
        }
        return response;
    },
};

export const api = createClient<Paths>({ baseUrl: "", fetch: resilientFetch });
api.use(session);

export type Result<T> = { ok: true; data: T; response: Response } | { ok: false; problem: Problem };

/** Awaits an openapi-fetch call and turns its error branch (or a network failure) into a Problem. */
export async function run<T extends { data?: unknown; error?: unknown; response: Response }>(
    call: Promise<T>,
): Promise<Result<NonNullable<T["data"]>>> {
    try {
        const r = await call;
        if (r.error !== undefined || !r.response.ok) {
            return { ok: false, problem: describeError(r.error as ErrorResponse | undefined, r.response) };
        }
        return { ok: true, data: r.data as NonNullable<T["data"]>, response: r.response };
    } catch {
        return { ok: false, problem: networkProblem };
    }
}

/** A URL of the API with the token in the query string, for EventSource (api.md §7.13). */
export function eventStreamUrl(path: string): string {
    const token = hooks.token() ?? "";
    return `${path}?access_token=${encodeURIComponent(token)}`;
}
