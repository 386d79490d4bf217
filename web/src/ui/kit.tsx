// Small accessible building blocks: fields with their errors, alerts, dialogs, loading and
// empty states, badges, progress and pagination.
import type { ComponentChildren } from "preact";
import { useEffect, useId, useRef, useState } from "preact/hooks";
import type { Problem } from "../api/errors";
import { Link } from "../lib/router";

export function cx(...names: (string | false | null | undefined)[]): string {
    return names.filter(Boolean).join(" ");
}

interface FieldProps {
    label: string;
    /** The request field whose server errors belong here. */
    name: string;
    problem?: Problem | undefined;
    /** Errors found in the browser before sending. */
    errors?: string[] | undefined;
    hint?: ComponentChildren;
    class?: string;
    children: (props: {
        id: string;
        name: string;
        "aria-invalid": boolean;
        "aria-describedby": string | undefined;
    }) => ComponentChildren;
}

/** A labelled control with its hint and its errors (client-side, or `error.details[name]`). */
export function Field({ label, name, problem, errors, hint, class: className, children }: FieldProps) {
    const id = useId();
    const messages = [...(errors ?? []), ...(problem?.fields[name] ?? [])];
    const hintId = hint ? `${id}-hint` : undefined;
    const errId = messages.length ? `${id}-err` : undefined;
    const describedBy = [hintId, errId].filter(Boolean).join(" ") || undefined;
    return (
        <div class={cx("field", messages.length > 0 && "field--invalid", className)}>
            <label for={id}>{label}</label>
            {children({ id, name, "aria-invalid": messages.length > 0, "aria-describedby": describedBy })}
            {hint && (
                <p class="field__hint" id={hintId}>
                    {hint}
                </p>
            )}
            {errId && (
                <p class="field__error" id={errId} data-field-error={name}>
                    {messages.join(" ")}
                </p>
            )}
        </div>
    );
}

/** A form-level error: the sentence, plus field errors that have no field on this form. */
export function ProblemMessage({ problem, fields = [] }: { problem: Problem | undefined; fields?: string[] }) {
    if (!problem) return null;
    const all = Object.keys(problem.fields);
    const others = Object.entries(problem.fields).filter(([f]) => !fields.includes(f));
    // Every field error is already next to its field: say so instead of repeating them.
    const message =
        all.length > 0 && others.length === 0
            ? all.length === 1
                ? "Please correct the field marked above."
                : `Please correct the ${all.length} fields marked above.`
            : problem.message;
    return (
        <div class="alert alert--error" role="alert" data-error-code={problem.code}>
            <p>{message}</p>
            {others.length > 0 && (
                <ul>
                    {others.map(([f, msgs]) => (
                        <li key={f}>{f === "body" ? msgs.join(" ") : `${f}: ${msgs.join(" ")}`}</li>
                    ))}
                </ul>
            )}
        </div>
    );
}

export function Notice({ kind = "info", children }: { kind?: "info" | "success" | "warning"; children: ComponentChildren }) {
    return (
        <div class={`alert alert--${kind}`} role="status">
            {children}
        </div>
    );
}

export function Loading({ label = "Loading…" }: { label?: string }) {
    return (
        <div class="loading" role="status" aria-live="polite">
            <span class="spinner" aria-hidden="true" />
            {label}
        </div>
    );
}

export function Empty({ title, children }: { title: string; children?: ComponentChildren }) {
    return (
        <div class="empty">
            <p class="empty__title">{title}</p>
            {children && <div class="empty__body">{children}</div>}
        </div>
    );
}

/** Loading, then an error with a retry, then the content. */
export function LoadState<T>({
    state,
    children,
    label,
}: {
    state: { data: T | undefined; problem: Problem | undefined; loading: boolean; reload: () => void };
    children: (data: T) => ComponentChildren;
    label?: string;
}) {
    if (state.data !== undefined) return <>{children(state.data)}</>;
    if (state.problem)
        return (
            <div class="alert alert--error" role="alert" data-error-code={state.problem.code}>
                <p>{state.problem.message}</p>
                <button type="button" class="btn btn--small" onClick={state.reload}>
                    Try again
                </button>
            </div>
        );
    return <Loading label={label} />;
}

const tone: Record<string, string> = {
    completed: "green",
    ready: "green",
    approved: "blue",
    in_progress: "amber",
    processing: "amber",
    pending: "gray",
    partial: "amber",
    failed: "red",
    rejected: "red",
    active: "green",
    archived: "gray",
};

export function Badge({ value, label }: { value: string; label?: string }) {
    return <span class={`badge badge--${tone[value] ?? "gray"}`}>{label ?? value.replace(/_/g, " ")}</span>;
}

export function ProgressBar({ value, label, tone }: { value: number; label: string; tone?: "failed" | "partial" | undefined }) {
    const v = Math.max(0, Math.min(100, Math.round(value)));
    return (
        <div class={tone ? `progress progress--${tone}` : "progress"} role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={v}>
            <div class="progress__bar" style={{ width: `${v}%` }} />
        </div>
    );
}

/** A modal dialog on the native <dialog> element (focus trap, Escape, focus return). */
export function Dialog({
    open,
    title,
    onClose,
    children,
    wide,
}: {
    open: boolean;
    title: string;
    onClose: () => void;
    children: ComponentChildren;
    wide?: boolean;
}) {
    const ref = useRef<HTMLDialogElement>(null);
    const titleId = useId();
    useEffect(() => {
        const d = ref.current;
        if (!d) return;
        if (open && !d.open) d.showModal();
        if (!open && d.open) d.close();
    }, [open]);
    return (
        <dialog
            ref={ref}
            class={cx("dialog", wide && "dialog--wide")}
            aria-labelledby={titleId}
            onClose={onClose}
            onCancel={(e) => {
                e.preventDefault();
                onClose();
            }}
        >
            {open && (
                <div class="dialog__inner">
                    <header class="dialog__header">
                        <h2 id={titleId}>{title}</h2>
                        <button type="button" class="btn btn--ghost btn--icon" onClick={onClose}>
                            <span aria-hidden="true">×</span>
                            <span class="sr-only">Close</span>
                        </button>
                    </header>
                    {children}
                </div>
            )}
        </dialog>
    );
}

/** Asks before a destructive action and says exactly what goes. */
export function ConfirmDialog({
    open,
    title,
    children,
    confirmLabel,
    busy,
    problem,
    onConfirm,
    onClose,
}: {
    open: boolean;
    title: string;
    children: ComponentChildren;
    confirmLabel: string;
    busy: boolean;
    problem: Problem | undefined;
    onConfirm: () => void;
    onClose: () => void;
}) {
    return (
        <Dialog open={open} title={title} onClose={onClose}>
            <div class="dialog__body">{children}</div>
            <ProblemMessage problem={problem} />
            <div class="dialog__actions">
                <button type="button" class="btn" onClick={onClose}>
                    Cancel
                </button>
                <button type="button" class="btn btn--danger" disabled={busy} onClick={onConfirm}>
                    {busy ? "Working…" : confirmLabel}
                </button>
            </div>
        </Dialog>
    );
}

export function Pagination({
    page,
    totalPages,
    total,
    hrefFor,
    label,
}: {
    page: number;
    totalPages: number;
    total: number;
    hrefFor: (page: number) => string;
    label: string;
}) {
    if (totalPages <= 1) return <p class="muted small">{total} in all</p>;
    const pages: number[] = [];
    const from = totalPages <= 7 ? 1 : Math.max(1, page - 2);
    const to = totalPages <= 7 ? totalPages : Math.min(totalPages, page + 2);
    for (let p = from; p <= to; p++) pages.push(p);
    return (
        <nav class="pagination" aria-label={label}>
            {page > 1 ? (
                <Link class="btn btn--small" href={hrefFor(page - 1)} rel="prev">
                    ← Previous
                </Link>
            ) : (
                <span class="btn btn--small" aria-disabled="true">
                    ← Previous
                </span>
            )}
            {pages.map((p) =>
                p === page ? (
                    <span key={p} class="pagination__current" aria-current="page">
                        {p}
                    </span>
                ) : (
                    <Link key={p} class="pagination__page" href={hrefFor(p)} aria-label={`Page ${p}`}>
                        {String(p)}
                    </Link>
                ),
            )}
            {page < totalPages ? (
                <Link class="btn btn--small" href={hrefFor(page + 1)} rel="next">
                    Next →
                </Link>
            ) : (
                <span class="btn btn--small" aria-disabled="true">
                    Next →
                </span>
            )}
            <span class="muted small">
                Page {page} of {totalPages} · {total} in all
            </span>
        </nav>
    );
}

export function PageHeader({
    title,
    children,
    back,
    description,
}: {
    title: string;
    children?: ComponentChildren;
    back?: { href: string; label: string };
    description?: ComponentChildren;
}) {
    return (
        <header class="page-header">
            {back && (
                <Link class="page-header__back" href={back.href}>
                    ← {back.label}
                </Link>
            )}
            <div class="page-header__row">
                <div>
                    <h1 tabIndex={-1} id="page-title">
                        {title}
                    </h1>
                    {description && <p class="page-header__desc">{description}</p>}
                </div>
                {children && <div class="page-header__actions">{children}</div>}
            </div>
        </header>
    );
}

export function Stat({ label, value }: { label: string; value: ComponentChildren }) {
    return (
        <div class="stat">
            <span class="stat__value">{value}</span>
            <span class="stat__label">{label}</span>
        </div>
    );
}

/** An image that shows a neutral placeholder when it is missing or cannot load. */
export function Img({
    src,
    alt,
    class: className,
    width,
    height,
}: {
    src: string | null | undefined;
    alt: string;
    class?: string;
    width?: number;
    height?: number;
}) {
    const [failed, setFailed] = useState<string | null>(null);
    if (!src || failed === src)
        return (
            <div class={cx("img-missing", className)} role="img" aria-label={alt || "Image not available"}>
                <span aria-hidden="true">{alt ? alt.slice(0, 1).toUpperCase() : ""}</span>
            </div>
        );
    return (
        <img
            class={className}
            src={src}
            alt={alt}
            width={width}
            height={height}
            loading="lazy"
            decoding="async"
            onError={() => setFailed(src)}
        />
    );
}

/** Tabs with arrow-key navigation (WAI-ARIA tabs pattern). */
export function Tabs<K extends string>({
    label,
    tabs,
    value,
    onChange,
}: {
    label: string;
    tabs: { key: K; label: string }[];
    value: K;
    onChange: (key: K) => void;
}) {
    const base = useId();
    return (
        <div
            class="tabs"
            role="tablist"
            aria-label={label}
            onKeyDown={(e) => {
                const i = tabs.findIndex((t) => t.key === value);
                let j = -1;
                if (e.key === "ArrowRight") j = (i + 1) % tabs.length;
                else if (e.key === "ArrowLeft") j = (i - 1 + tabs.length) % tabs.length;
                else if (e.key === "Home") j = 0;
                else if (e.key === "End") j = tabs.length - 1;
                const t = tabs[j];
                if (!t) return;
                e.preventDefault();
                onChange(t.key);
                document.getElementById(`${base}-${t.key}`)?.focus();
            }}
        >
            {tabs.map((t) => (
                <button
                    key={t.key}
                    id={`${base}-${t.key}`}
                    type="button"
                    role="tab"
                    class="tab"
                    aria-selected={t.key === value}
                    tabIndex={t.key === value ? 0 : -1}
                    onClick={() => onChange(t.key)}
                >
                    {t.label}
                </button>
            ))}
        </div>
    );
}
