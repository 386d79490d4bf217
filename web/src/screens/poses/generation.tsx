// One pose generation: live progress from the SSE stream (each image appears as it is
// stored), then the results gallery with downloads, exports and background changes. The
// stream's events are the generated `GenerationEvent` union (openapi.yaml, api.md §7.13).
import { useEffect, useRef, useState } from "preact/hooks";
import { api, eventStreamUrl, run } from "../../api/client";
import { refreshBalance } from "../../api/session";
import type {
    BackgroundMode,
    GeneratedPose,
    GenerationEvent,
    PoseEventPose,
    PoseGenerationDetail,
    PoseGenerationStatus,
} from "../../api/types";
import { credits, formatDateTime } from "../../lib/format";
import { useAction, useInterval, useLoad, useTitle } from "../../lib/hooks";
import { Badge, Dialog, Empty, Field, Img, LoadState, Notice, PageHeader, ProblemMessage, ProgressBar } from "../../ui/kit";
import { BACKGROUND_MODES, EXPORT_FORMATS, GENERATION_STATUSES, isKey, usePosePrices, type ExportKey } from "./shared";

interface Live {
    status: PoseGenerationStatus;
    completed: number;
    failed: number;
    total: number;
    percentage: number;
    refunded?: number;
    error?: string;
    requeued?: number;
    /** The images stored so far: a generated pose, or the `pose` of a stream event (a subset). */
    poses: PoseEventPose[];
}

const TERMINAL: readonly PoseGenerationStatus[] = ["completed", "partial", "failed"];

function fromDetail(g: PoseGenerationDetail): Live {
    return {
        status: g.status,
        completed: g.posesCompleted,
        failed: g.posesFailed,
        total: g.totalExpectedPoses,
        percentage: TERMINAL.includes(g.status) ? 100 : g.progress,
        refunded: g.creditRefunded,
        ...(g.errorMessage ? { error: g.errorMessage } : {}),
        poses: g.poses,
    };
}

/** Applies one stream event (the generated `GenerationEvent` union, narrowed by `type`) to the live state. */
function apply(live: Live, event: GenerationEvent): Live {
    switch (event.type) {
        case "snapshot":
            return {
                ...live,
                status: event.status,
                completed: event.progress.posesCompleted,
                failed: event.progress.posesFailed,
                total: event.progress.posesTotal,
                percentage: event.progress.percentage,
            };
        case "started":
            return { ...live, status: "processing" };
        case "pose":
            return live.poses.some((x) => x.id === event.pose.id) ? live : { ...live, poses: [...live.poses, event.pose] };
        case "progress":
            return { ...live, completed: event.completed, failed: event.failed, total: event.total, percentage: event.percentage };
        case "requeued":
            return { ...live, status: "pending", requeued: event.recoveryAttempts };
        case "completed":
            return {
                ...live,
                status: event.status,
                completed: event.completed,
                failed: event.failed,
                total: event.total,
                percentage: 100,
                refunded: event.creditRefunded,
            };
        case "failed":
            return { ...live, status: "failed", percentage: 100, refunded: event.creditRefunded, error: event.error };
        default: {
            // every event type of the spec is handled above: a new one in openapi.yaml is a type error here
            const unhandled: never = event;
            void unhandled;
            return live;
        }
    }
}

/** The SSE `event:` names, one per `GenerationEvent` type (a missing or extra one is a type error). */
const EVENTS = ["snapshot", "started", "pose", "progress", "requeued", "completed", "failed"] as const satisfies readonly GenerationEvent["type"][];
type MissingEvent = Exclude<GenerationEvent["type"], (typeof EVENTS)[number]>;
const allEventsListened: [MissingEvent] extends [never] ? true : MissingEvent = true;
void allEventsListened;

export function GenerationPage({ id }: { id: string }) {
    const detail = useLoad(
        () => run(api.GET("/api/apps/pose-generator/generations/{generationId}", { params: { path: { generationId: id } } })),
        [id],
    );
    const [live, setLive] = useState<Live | null>(null);
    const [polling, setPolling] = useState(false);
    const g = detail.data?.generation;
    useTitle(g ? `Generation · ${g.project.projectName}` : "Generation");

    useEffect(() => {
        if (g) setLive(fromDetail(g));
    }, [g]);

    // Live progress while the generation runs.
    const running = g !== undefined && !TERMINAL.includes(g.status);
    useEffect(() => {
        if (!running) return undefined;
        const es = new EventSource(eventStreamUrl(`/api/apps/pose-generator/generations/${encodeURIComponent(id)}/events`));
        let done = false;
        const handler = (e: MessageEvent<string>) => {
            let event: GenerationEvent;
            try {
                event = JSON.parse(e.data); // the `data:` line is the generated GenerationEvent (api.md §7.13)
            } catch {
                return;
            }
            setLive((l) => (l ? apply(l, event) : l));
            const terminalSnapshot = event.type === "snapshot" && TERMINAL.includes(event.status);
            if (event.type === "completed" || event.type === "failed" || terminalSnapshot) {
                done = true;
                es.close();
                void refreshBalance();
                detail.reload();
            }
        };
        for (const name of EVENTS) es.addEventListener(name, handler as EventListener);
        es.onerror = () => {
            // A closed stream (an error answer) falls back to polling; a dropped one reconnects by itself.
            if (!done && es.readyState === EventSource.CLOSED) setPolling(true);
        };
        return () => es.close();
    }, [running, id]);
    useInterval(detail.reload, 2000, polling && running);

    return (
        <LoadState state={detail} label="Loading the generation…">
            {({ generation }) => {
                const l = live ?? fromDetail(generation);
                const finished = TERMINAL.includes(l.status);
                return (
                    <>
                        <PageHeader
                            title={`Generation for ${generation.project.projectName}`}
                            back={{ href: `/poses/projects/${generation.projectId}`, label: generation.project.projectName }}
                            description={`Started ${formatDateTime(generation.createdAt)} · ${generation.batchSize} variation(s) per pose · ${credits(generation.creditCharged)} charged`}
                        >
                            <Badge value={l.status} label={isKey(GENERATION_STATUSES, l.status) ? GENERATION_STATUSES[l.status] : l.status} />
                        </PageHeader>
                        <section class="card" aria-labelledby="progress-h">
                            <h2 id="progress-h">Progress</h2>
                            <ProgressBar
                                value={l.percentage}
                                label="Generation progress"
                                tone={l.status === "failed" || l.status === "partial" ? l.status : undefined}
                            />
                            <p class="progress-text" aria-live="polite" data-testid="generation-status">
                                <LiveSummary live={l} />
                            </p>
                            {!finished && (
                                <ul class="slots" aria-label="Images as they arrive">
                                    {Array.from({ length: Math.max(l.total, l.poses.length) }, (_, i) => {
                                        const p = l.poses[i];
                                        return (
                                            <li key={p?.id ?? `slot-${i}`} class={p ? `slot slot--${p.status}` : "slot"}>
                                                {p ? (
                                                    p.status === "completed" ? (
                                                        <img src={p.thumbnailUrl} alt={`Image ${i + 1}`} data-live-image />
                                                    ) : (
                                                        <span class="small">Failed</span>
                                                    )
                                                ) : (
                                                    <span class="spinner" aria-hidden="true" />
                                                )}
                                            </li>
                                        );
                                    })}
                                </ul>
                            )}
                        </section>
                        {finished && <Results generation={generation} onChanged={detail.reload} />}
                    </>
                );
            }}
        </LoadState>
    );
}

function LiveSummary({ live }: { live: Live }) {
    const refunded = live.refunded && live.refunded > 0 ? `, ${credits(live.refunded)} refunded` : "";
    switch (live.status) {
        case "completed":
            return <>Completed: {live.completed} of {live.total} images ready{refunded}.</>;
        case "partial":
            return (
                <>
                    Partly done: {live.completed} of {live.total} images ready, {live.failed} failed{refunded}.
                </>
            );
        case "failed":
            return (
                <>
                    Failed{refunded || ", nothing was charged"}.{live.error ? ` ${/[.!?]$/.test(live.error) ? live.error : `${live.error}.`}` : ""}
                </>
            );
        case "processing":
            return (
                <>
                    Generating: {live.completed + live.failed} of {live.total} images ({live.percentage}%).
                </>
            );
        default:
            return <>Waiting in the queue{live.requeued ? ` (resumed after a restart, attempt ${live.requeued + 1})` : ""}…</>;
    }
}

function Results({ generation, onChanged }: { generation: PoseGenerationDetail; onChanged: () => void }) {
    const completed = generation.poses.filter((p) => p.status === "completed");
    const [formats, setFormats] = useState<string[]>(generation.exportFormats.length ? generation.exportFormats : ["instagram_feed"]);
    const zip = useAction();
    const [bgPose, setBgPose] = useState<GeneratedPose | null>(null);
    const [changing, setChanging] = useState<Record<string, string>>({});
    const prices = usePosePrices();

    // While a background change runs: poll until the pose has a new image or an error.
    useInterval(onChanged, 1500, Object.keys(changing).length > 0);
    useEffect(() => {
        const next = { ...changing };
        let changed = false;
        for (const [poseId, oldUrl] of Object.entries(changing)) {
            const p = generation.poses.find((x) => x.id === poseId);
            if (!p || p.outputImageUrl !== oldUrl || p.errorMessage) {
                delete next[poseId];
                changed = true;
            }
        }
        if (changed) {
            setChanging(next);
            void refreshBalance();
        }
    }, [generation]);

    async function downloadZip() {
        const data = await zip.run(() =>
            run(
                api.GET("/api/apps/pose-generator/generations/{generationId}/export-zip", {
                    params: { path: { generationId: generation.id }, query: { formats: formats.join(",") } },
                    parseAs: "blob",
                }),
            ),
        );
        if (!data) return;
        const url = URL.createObjectURL(data);
        const a = document.createElement("a");
        a.href = url;
        a.download = `poses-${generation.id}.zip`;
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 60_000);
    }

    return (
        <>
            <section class="card" aria-labelledby="zip-h">
                <h2 id="zip-h">Export</h2>
                {completed.length === 0 ? (
                    <p class="muted">There is nothing to export: no image of this generation completed.</p>
                ) : (
                    <>
                        <fieldset class="formats">
                            <legend>Formats in the ZIP</legend>
                            {Object.entries(EXPORT_FORMATS).map(([k, label]) => (
                                <label key={k} class="checkbox">
                                    <input
                                        type="checkbox"
                                        checked={formats.includes(k)}
                                        onChange={(e) => setFormats(e.currentTarget.checked ? [...formats, k] : formats.filter((f) => f !== k))}
                                    />{" "}
                                    {label}
                                </label>
                            ))}
                        </fieldset>
                        <ProblemMessage problem={zip.problem} />
                        <button type="button" class="btn btn--primary" disabled={zip.busy || formats.length === 0} onClick={() => void downloadZip()}>
                            {zip.busy ? "Preparing the ZIP…" : `Download ZIP (${completed.length} images × ${formats.length} formats)`}
                        </button>
                    </>
                )}
            </section>
            <section aria-labelledby="results-h" class="section">
                <h2 id="results-h">Results</h2>
                {generation.poses.length === 0 ? (
                    <Empty title="No images were produced." />
                ) : (
                    <ul class="result-grid" aria-label="Generated images">
                        {generation.poses.map((p, i) => (
                            <li key={p.id}>
                                <ResultCard
                                    pose={p}
                                    index={i + 1}
                                    busy={p.id in changing}
                                    onBackground={() => setBgPose(p)}
                                    onExported={onChanged}
                                />
                            </li>
                        ))}
                    </ul>
                )}
            </section>
            <Dialog open={bgPose !== null} title="Change the background" onClose={() => setBgPose(null)}>
                {bgPose && (
                    <BackgroundForm
                        pose={bgPose}
                        price={prices.data?.backgroundChange}
                        onCancel={() => setBgPose(null)}
                        onQueued={() => {
                            setChanging({ ...changing, [bgPose.id]: bgPose.outputImageUrl });
                            setBgPose(null);
                        }}
                    />
                )}
            </Dialog>
        </>
    );
}

function ResultCard({
    pose,
    index,
    busy,
    onBackground,
    onExported,
}: {
    pose: GeneratedPose;
    index: number;
    busy: boolean;
    onBackground: () => void;
    onExported: () => void;
}) {
    const [format, setFormat] = useState<ExportKey>("instagram_story");
    const action = useAction();
    const label = `Image ${index}`;
    if (pose.status !== "completed")
        return (
            <div class="result-card result-card--failed">
                <div class="img-missing" role="img" aria-label={`${label}: failed`}>
                    <span aria-hidden="true">✕</span>
                </div>
                <p class="small">
                    {label} failed{pose.errorMessage ? `: ${pose.errorMessage}` : ""}. Its credits were refunded.
                </p>
            </div>
        );
    async function regenerate() {
        const r = await action.run(() =>
            run(api.POST("/api/apps/pose-generator/poses/{poseId}/regenerate-export", { params: { path: { poseId: pose.id } }, body: { format } })),
        );
        if (r) onExported();
    }
    const exports = Object.entries(pose.exportFormats);
    return (
        <div class="result-card">
            <a href={pose.outputImageUrl} target="_blank" rel="noopener" class="result-card__img">
                <Img src={pose.thumbnailUrl} alt={`${label}${pose.backgroundChanged ? " (new background)" : ""}`} />
                {busy && (
                    <span class="result-card__busy" role="status">
                        Changing the background…
                    </span>
                )}
            </a>
            <div class="result-card__body">
                <div class="row">
                    <a class="btn btn--small" href={pose.outputImageUrl} download>
                        Download {label}
                    </a>
                    <button type="button" class="btn btn--small" onClick={onBackground} disabled={busy}>
                        Change background
                    </button>
                </div>
                {pose.errorMessage && <p class="field__error">{pose.errorMessage}</p>}
                {exports.length > 0 && (
                    <ul class="export-links" aria-label={`Exports of ${label}`}>
                        {exports.map(([k, url]) => (
                            <li key={k}>
                                <a href={url} download>
                                    {isKey(EXPORT_FORMATS, k) ? shortFormat(EXPORT_FORMATS[k]) : k}
                                </a>
                            </li>
                        ))}
                    </ul>
                )}
                <div class="row">
                    <label class="inline-field small">
                        <span class="sr-only">Format to regenerate for {label}</span>
                        <select value={format} onChange={(e) => setFormat(e.currentTarget.value as ExportKey)}>
                            {Object.entries(EXPORT_FORMATS).map(([k, l]) => (
                                <option key={k} value={k}>
                                    {l}
                                </option>
                            ))}
                        </select>
                    </label>
                    <button type="button" class="btn btn--small btn--ghost" disabled={action.busy} onClick={() => void regenerate()}>
                        {action.busy ? "Rendering…" : "Regenerate export"}
                    </button>
                </div>
                <ProblemMessage problem={action.problem} />
            </div>
        </div>
    );
}

function BackgroundForm({
    pose,
    price,
    onQueued,
    onCancel,
}: {
    pose: GeneratedPose;
    price: number | undefined;
    onQueued: () => void;
    onCancel: () => void;
}) {
    const [mode, setMode] = useState<BackgroundMode>("solid_color");
    const [prompt, setPrompt] = useState("");
    const [color, setColor] = useState("#e0e7ff");
    const [url, setUrl] = useState("");
    const action = useAction();
    const first = useRef<HTMLInputElement>(null);
    async function submit(e: Event) {
        e.preventDefault();
        const body =
            mode === "ai_generate"
                ? { backgroundMode: mode, backgroundPrompt: prompt }
                : mode === "solid_color"
                  ? { backgroundMode: mode, backgroundColor: color }
                  : { backgroundMode: mode, backgroundImageUrl: url };
        const r = await action.run(() => run(api.POST("/api/apps/pose-generator/poses/{poseId}/background", { params: { path: { poseId: pose.id } }, body })));
        if (r) onQueued();
    }
    return (
        <form onSubmit={submit} noValidate class="stack">
            <div class="chips" role="radiogroup" aria-label="Background type">
                {Object.entries(BACKGROUND_MODES).map(([k, label], i) => (
                    <label key={k} class="chip">
                        <input ref={i === 0 ? first : undefined} type="radio" name="bg-mode" checked={mode === k} onChange={() => setMode(k as BackgroundMode)} /> {label}
                    </label>
                ))}
            </div>
            {mode === "ai_generate" && (
                <Field label="Background description" name="backgroundPrompt" problem={action.problem}>
                    {(p) => <input {...p} maxLength={300} value={prompt} onInput={(e) => setPrompt(e.currentTarget.value)} />}
                </Field>
            )}
            {mode === "solid_color" && (
                <Field label="Colour" name="backgroundColor" problem={action.problem}>
                    {(p) => <input {...p} type="color" value={color} onInput={(e) => setColor(e.currentTarget.value)} />}
                </Field>
            )}
            {mode === "upload" && (
                <Field label="Image URL" name="backgroundImageUrl" problem={action.problem}>
                    {(p) => <input {...p} type="url" value={url} onInput={(e) => setUrl(e.currentTarget.value)} />}
                </Field>
            )}
            {price !== undefined && (
                <Notice>
                    This costs {credits(price)}; refunded if it fails.
                </Notice>
            )}
            <ProblemMessage problem={action.problem} fields={["backgroundPrompt", "backgroundColor", "backgroundImageUrl"]} />
            <div class="dialog__actions">
                <button type="button" class="btn" onClick={onCancel}>
                    Cancel
                </button>
                <button type="submit" class="btn btn--primary" disabled={action.busy}>
                    {action.busy ? "Queuing…" : "Change background"}
                </button>
            </div>
        </form>
    );
}


/** "TikTok 1080×1920" -> "TikTok"; "Original (PNG)" -> "Original". */
function shortFormat(label: string): string {
    return label.replace(/ \(PNG\)$/, "").replace(/ \d+×\d+$/, "");
}
