import { useEffect, useState } from "preact/hooks";
import { api, run } from "../api/client";
import { balanceStore, profileStore, replaceToken, signOut } from "../api/session";
import type { CreditEntry, CreditType } from "../api/types";
import { useAction, useLoad, useTitle } from "../lib/hooks";
import { formatDate, formatDateTime, titleCase } from "../lib/format";
import { setQuery, useQuery } from "../lib/router";
import { useStore } from "../lib/store";
import { Badge, Empty, Field, LoadState, Notice, PageHeader, ProblemMessage, Stat } from "../ui/kit";

const CREDIT_TYPES = {
    bonus: "Bonus",
    usage: "Usage",
    refund: "Refund",
    purchase: "Purchase",
    admin_grant: "Admin grant",
} satisfies Record<CreditType, string>;

export function AccountProfile() {
    useTitle("Profile");
    const profile = useStore(profileStore);
    const details = useAction();
    const password = useAction();
    const [name, setName] = useState(profile?.name ?? "");
    const [email, setEmail] = useState(profile?.email ?? "");
    const [emailPassword, setEmailPassword] = useState("");
    const [current, setCurrent] = useState("");
    const [next, setNext] = useState("");
    const [saved, setSaved] = useState<string | null>(null);
    const [pwSaved, setPwSaved] = useState(false);

    useEffect(() => {
        if (profile) {
            setName(profile.name ?? "");
            setEmail(profile.email);
        }
    }, [profile?.id]);

    if (!profile) return <PageHeader title="Profile" />;
    const emailChanged = email.trim().toLowerCase() !== profile.email;

    async function saveDetails(e: Event) {
        e.preventDefault();
        setSaved(null);
        const body: { name?: string | null; email?: string; currentPassword?: string } = {};
        if ((profile?.name ?? "") !== name) body.name = name.trim() === "" ? null : name;
        if (emailChanged) {
            body.email = email;
            body.currentPassword = emailPassword;
        }
        const r = await details.run(() => run(api.PUT("/api/auth/profile", { body })));
        if (r) {
            if (r.data.token) replaceToken(r.data.token);
            profileStore.set(r.data.user);
            balanceStore.set(r.data.user.creditBalance);
            setEmailPassword("");
            setSaved(r.message);
        }
    }
    async function savePassword(e: Event) {
        e.preventDefault();
        setPwSaved(false);
        const r = await password.run(() =>
            run(api.PUT("/api/auth/profile", { body: { currentPassword: current, newPassword: next } })),
        );
        if (r) {
            if (r.data.token) replaceToken(r.data.token);
            setCurrent("");
            setNext("");
            setPwSaved(true);
        }
    }
    return (
        <>
            <PageHeader title="Profile" description={`Member since ${formatDate(profile.createdAt)} · ${titleCase(profile.role)} account`} />
            <div class="grid-2">
                <form class="card" onSubmit={saveDetails} noValidate aria-labelledby="details-h">
                    <h2 id="details-h">Your details</h2>
                    <Field label="Name" name="name" problem={details.problem}>
                        {(p) => <input {...p} autoComplete="name" value={name} onInput={(e) => setName(e.currentTarget.value)} />}
                    </Field>
                    <Field label="Email" name="email" problem={details.problem}>
                        {(p) => <input {...p} type="email" autoComplete="email" value={email} onInput={(e) => setEmail(e.currentTarget.value)} />}
                    </Field>
                    {emailChanged && (
                        <Field label="Current password" name="currentPassword" problem={details.problem} hint="Needed to change your email.">
                            {(p) => (
                                <input
                                    {...p}
                                    type="password"
                                    autoComplete="current-password"
                                    value={emailPassword}
                                    onInput={(e) => setEmailPassword(e.currentTarget.value)}
                                />
                            )}
                        </Field>
                    )}
                    <ProblemMessage problem={details.problem} fields={["name", "email", "currentPassword"]} />
                    {saved && <Notice kind="success">{saved}</Notice>}
                    <button class="btn btn--primary" type="submit" disabled={details.busy}>
                        {details.busy ? "Saving…" : "Save details"}
                    </button>
                </form>
                <form class="card" onSubmit={savePassword} noValidate aria-labelledby="pw-h">
                    <h2 id="pw-h">Change password</h2>
                    <Field label="Current password" name="currentPassword" problem={password.problem}>
                        {(p) => (
                            <input {...p} type="password" autoComplete="current-password" value={current} onInput={(e) => setCurrent(e.currentTarget.value)} />
                        )}
                    </Field>
                    <Field
                        label="New password"
                        name="newPassword"
                        problem={password.problem}
                        hint="12 or more characters, with three of: lowercase, uppercase, digits, symbols."
                    >
                        {(p) => <input {...p} type="password" autoComplete="new-password" value={next} onInput={(e) => setNext(e.currentTarget.value)} />}
                    </Field>
                    <ProblemMessage problem={password.problem} fields={["currentPassword", "newPassword"]} />
                    {pwSaved && <Notice kind="success">Your password has been changed; you stay signed in here.</Notice>}
                    <button class="btn btn--primary" type="submit" disabled={password.busy}>
                        {password.busy ? "Saving…" : "Change password"}
                    </button>
                </form>
            </div>
            <section class="card" aria-labelledby="sessions-h">
                <h2 id="sessions-h">Sessions</h2>
                <p class="muted">Signed in on a shared or lost device? End every session, this one included.</p>
                <button type="button" class="btn btn--danger-outline" onClick={() => void signOut(true)}>
                    Sign out everywhere
                </button>
            </section>
        </>
    );
}

const LIMITS = [20, 50, 100, 200];

export function AccountCredits() {
    useTitle("Credit history");
    const q = useQuery();
    const limit = Number(q.get("limit") ?? "50");
    const balance = useStore(balanceStore);
    const history = useLoad(() => run(api.GET("/api/credits/history", { params: { query: { limit } } })), [limit, balance]);
    return (
        <>
            <PageHeader title="Credits" description="Every charge, refund and bonus on your account, newest first." />
            <div class="stats">
                <Stat label="Current balance" value={balance ?? "…"} />
            </div>
            <section class="card">
                <div class="toolbar">
                    <h2>History</h2>
                    <label class="inline-field">
                        Show
                        <select value={String(limit)} onChange={(e) => setQuery({ limit: e.currentTarget.value })}>
                            {LIMITS.map((n) => (
                                <option key={n} value={String(n)}>
                                    {n} entries
                                </option>
                            ))}
                        </select>
                    </label>
                </div>
                <LoadState state={history}>
                    {(rows) => (rows.length === 0 ? <Empty title="No credit activity yet." /> : <CreditTable rows={rows} />)}
                </LoadState>
            </section>
        </>
    );
}

function CreditTable({ rows }: { rows: CreditEntry[] }) {
    return (
        <div class="table-wrap">
            <table class="table">
                <caption class="sr-only">Credit history</caption>
                <thead>
                    <tr>
                        <th scope="col">When</th>
                        <th scope="col">What</th>
                        <th scope="col">Type</th>
                        <th scope="col" class="num">
                            Amount
                        </th>
                        <th scope="col" class="num">
                            Balance
                        </th>
                    </tr>
                </thead>
                <tbody>
                    {rows.map((r) => (
                        <tr key={r.id}>
                            <td>{formatDateTime(r.createdAt)}</td>
                            <td>{r.description ?? "—"}</td>
                            <td>
                                <Badge value={r.type === "refund" || r.type === "bonus" ? "completed" : "pending"} label={CREDIT_TYPES[r.type]} />
                            </td>
                            <td class={r.amount < 0 ? "num neg" : "num pos"}>{r.amount > 0 ? `+${r.amount}` : r.amount}</td>
                            <td class="num">{r.balance}</td>
                        </tr>
                    ))}
                </tbody>
            </table>
        </div>
    );
}
