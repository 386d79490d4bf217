import { useState } from "preact/hooks";
import { api, run } from "../../api/client";
import type { PoseGeneration } from "../../api/types";
import { credits, formatDateTime, plural } from "../../lib/format";
import { useAction, useLoad, useTitle } from "../../lib/hooks";
import { Link, navigate } from "../../lib/router";
import { Badge, ConfirmDialog, Dialog, Empty, Field, Img, LoadState, PageHeader, ProblemMessage, Stat } from "../../ui/kit";
import { GENERATION_STATUSES, isKey } from "./shared";

export function PoseProjectPage({ id }: { id: string }) {
    const project = useLoad(() => run(api.GET("/api/apps/pose-generator/projects/{projectId}", { params: { path: { projectId: id } } })), [id]);
    const [editing, setEditing] = useState(false);
    const [deleting, setDeleting] = useState(false);
    const del = useAction();
    useTitle(project.data?.project.projectName ?? "Pose project");
    async function remove() {
        const r = await del.run(() => run(api.DELETE("/api/apps/pose-generator/projects/{projectId}", { params: { path: { projectId: id } } })));
        if (r) navigate("/poses/projects");
    }
    return (
        <LoadState state={project} label="Loading the project…">
            {({ project: p }) => (
                <>
                    <PageHeader title={p.projectName} back={{ href: "/poses/projects", label: "Pose projects" }} description={p.description || undefined}>
                        <Link class="btn btn--primary" href={`/poses/generate?project=${p.id}`}>
                            New generation
                        </Link>
                        <button type="button" class="btn" onClick={() => setEditing(true)}>
                            Edit
                        </button>
                        <button type="button" class="btn btn--danger-outline" onClick={() => setDeleting(true)}>
                            Delete
                        </button>
                    </PageHeader>
                    <div class="project-layout">
                        <figure class="card avatar-figure avatar-figure--small">
                            <Img src={p.avatarImageUrl} alt={`The project's avatar (${p.avatarSource === "UPLOAD" ? "uploaded image" : "Avatar Creator"})`} />
                            <figcaption class="small muted">
                                {p.avatarId ? <Link href={`/avatars/avatar/${p.avatarId}`}>Open the avatar</Link> : "Uploaded image"}
                            </figcaption>
                        </figure>
                        <div class="stack">
                            <div class="stats">
                                <Stat label="Generations" value={p.totalGenerations} />
                                <Stat label="Poses generated" value={p.totalPosesGenerated} />
                                <Stat label="Status" value={<Badge value={p.status} />} />
                            </div>
                            <section class="card" aria-labelledby="gens-h">
                                <h2 id="gens-h">Latest generations</h2>
                                {p.generations.length === 0 ? (
                                    <Empty title="No generations yet">
                                        <Link class="btn btn--primary" href="/poses">
                                            Choose poses in the library
                                        </Link>
                                    </Empty>
                                ) : (
                                    <GenerationList generations={p.generations} />
                                )}
                            </section>
                        </div>
                    </div>
                    <EditDialog
                        open={editing}
                        id={id}
                        name={p.projectName}
                        description={p.description ?? ""}
                        archived={p.status === "archived"}
                        onClose={() => setEditing(false)}
                        onSaved={() => {
                            setEditing(false);
                            project.reload();
                        }}
                    />
                    <ConfirmDialog
                        open={deleting}
                        title={`Delete “${p.projectName}”?`}
                        confirmLabel="Delete project"
                        busy={del.busy}
                        problem={del.problem}
                        onConfirm={() => void remove()}
                        onClose={() => {
                            setDeleting(false);
                            del.setProblem(undefined);
                        }}
                    >
                        <p>
                            This deletes the pose project <strong>{p.projectName}</strong>, its {plural(p.totalGenerations, "generation")} and their{" "}
                            {plural(p.totalPosesGenerated, "generated image")}. The avatar itself stays in the Avatar Creator. This cannot be undone.
                        </p>
                    </ConfirmDialog>
                </>
            )}
        </LoadState>
    );
}

export function generationSummary(g: PoseGeneration): string {
    const refunded = g.creditRefunded > 0 ? `, ${credits(g.creditRefunded)} refunded` : "";
    switch (g.status) {
        case "completed":
            return `${g.posesCompleted} of ${g.totalExpectedPoses} images${refunded}`;
        case "partial":
            return `${g.posesCompleted} of ${g.totalExpectedPoses} images, ${g.posesFailed} failed${refunded}`;
        case "failed":
            return `failed${refunded}`;
        case "processing":
            return `${g.posesCompleted + g.posesFailed} of ${g.totalExpectedPoses} images so far`;
        default:
            return `${g.totalExpectedPoses} images queued`;
    }
}

/** Generations as rows; with `projectNames` (the history of every project) each row names its project. */
export function GenerationList({ generations, projectNames }: { generations: PoseGeneration[]; projectNames?: Map<string, string> }) {
    return (
        <ul class="list">
            {generations.map((g) => (
                <li key={g.id} class="list__row" data-status={g.status}>
                    <div class="list__main">
                        <Link href={`/poses/generations/${g.id}`}>
                            <strong>
                                {projectNames?.has(g.projectId) ? `${projectNames.get(g.projectId)} · ` : ""}
                                {formatDateTime(g.createdAt)}
                            </strong>
                        </Link>
                        <span class="small muted">
                            {generationSummary(g)} · {credits(g.creditCharged)} charged
                        </span>
                    </div>
                    <Badge value={g.status} label={isKey(GENERATION_STATUSES, g.status) ? GENERATION_STATUSES[g.status] : g.status} />
                </li>
            ))}
        </ul>
    );
}

function EditDialog(props: {
    open: boolean;
    id: string;
    name: string;
    description: string;
    archived: boolean;
    onClose: () => void;
    onSaved: () => void;
}) {
    const [name, setName] = useState(props.name);
    const [description, setDescription] = useState(props.description);
    const [archived, setArchived] = useState(props.archived);
    const action = useAction();
    async function submit(e: Event) {
        e.preventDefault();
        const r = await action.run(() =>
            run(
                api.PUT("/api/apps/pose-generator/projects/{projectId}", {
                    params: { path: { projectId: props.id } },
                    body: { projectName: name, description: description.trim() ? description : null, status: archived ? "archived" : "active" },
                }),
            ),
        );
        if (r) props.onSaved();
    }
    return (
        <Dialog open={props.open} title="Edit pose project" onClose={props.onClose}>
            <form onSubmit={submit} noValidate>
                <Field label="Project name" name="projectName" problem={action.problem}>
                    {(p) => <input {...p} maxLength={100} value={name} onInput={(e) => setName(e.currentTarget.value)} />}
                </Field>
                <Field label="Description" name="description" problem={action.problem}>
                    {(p) => <textarea {...p} rows={3} maxLength={500} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />}
                </Field>
                <label class="checkbox">
                    <input type="checkbox" checked={archived} onChange={(e) => setArchived(e.currentTarget.checked)} /> Archived
                </label>
                <ProblemMessage problem={action.problem} fields={["projectName", "description"]} />
                <div class="dialog__actions">
                    <button type="button" class="btn" onClick={props.onClose}>
                        Cancel
                    </button>
                    <button type="submit" class="btn btn--primary" disabled={action.busy}>
                        {action.busy ? "Saving…" : "Save"}
                    </button>
                </div>
            </form>
        </Dialog>
    );
}
