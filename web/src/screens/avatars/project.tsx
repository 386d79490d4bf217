import { useState } from "preact/hooks";
import { api, run } from "../../api/client";
import type { AvatarPreset } from "../../api/types";
import { plural } from "../../lib/format";
import { useAction, useLoad, useTitle } from "../../lib/hooks";
import { Link, navigate, setQuery, useQuery } from "../../lib/router";
import { ConfirmDialog, Dialog, Empty, Field, Img, LoadState, PageHeader, ProblemMessage, Tabs } from "../../ui/kit";
import { FromPresetForm, GeneratePanel, GenerationTracker, loadTracked, PresetGrid, saveTracked, UploadPanel, type Tracked } from "./add";

type AddTab = "upload" | "generate" | "preset";
const ADD_TABS: { key: AddTab; label: string }[] = [
    { key: "upload", label: "Upload a photo" },
    { key: "generate", label: "Generate from a description" },
    { key: "preset", label: "Start from a preset" },
];

export function AvatarProjectPage({ id }: { id: string }) {
    const q = useQuery();
    const tab = ADD_TABS.find((t) => t.key === q.get("add"))?.key ?? "upload";
    const project = useLoad(() => run(api.GET("/api/apps/avatar-creator/projects/{id}", { params: { path: { id } } })), [id]);
    const stats = useLoad(() => run(api.GET("/api/apps/avatar-creator/stats")), []);
    const examples = useLoad(() => run(api.GET("/api/apps/avatar-creator/persona-examples")), []);
    const presets = useLoad(() => run(api.GET("/api/apps/avatar-creator/presets")), []);
    const [tracked, setTrackedState] = useState<Tracked[]>(() => loadTracked(id));
    const [editing, setEditing] = useState(false);
    const [deleting, setDeleting] = useState(false);
    const [preset, setPreset] = useState<AvatarPreset | null>(null);
    const del = useAction();
    useTitle(project.data?.project.name ?? "Project");

    // The list prices from the stats; 0 for enterprise_unlimited users (api.md §6.18).
    const price = (n: number) => (stats.data?.hasEnterpriseUnlimited ? 0 : n);

    function setTracked(next: Tracked[]) {
        setTrackedState(next);
        saveTracked(id, next);
    }
    function started(t: Tracked) {
        setTracked([t, ...tracked]);
        setPreset(null);
    }
    async function remove() {
        const r = await del.run(() => run(api.DELETE("/api/apps/avatar-creator/projects/{id}", { params: { path: { id } } })));
        if (r) {
            saveTracked(id, []);
            navigate("/avatars");
        }
    }

    return (
        <LoadState state={project} label="Loading the project…">
            {({ project: p }) => (
                <>
                    <PageHeader title={p.name} back={{ href: "/avatars", label: "All projects" }} description={p.description || "No description yet."}>
                        <button type="button" class="btn" onClick={() => setEditing(true)}>
                            Rename or describe
                        </button>
                        <button type="button" class="btn btn--danger-outline" onClick={() => setDeleting(true)}>
                            Delete project
                        </button>
                    </PageHeader>

                    <GenerationTracker
                        tracked={tracked}
                        onFinished={project.reload}
                        onDismiss={(gid) => setTracked(tracked.filter((t) => t.id !== gid))}
                    />

                    <section aria-labelledby="avatars-h" class="section">
                        <h2 id="avatars-h">Avatars ({p.avatars.length})</h2>
                        {p.avatars.length === 0 ? (
                            <Empty title="No avatars in this project yet">
                                <p>Upload a photo, describe one, or start from a preset below.</p>
                            </Empty>
                        ) : (
                            <ul class="card-grid card-grid--small" aria-label="Avatars">
                                {p.avatars.map((a) => (
                                    <li key={a.id}>
                                        <Link class="avatar-card" href={`/avatars/avatar/${a.id}`}>
                                            <Img src={a.thumbnailUrl ?? a.baseImageUrl} alt="" />
                                            <span class="avatar-card__name">{a.name}</span>
                                            <span class="muted small">
                                                {a.personaName ?? a.sourceType.replace(/_/g, " ")}
                                            </span>
                                        </Link>
                                    </li>
                                ))}
                            </ul>
                        )}
                    </section>

                    <section class="card" aria-labelledby="add-h">
                        <h2 id="add-h">Add an avatar</h2>
                        <Tabs<AddTab>
                            label="How to add an avatar"
                            value={tab}
                            onChange={(k) => setQuery({ add: k === "upload" ? undefined : k }, true)}
                            tabs={ADD_TABS}
                        />
                        <div role="tabpanel" class="tabpanel" aria-label={ADD_TABS.find((t) => t.key === tab)?.label}>
                            <LoadState state={stats} label="Loading prices…">
                                {({ costs }) => (
                                    <>
                                        {tab === "upload" && (
                                            <UploadPanel projectId={id} cost={price(costs.uploadAvatar)} onUploaded={project.reload} />
                                        )}
                                        {tab === "generate" && (
                                            <GeneratePanel
                                                projectId={id}
                                                cost={price(costs.generateAvatar)}
                                                examples={examples.data?.personaExamples}
                                                onStarted={started}
                                            />
                                        )}
                                        {tab === "preset" && (
                                            <LoadState state={presets} label="Loading presets…">
                                                {(d) => <PresetGrid presets={d.presets} onUse={setPreset} />}
                                            </LoadState>
                                        )}
                                    </>
                                )}
                            </LoadState>
                        </div>
                    </section>

                    <Dialog open={preset !== null} title={`Avatar from “${preset?.name ?? ""}”`} onClose={() => setPreset(null)}>
                        {preset && stats.data && (
                            <FromPresetForm
                                projectId={id}
                                preset={preset}
                                cost={price(stats.data.costs.fromPreset)}
                                onStarted={started}
                                onCancel={() => setPreset(null)}
                            />
                        )}
                    </Dialog>
                    <EditProjectDialog
                        open={editing}
                        id={id}
                        name={p.name}
                        description={p.description ?? ""}
                        onClose={() => setEditing(false)}
                        onSaved={() => {
                            setEditing(false);
                            project.reload();
                        }}
                    />
                    <ConfirmDialog
                        open={deleting}
                        title={`Delete “${p.name}”?`}
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
                            This deletes the project <strong>{p.name}</strong> and its{" "}
                            <strong>{plural(p.avatars.length, "avatar")}</strong>
                            {p.avatars.length > 0 && <> ({p.avatars.map((a) => a.name).join(", ")})</>}, with their images and usage
                            history. Pose Generator projects that use these avatars keep their generated poses.
                        </p>
                        <p>This cannot be undone.</p>
                    </ConfirmDialog>
                </>
            )}
        </LoadState>
    );
}

function EditProjectDialog(props: {
    open: boolean;
    id: string;
    name: string;
    description: string;
    onClose: () => void;
    onSaved: () => void;
}) {
    const [name, setName] = useState(props.name);
    const [description, setDescription] = useState(props.description);
    const action = useAction();
    async function submit(e: Event) {
        e.preventDefault();
        const r = await action.run(() =>
            run(
                api.PUT("/api/apps/avatar-creator/projects/{id}", {
                    params: { path: { id: props.id } },
                    body: { name, description: description.trim() ? description : null },
                }),
            ),
        );
        if (r) props.onSaved();
    }
    return (
        <Dialog open={props.open} title="Rename or describe the project" onClose={props.onClose}>
            <form onSubmit={submit} noValidate>
                <Field label="Project name" name="name" problem={action.problem}>
                    {(p) => <input {...p} required maxLength={100} value={name} onInput={(e) => setName(e.currentTarget.value)} />}
                </Field>
                <Field label="Description" name="description" problem={action.problem}>
                    {(p) => <textarea {...p} rows={3} maxLength={500} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />}
                </Field>
                <ProblemMessage problem={action.problem} fields={["name", "description"]} />
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
