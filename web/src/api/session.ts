// The signed-in user: token (localStorage), profile, credit balance, and what happens when a
// session ends (401 anywhere: back to sign-in, then back to the same page).
import { navigate } from "../lib/router";
import { createStore } from "../lib/store";
import { api, hooks, run } from "./client";
import type { Profile } from "./types";

const KEY = "creator-studio.token";

function readToken(): string | null {
    try {
        return window.localStorage.getItem(KEY);
    } catch {
        return null;
    }
}

export const tokenStore = createStore<string | null>(readToken());
export const profileStore = createStore<Profile | null>(null);
export const balanceStore = createStore<number | null>(null);
/** A one-off message for the sign-in page ("Your session has ended…"); survives a reload. */
const NOTICE = "creator-studio.notice";
function readNotice(): string | null {
    try {
        return sessionStorage.getItem(NOTICE);
    } catch {
        return null;
    }
}
export const noticeStore = createStore<string | null>(readNotice());
noticeStore.subscribe(() => {
    const v = noticeStore.get();
    try {
        if (v) sessionStorage.setItem(NOTICE, v);
        else sessionStorage.removeItem(NOTICE);
    } catch {
        /* in memory only */
    }
});

hooks.token = () => tokenStore.get();
hooks.sessionEnded = () => sessionEnded();
hooks.refreshBalance = () => refreshBalanceSoon();

function storeToken(token: string | null): void {
    try {
        if (token) window.localStorage.setItem(KEY, token);
        else window.localStorage.removeItem(KEY);
    } catch {
        /* private mode: the session lives in memory only */
    }
    tokenStore.set(token);
}

// Another tab signed out or in.
window.addEventListener("storage", (e) => {
    if (e.key !== KEY) return;
    tokenStore.set(e.newValue);
    if (!e.newValue) {
        profileStore.set(null);
        balanceStore.set(null);
        navigate("/signin", { replace: true });
    } else void loadProfile();
});

export async function loadProfile(): Promise<boolean> {
    const r = await run(api.GET("/api/auth/profile"));
    if (!r.ok) return false;
    profileStore.set(r.data);
    balanceStore.set(r.data.creditBalance);
    return true;
}

export async function refreshBalance(): Promise<void> {
    if (!tokenStore.get()) return;
    const r = await run(api.GET("/api/credits/balance"));
    if (r.ok) balanceStore.set(r.data.data.balance);
}

let pending: ReturnType<typeof setTimeout> | undefined;
/** Refreshes the balance shortly (coalesces bursts of changes into one read). */
export function refreshBalanceSoon(): void {
    clearTimeout(pending);
    pending = setTimeout(() => void refreshBalance(), 150);
}

export async function signIn(token: string, next: string): Promise<void> {
    storeToken(token);
    await loadProfile();
    navigate(next.startsWith("/") && !next.startsWith("//") ? next : "/", { replace: true });
}

const signOutListeners: (() => void)[] = [];
/** Work kept in the browser for this user (the pose selection…) is dropped at sign-out. */
export function onSignOut(fn: () => void): void {
    signOutListeners.push(fn);
}

/** Signs out here; `everywhere` ends every session of the user (api.md §1.8). */
export async function signOut(everywhere = false): Promise<void> {
    const token = tokenStore.get();
    if (token) {
        const headers = { Authorization: `Bearer ${token}` };
        // Ends the session on the server too; the browser forgets the token whatever the answer.
        if (everywhere) await run(api.POST("/api/auth/logout-all", { headers }));
        else void run(api.POST("/api/auth/logout", { headers }));
    }
    for (const fn of signOutListeners) fn();
    try {
        sessionStorage.clear();
    } catch {
        /* nothing kept */
    }
    storeToken(null);
    profileStore.set(null);
    balanceStore.set(null);
    noticeStore.set(everywhere ? "You have signed out on every device." : "You have signed out.");
    navigate("/signin", { replace: true });
}

/** The token was refused (expired, ended, user gone): sign in again, then come back here. */
export function sessionEnded(): void {
    if (!tokenStore.get()) return;
    storeToken(null);
    profileStore.set(null);
    balanceStore.set(null);
    noticeStore.set("Your session has ended. Please sign in again.");
    const here = window.location.pathname + window.location.search;
    navigate(`/signin?next=${encodeURIComponent(here)}`, { replace: true });
}

export function replaceToken(token: string): void {
    storeToken(token);
}
