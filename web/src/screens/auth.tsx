import { useState } from "preact/hooks";
import { api, run } from "../api/client";
import { noticeStore, signIn } from "../api/session";
import { Link, useQuery } from "../lib/router";
import { useAction, useTitle } from "../lib/hooks";
import { useStore } from "../lib/store";
import { Field, Notice, ProblemMessage } from "../ui/kit";

function nextParam(q: URLSearchParams): string {
    return q.get("next") ?? "/";
}

export function SignIn() {
    useTitle("Sign in");
    const q = useQuery();
    const notice = useStore(noticeStore);
    const [email, setEmail] = useState("");
    const [password, setPassword] = useState("");
    const action = useAction();
    const next = nextParam(q);

    async function submit(e: Event) {
        e.preventDefault();
        const data = await action.run(() => run(api.POST("/api/auth/login", { body: { email, password } })));
        if (data) {
            noticeStore.set(null);
            await signIn(data.data.token, next);
        }
    }
    return (
        <form onSubmit={submit} noValidate>
            <h1 id="page-title" tabIndex={-1}>
                Sign in
            </h1>
            <p class="muted">Welcome back. Sign in to your avatars and poses.</p>
            {notice && <Notice kind="warning">{notice}</Notice>}
            <Field label="Email" name="email" problem={action.problem}>
                {(p) => (
                    <input {...p} type="email" autoComplete="email" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
                )}
            </Field>
            <Field label="Password" name="password" problem={action.problem}>
                {(p) => (
                    <input
                        {...p}
                        type="password"
                        autoComplete="current-password"
                        required
                        value={password}
                        onInput={(e) => setPassword(e.currentTarget.value)}
                    />
                )}
            </Field>
            <ProblemMessage problem={action.problem} fields={["email", "password"]} />
            <button class="btn btn--primary btn--block" type="submit" disabled={action.busy}>
                {action.busy ? "Signing in…" : "Sign in"}
            </button>
            <p class="auth__switch">
                New here? <Link href={`/register${next !== "/" ? `?next=${encodeURIComponent(next)}` : ""}`}>Create an account</Link>
            </p>
        </form>
    );
}

export function Register() {
    useTitle("Create an account");
    const q = useQuery();
    const [name, setName] = useState("");
    const [email, setEmail] = useState("");
    const [password, setPassword] = useState("");
    const action = useAction();

    async function submit(e: Event) {
        e.preventDefault();
        const data = await action.run(() =>
            run(api.POST("/api/auth/register", { body: { email, password, ...(name.trim() ? { name } : {}) } })),
        );
        if (data) {
            noticeStore.set(null);
            await signIn(data.data.token, nextParam(q));
        }
    }
    return (
        <form onSubmit={submit} noValidate>
            <h1 id="page-title" tabIndex={-1}>
                Create your account
            </h1>
            <p class="muted">You start with 100 free credits.</p>
            <Field label="Name" name="name" problem={action.problem} hint="Optional: how we greet you.">
                {(p) => <input {...p} autoComplete="name" value={name} onInput={(e) => setName(e.currentTarget.value)} />}
            </Field>
            <Field label="Email" name="email" problem={action.problem}>
                {(p) => (
                    <input {...p} type="email" autoComplete="email" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
                )}
            </Field>
            <Field
                label="Password"
                name="password"
                problem={action.problem}
                hint="12 or more characters, with three of: lowercase, uppercase, digits, symbols."
            >
                {(p) => (
                    <input
                        {...p}
                        type="password"
                        autoComplete="new-password"
                        required
                        minLength={12}
                        value={password}
                        onInput={(e) => setPassword(e.currentTarget.value)}
                    />
                )}
            </Field>
            <ProblemMessage problem={action.problem} fields={["name", "email", "password"]} />
            <button class="btn btn--primary btn--block" type="submit" disabled={action.busy}>
                {action.busy ? "Creating account…" : "Create account"}
            </button>
            <p class="auth__switch">
                Already have an account? <Link href="/signin">Sign in</Link>
            </p>
        </form>
    );
}
