// Making avatars inside a project: upload (picker, drag and drop, preview, checks, progress),
// generate from a prompt, or start from a preset; and the live status of generations.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, run } from "../../api/client";
import type { Problem } from "../../api/errors";
import { localProblem } from "../../api/errors";
import { balanceStore, refreshBalance } from "../../api/session";
import type { AvatarGeneration, AvatarPreset, PersonaExample, Schemas } from "../../api/types";
import { uploadAvatar } from "../../api/upload";
import { credits } from "../../lib/format";
import { useAction, useInterval } from "../../lib/hooks";
import { ACCEPT, checkImage, type ImageCheck } from "../../lib/image-check";
import { Link } from "../../lib/router";
import { useStore } from "../../lib/store";
import { Badge, Field, Notice, ProblemMessage, ProgressBar } from "../../ui/kit";
import { emptyPersona, PersonaFields, personaForm, personaJson, type PersonaValues } from "./persona";

export type Costs = Schemas["AvatarCosts"];

export function PriceLine({ cost, action }: { cost: number; action: string }) {
    const balance = useStore(balanceStore);
    const after = balance === null ? null : balance - cost;
    return (
        <p class={after !== null && after < 0 ? "price price--short" : "price"} data-testid="price">
            {action} costs <strong>{credits(cost)}</strong>
            {after !== null && (
                <>
                    {" "}
                    · balance after: <strong>{after}</strong>
                    {after < 0 && " — not enough credits"}
                </>
            )}
        </p>
    );
}

// ------------------------------------------------------------------ upload

export function UploadPanel({ projectId, cost, onUploaded }: { projectId: string; cost: number; onUploaded: () => void }) {
    const [file, setFile] = useState<File | null>(null);
    const [preview, setPreview] = useState<string | null>(null);
    const [check, setCheck] = useState<ImageCheck | null>(null);
    const [name, setName] = useState("");
    const [persona, setPersona] = useState<PersonaValues>(emptyPersona());
    const [progress, setProgress] = useState<number | null>(null);
    const [problem, setProblem] = useState<Problem | undefined>(undefined);
    const [done, setDone] = useState<string | null>(null);
    const [dragging, setDragging] = useState(false);
    const input = useRef<HTMLInputElement>(null);

    useEffect(() => () => void (preview && URL.revokeObjectURL(preview)), [preview]);

    async function choose(f: File | undefined) {
        setProblem(undefined);
        setDone(null);
        if (!f) return;
        setFile(f);
        setPreview(URL.createObjectURL(f));
        setCheck(null);
        if (!name) setName(f.name.replace(/\.[^.]+$/, "").slice(0, 100));
        setCheck(await checkImage(f));
    }

    async function submit(e: Event) {
        e.preventDefault();
        setDone(null);
        if (!file) return setProblem(localProblem("Choose an image to upload.", { image: ["Choose an image."] }));
        const c = check ?? (await checkImage(file));
        if (c.errors.length) return setProblem(localProblem("This image cannot be uploaded.", { image: c.errors }));
        setProblem(undefined);
        setProgress(0);
        const r = await uploadAvatar(projectId, { image: file, name, ...personaForm(persona) }, file.name, setProgress);
        setProgress(null);
        if (!r.ok) {
            // A file too large or of the wrong type: the image field is what to change.
            const fileProblem = r.problem.code === "PAYLOAD_TOO_LARGE" || r.problem.code === "UNSUPPORTED_MEDIA_TYPE";
            return setProblem(fileProblem ? { ...r.problem, fields: { image: [r.problem.message] } } : r.problem);
        }
        setDone(`“${r.data.avatar.name}” was added (${credits(r.data.creditUsed)} used).`);
        setFile(null);
        setPreview(null);
        setCheck(null);
        setName("");
        setPersona(emptyPersona());
        if (input.current) input.current.value = "";
        onUploaded();
    }

    const clientErrors = check?.errors.length ? check.errors : undefined;
    return (
        <form onSubmit={submit} noValidate class="stack">
            <div
                class={dragging ? "dropzone dropzone--over" : "dropzone"}
                onDragOver={(e) => {
                    e.preventDefault();
                    setDragging(true);
                }}
                onDragLeave={() => setDragging(false)}
                onDrop={(e) => {
                    e.preventDefault();
                    setDragging(false);
                    void choose(e.dataTransfer?.files[0]);
                }}
            >
                {preview ? (
                    <img class="dropzone__preview" src={preview} alt="Preview of the chosen image" />
                ) : (
                    <div class="dropzone__icon" aria-hidden="true">
                        ⬆
                    </div>
                )}
                <Field
                    label="Image"
                    name="image"
                    problem={problem}
                    errors={clientErrors}
                    hint={
                        check?.width
                            ? `${check.kind} · ${check.width}×${check.height} px · ${((file?.size ?? 0) / 1024).toFixed(0)} KB`
                            : "Drop an image here or choose one: JPEG, PNG or WebP, up to 10 MB, 256 to 4096 pixels per side."
                    }
                >
                    {(p) => <input {...p} ref={input} type="file" accept={ACCEPT} onChange={(e) => void choose(e.currentTarget.files?.[0])} />}
                </Field>
            </div>
            <Field label="Avatar name" name="name" problem={problem}>
                {(p) => <input {...p} required maxLength={100} value={name} onInput={(e) => setName(e.currentTarget.value)} />}
            </Field>
            <PersonaFields values={persona} onChange={setPersona} problem={problem} collapsed />
            {progress !== null && (
                <div>
                    <ProgressBar value={progress * 100} label="Upload progress" />
                    <p class="small muted" aria-live="polite">
                        Uploading… {Math.round(progress * 100)}%
                    </p>
                </div>
            )}
            <ProblemMessage problem={problem} fields={["image", "name", ...Object.keys(persona)]} />
            {done && <Notice kind="success">{done}</Notice>}
            <PriceLine cost={cost} action="Uploading" />
            <div>
                <button type="submit" class="btn btn--primary" disabled={progress !== null}>
                    {progress !== null ? "Uploading…" : `Upload avatar (${credits(cost)})`}
                </button>
            </div>
        </form>
    );
}

// ------------------------------------------------------------------ generate

/** A generation this browser started, watched until it ends (kept per project for reloads). */
export interface Tracked {
    id: string;
    name: string;
    creditUsed: number;
}

function trackedKey(projectId: string) {
    return `creator-studio.avatar-generations.${projectId}`;
}
export function loadTracked(projectId: string): Tracked[] {
    try {
        const v: unknown = JSON.parse(sessionStorage.getItem(trackedKey(projectId)) ?? "[]");
        return Array.isArray(v) ? (v as Tracked[]) : [];
    } catch {
        return [];
    }
}
export function saveTracked(projectId: string, list: Tracked[]): void {
    try {
        if (list.length) sessionStorage.setItem(trackedKey(projectId), JSON.stringify(list));
        else sessionStorage.removeItem(trackedKey(projectId));
    } catch {
        /* storage unavailable: tracking lasts until reload */
    }
}

export function GeneratePanel({
    projectId,
    cost,
    examples,
    onStarted,
}: {
    projectId: string;
    cost: number;
    examples: PersonaExample[] | undefined;
    onStarted: (t: Tracked) => void;
}) {
    const [name, setName] = useState("");
    const [prompt, setPrompt] = useState("");
    const [persona, setPersona] = useState<PersonaValues>(emptyPersona());
    const [seed, setSeed] = useState("");
    const action = useAction();
    async function submit(e: Event) {
        e.preventDefault();
        const r = await action.run(() =>
            run(
                api.POST("/api/apps/avatar-creator/projects/{projectId}/avatars/generate", {
                    params: { path: { projectId } },
                    body: { name, prompt, ...personaJson(persona), ...(seed.trim() ? { seed: Number(seed) } : {}) },
                }),
            ),
        );
        if (r) {
            onStarted({ id: r.generation.id, name, creditUsed: r.creditUsed });
            setName("");
            setPrompt("");
            setPersona(emptyPersona());
        }
    }
    return (
        <form onSubmit={submit} noValidate class="stack">
            <Field label="Avatar name" name="name" problem={action.problem}>
                {(p) => <input {...p} required maxLength={100} value={name} onInput={(e) => setName(e.currentTarget.value)} />}
            </Field>
            <Field
                label="Describe the avatar"
                name="prompt"
                problem={action.problem}
                hint="10 to 2000 characters, e.g. “professional portrait of a confident woman in a navy blazer”."
            >
                {(p) => <textarea {...p} rows={3} required maxLength={2000} value={prompt} onInput={(e) => setPrompt(e.currentTarget.value)} />}
            </Field>
            <PersonaFields values={persona} onChange={setPersona} problem={action.problem} examples={examples} />
            <details class="details">
                <summary>Advanced</summary>
                <Field label="Seed" name="seed" problem={action.problem} hint="Optional: the same seed and prompt give the same image.">
                    {(p) => <input {...p} type="number" min={0} max={2147483647} value={seed} onInput={(e) => setSeed(e.currentTarget.value)} />}
                </Field>
            </details>
            <ProblemMessage problem={action.problem} fields={["name", "prompt", "seed", ...Object.keys(persona)]} />
            <PriceLine cost={cost} action="Generating" />
            <div>
                <button type="submit" class="btn btn--primary" disabled={action.busy}>
                    {action.busy ? "Starting…" : `Generate avatar (${credits(cost)})`}
                </button>
            </div>
        </form>
    );
}

// ------------------------------------------------------------------ presets

export function PresetGrid({
    presets,
    onUse,
}: {
    presets: AvatarPreset[];
    onUse: (p: AvatarPreset) => void;
}) {
    return (
        <ul class="card-grid card-grid--small" aria-label="Presets">
            {presets.map((p) => (
                <li key={p.id} class="preset-card">
                    <img src={p.previewImageUrl} alt="" loading="lazy" />
                    <div class="preset-card__body">
                        <h3>{p.name}</h3>
                        <p class="muted small">
                            <Badge value="category" label={p.category} /> used {p.usageCount}×
                        </p>
                        <button type="button" class="btn btn--small" onClick={() => onUse(p)} aria-label={`Use preset ${p.name}`}>
                            Use preset
                        </button>
                    </div>
                </li>
            ))}
        </ul>
    );
}

export function FromPresetForm({
    projectId,
    preset,
    cost,
    onStarted,
    onCancel,
}: {
    projectId: string;
    preset: AvatarPreset;
    cost: number;
    onStarted: (t: Tracked) => void;
    onCancel: () => void;
}) {
    const [customName, setCustomName] = useState(preset.name);
    const action = useAction();
    async function submit(e: Event) {
        e.preventDefault();
        const r = await action.run(() =>
            run(
                api.POST("/api/apps/avatar-creator/projects/{projectId}/avatars/from-preset", {
                    params: { path: { projectId } },
                    body: { presetId: preset.id, ...(customName.trim() ? { customName } : {}) },
                }),
            ),
        );
        if (r) onStarted({ id: r.generation.id, name: customName || preset.name, creditUsed: r.creditUsed });
    }
    return (
        <form onSubmit={submit} noValidate class="stack">
            <div class="row row--top">
                <img class="thumb-lg" src={preset.previewImageUrl} alt={`Preview of ${preset.name}`} />
                <p class="small">{preset.generationPrompt}</p>
            </div>
            <Field label="Avatar name" name="customName" problem={action.problem}>
                {(p) => <input {...p} maxLength={100} value={customName} onInput={(e) => setCustomName(e.currentTarget.value)} />}
            </Field>
            <ProblemMessage problem={action.problem} fields={["customName"]} />
            <PriceLine cost={cost} action="Creating from this preset" />
            <div class="dialog__actions">
                <button type="button" class="btn" onClick={onCancel}>
                    Cancel
                </button>
                <button type="submit" class="btn btn--primary" disabled={action.busy}>
                    {action.busy ? "Starting…" : `Create avatar (${credits(cost)})`}
                </button>
            </div>
        </form>
    );
}

// ------------------------------------------------------------------ live status

const TERMINAL = new Set<string>(["completed", "failed"]);

/** Polls each tracked generation until it is ready or failed (and refunded). */
export function GenerationTracker({
    tracked,
    onFinished,
    onDismiss,
}: {
    tracked: Tracked[];
    onFinished: () => void;
    onDismiss: (id: string) => void;
}) {
    const [state, setState] = useState<Record<string, AvatarGeneration>>({});
    const [errors, setErrors] = useState<Record<string, string>>({});
    const active = tracked.some((t) => !TERMINAL.has(state[t.id]?.status ?? "pending"));

    async function poll() {
        for (const t of tracked) {
            const before = state[t.id];
            if (before && TERMINAL.has(before.status)) continue;
            const r = await run(api.GET("/api/apps/avatar-creator/generations/{id}", { params: { path: { id: t.id } } }));
            if (!r.ok) {
                setErrors((e) => ({ ...e, [t.id]: r.problem.message }));
                continue;
            }
            const g = r.data.generation;
            setState((s) => ({ ...s, [t.id]: g }));
            if (TERMINAL.has(g.status)) {
                void refreshBalance();
                onFinished();
            }
        }
    }
    useEffect(() => void poll(), [tracked.map((t) => t.id).join()]);
    useInterval(() => void poll(), 1500, active);

    if (tracked.length === 0) return null;
    return (
        <section class="card" aria-labelledby="gens-h">
            <h2 id="gens-h">Generations</h2>
            <ul class="list" aria-live="polite">
                {tracked.map((t) => {
                    const g = state[t.id];
                    const status = g?.status ?? "pending";
                    return (
                        <li key={t.id} class="list__row" data-generation={t.id} data-status={status}>
                            <div class="list__main">
                                <strong>{t.name}</strong>
                                <span class="small muted">
                                    {errors[t.id] ??
                                        (status === "completed"
                                            ? "Ready."
                                            : status === "failed"
                                              ? `${t.creditUsed > 0 ? `Failed, ${credits(t.creditUsed)} refunded.` : "Failed; nothing was charged."}${g?.errorMessage ? ` ${g.errorMessage}` : ""}`
                                              : status === "processing"
                                                ? "Generating the image…"
                                                : "Waiting in the queue…")}
                                </span>
                            </div>
                            <Badge value={status} label={status === "failed" ? "failed · refunded" : status} />
                            {status === "completed" && g?.avatarId && (
                                <Link class="btn btn--small" href={`/avatars/avatar/${g.avatarId}`}>
                                    Open
                                </Link>
                            )}
                            {TERMINAL.has(status) && (
                                <button type="button" class="btn btn--small btn--ghost" onClick={() => onDismiss(t.id)} aria-label={`Dismiss ${t.name}`}>
                                    Dismiss
                                </button>
                            )}
                            {!TERMINAL.has(status) && <span class="spinner" aria-hidden="true" />}
                        </li>
                    );
                })}
            </ul>
        </section>
    );
}
