import { useState } from "preact/hooks";
import { api, run } from "../../api/client";
import { balanceStore } from "../../api/session";
import type { BackgroundMode, PoseGenerateRequest } from "../../api/types";
import { credits } from "../../lib/format";
import { useAction, useLoad, useTitle } from "../../lib/hooks";
import { Link, navigate, useQuery } from "../../lib/router";
import { useStore } from "../../lib/store";
import { Empty, Field, Img, LoadState, Notice, PageHeader, ProblemMessage } from "../../ui/kit";
import { BACKGROUND_MODES, EXPORT_FORMATS, selectionStore, usePosePrices, type ExportKey } from "./shared";

export function GeneratePoses() {
    useTitle("New generation");
    const q = useQuery();
    const selection = useStore(selectionStore);
    const balance = useStore(balanceStore);
    const projects = useLoad(() => run(api.GET("/api/apps/pose-generator/projects", { params: { query: { limit: 100, status: "active" } } })), []);
    const prices = usePosePrices();
    const [projectId, setProjectId] = useState(q.get("project") ?? "");
    const [variations, setVariations] = useState("2");
    const [prompt, setPrompt] = useState("");
    const [useBackground, setUseBackground] = useState(false);
    const [mode, setMode] = useState<BackgroundMode>("ai_generate");
    const [bgPrompt, setBgPrompt] = useState("");
    const [bgColor, setBgColor] = useState("#f1f5f9");
    const [bgUrl, setBgUrl] = useState("");
    const [formats, setFormats] = useState<ExportKey[]>(["instagram_feed", "instagram_story"]);
    const action = useAction();

    const list = projects.data?.projects ?? [];
    const project = list.find((p) => p.id === projectId) ?? list[0];
    const batch = Math.max(0, Math.floor(Number(variations) || 0));
    const images = selection.length * batch;
    const pr = prices.data;
    const cost = pr ? images * (pr.perPose + (useBackground ? pr.backgroundPerPose : 0)) : undefined;
    const after = cost !== undefined && balance !== null ? balance - cost : undefined;

    async function submit(e: Event) {
        e.preventDefault();
        if (!project) return;
        const body: PoseGenerateRequest = {
            projectId: project.id,
            generationType: "GALLERY_REFERENCE",
            selectedPoseIds: selection.map((s) => s.id),
            batchSize: batch,
            exportFormats: formats,
            useBackgroundChanger: useBackground,
        };
        if (prompt.trim()) body.textPrompt = prompt;
        if (useBackground) {
            body.backgroundMode = mode;
            if (mode === "ai_generate") body.backgroundPrompt = bgPrompt;
            else if (mode === "solid_color") body.backgroundColor = bgColor;
            else body.backgroundImageUrl = bgUrl;
        }
        const r = await action.run(() => run(api.POST("/api/apps/pose-generator/generate", { body })));
        if (r) {
            selectionStore.set([]);
            navigate(`/poses/generations/${r.generationId}`);
        }
    }

    return (
        <>
            <PageHeader title="New generation" description="Your avatar in every selected pose: choose the variations, background and formats, check the price, confirm." />
            <form class="generate" onSubmit={submit} noValidate>
                <div class="stack">
                    <section class="card" aria-labelledby="step1">
                        <h2 id="step1">1. Project and avatar</h2>
                        <LoadState state={projects} label="Loading your pose projects…">
                            {() =>
                                list.length === 0 ? (
                                    <Empty title="You have no pose project yet">
                                        <Link class="btn btn--primary" href="/poses/projects?new=1">
                                            Create a pose project
                                        </Link>
                                    </Empty>
                                ) : (
                                    <div class="row row--top">
                                        <Img class="thumb-md" src={project?.avatarImageUrl} alt="" />
                                        <Field label="Pose project" name="projectId" problem={action.problem} class="grow">
                                            {(p) => (
                                                <select {...p} value={project?.id ?? ""} onChange={(e) => setProjectId(e.currentTarget.value)}>
                                                    {list.map((pr) => (
                                                        <option key={pr.id} value={pr.id}>
                                                            {pr.projectName}
                                                        </option>
                                                    ))}
                                                </select>
                                            )}
                                        </Field>
                                    </div>
                                )
                            }
                        </LoadState>
                    </section>
                    <section class="card" aria-labelledby="step2">
                        <h2 id="step2">2. Poses ({selection.length})</h2>
                        {selection.length === 0 ? (
                            <Empty title="No poses selected">
                                <Link class="btn btn--primary" href="/poses">
                                    Choose poses in the library
                                </Link>
                            </Empty>
                        ) : (
                            <>
                                <ul class="selected-list" aria-label="Selected poses">
                                    {selection.map((s) => (
                                        <li key={s.id}>
                                            <Img src={s.thumbnailUrl ?? s.previewImageUrl} alt="" />
                                            <span>{s.name}</span>
                                            <button
                                                type="button"
                                                class="btn btn--ghost btn--small"
                                                aria-label={`Remove ${s.name}`}
                                                onClick={() => selectionStore.set(selection.filter((x) => x.id !== s.id))}
                                            >
                                                Remove
                                            </button>
                                        </li>
                                    ))}
                                </ul>
                                <Link href="/poses" class="small">
                                    + Add more poses
                                </Link>
                            </>
                        )}
                        {action.problem?.fields.selectedPoseIds && <p class="field__error">{action.problem.fields.selectedPoseIds.join(" ")}</p>}
                        <Field label="Variations per pose" name="batchSize" problem={action.problem} hint="1 to 10 different images of each pose.">
                            {(p) => <input {...p} type="number" min={1} max={10} value={variations} onInput={(e) => setVariations(e.currentTarget.value)} />}
                        </Field>
                        <Field label="Extra prompt (optional)" name="textPrompt" problem={action.problem} hint="Added before each pose's description, e.g. “in a sunny park”.">
                            {(p) => <input {...p} maxLength={500} value={prompt} onInput={(e) => setPrompt(e.currentTarget.value)} />}
                        </Field>
                    </section>
                    <section class="card" aria-labelledby="step3">
                        <h2 id="step3">3. Background</h2>
                        <label class="checkbox">
                            <input type="checkbox" checked={useBackground} onChange={(e) => setUseBackground(e.currentTarget.checked)} /> Change the background
                            {pr && <span class="muted"> (+{credits(pr.backgroundPerPose)} per image)</span>}
                        </label>
                        {useBackground && (
                            <div class="stack">
                                <div class="chips" role="radiogroup" aria-label="Background type">
                                    {Object.entries(BACKGROUND_MODES).map(([k, label]) => (
                                        <label key={k} class="chip">
                                            <input type="radio" name="backgroundMode" checked={mode === k} onChange={() => setMode(k as BackgroundMode)} /> {label}
                                        </label>
                                    ))}
                                </div>
                                {mode === "ai_generate" && (
                                    <Field label="Background description" name="backgroundPrompt" problem={action.problem}>
                                        {(p) => <input {...p} maxLength={300} placeholder="a bright modern office" value={bgPrompt} onInput={(e) => setBgPrompt(e.currentTarget.value)} />}
                                    </Field>
                                )}
                                {mode === "solid_color" && (
                                    <Field label="Background colour" name="backgroundColor" problem={action.problem}>
                                        {(p) => <input {...p} type="color" value={bgColor} onInput={(e) => setBgColor(e.currentTarget.value)} />}
                                    </Field>
                                )}
                                {mode === "upload" && (
                                    <Field label="Background image URL" name="backgroundImageUrl" problem={action.problem}>
                                        {(p) => <input {...p} type="url" value={bgUrl} onInput={(e) => setBgUrl(e.currentTarget.value)} />}
                                    </Field>
                                )}
                            </div>
                        )}
                    </section>
                    <section class="card" aria-labelledby="step4">
                        <h2 id="step4">4. Export formats</h2>
                        <fieldset class="formats">
                            <legend class="sr-only">Export formats</legend>
                            {Object.entries(EXPORT_FORMATS).map(([k, label]) => {
                                const key = k as ExportKey;
                                return (
                                    <label key={k} class="checkbox">
                                        <input
                                            type="checkbox"
                                            checked={formats.includes(key)}
                                            onChange={(e) => setFormats(e.currentTarget.checked ? [...formats, key] : formats.filter((f) => f !== key))}
                                        />{" "}
                                        {label}
                                    </label>
                                );
                            })}
                        </fieldset>
                        {action.problem?.fields.exportFormats && <p class="field__error">{action.problem.fields.exportFormats.join(" ")}</p>}
                    </section>
                </div>
                <aside class="card summary" aria-labelledby="sum-h">
                    <h2 id="sum-h">Summary</h2>
                    <dl class="facts">
                        <dt>Images</dt>
                        <dd data-testid="images">
                            {selection.length} × {batch} = {images}
                        </dd>
                        <dt>Price</dt>
                        <dd data-testid="cost">{cost === undefined ? "…" : credits(cost)}</dd>
                        <dt>Balance now</dt>
                        <dd>{balance ?? "…"}</dd>
                        <dt>Balance after</dt>
                        <dd data-testid="balance-after" class={after !== undefined && after < 0 ? "neg" : ""}>
                            {after ?? "…"}
                        </dd>
                    </dl>
                    {pr && (
                        <p class="small muted">
                            {credits(pr.perPose)} per image{useBackground ? ` + ${credits(pr.backgroundPerPose)} for the background` : ""}.
                            {" "}Images that fail are refunded.
                        </p>
                    )}
                    {after !== undefined && after < 0 && <Notice kind="warning">Your balance is too low for this generation.</Notice>}
                    <ProblemMessage
                        problem={action.problem}
                        fields={["projectId", "selectedPoseIds", "batchSize", "textPrompt", "backgroundPrompt", "backgroundColor", "backgroundImageUrl", "exportFormats"]}
                    />
                    <button type="submit" class="btn btn--primary btn--block" disabled={action.busy || images === 0 || !project}>
                        {action.busy ? "Starting…" : cost === undefined ? "Confirm and generate" : `Confirm: generate ${images} images for ${credits(cost)}`}
                    </button>
                </aside>
            </form>
        </>
    );
}
